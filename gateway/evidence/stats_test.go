package evidence

import (
	"testing"

	"github.com/biogate/biogate/outcome"
)

// Every decision of package outcome has a counter of its own in Stats: a
// decision added there fails here until the statistics count it.
func TestStatsCountEveryDecision(t *testing.T) {
	for _, d := range outcome.Decisions() {
		var st Stats
		st.count(string(d), `[]`, 1)
		st.count(string(d), `["`+ReasonLockedOut+`"]`, 1)
		if st.Other != 0 {
			t.Errorf("decision %q is counted as other: %+v", d, st)
		}
	}
	var st Stats
	st.count("invented", `[]`, 1)
	if st.Other != 1 {
		t.Errorf("an unknown decision is not counted as other: %+v", st)
	}
}
