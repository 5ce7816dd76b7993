package gateway

import (
	"slices"
	"testing"

	"github.com/biogate/biogate/outcome"
)

// TestLivenessEndingsExhaustive: every liveness verdict either goes on to
// IDEC (live) or ends the session with a decision and reason of the
// outcome vocabulary. A verdict added to package outcome without an ending
// fails here rather than ending sessions as "undecided" unnoticed.
func TestLivenessEndingsExhaustive(t *testing.T) {
	for _, v := range outcome.Livenesses() {
		if v == VerdictLive {
			if _, ok := livenessEndings[v]; ok {
				t.Errorf("live has an ending; a live session goes on to IDEC")
			}
			continue
		}
		end, ok := livenessEndings[v]
		if !ok {
			t.Errorf("liveness verdict %q has no ending in livenessEndings", v)
			continue
		}
		checkEnding(t, string(v), end)
		if end.code != "" {
			t.Errorf("liveness verdict %q ends with error code %q; a liveness verdict is a decision", v, end.code)
		}
		if end.decision == outcome.Match || end.decision == outcome.NoMatch {
			t.Errorf("liveness verdict %q ends as %q, which only IDEC may decide", v, end.decision)
		}
	}
	for v := range livenessEndings {
		if !slices.Contains(outcome.Livenesses(), v) {
			t.Errorf("livenessEndings has %q, not a verdict of package outcome", v)
		}
	}
}

// TestIDECEndingsExhaustive: every outcome of an IDEC call has an ending,
// and only IDEC's match ends a session as a match.
func TestIDECEndingsExhaustive(t *testing.T) {
	for _, o := range outcome.IDECs() {
		end, ok := idecEndings[o]
		if !ok {
			t.Errorf("IDEC outcome %q has no ending in idecEndings", o)
			continue
		}
		checkEnding(t, string(o), end)
		if (end.decision == outcome.Match) != (o == outcome.IDECMatch) {
			t.Errorf("IDEC outcome %q ends as %q", o, end.decision)
		}
	}
	for o := range idecEndings {
		if !slices.Contains(outcome.IDECs(), o) {
			t.Errorf("idecEndings has %q, not an IDEC outcome of package outcome", o)
		}
	}
	if got := idecEnding("no_such_outcome"); got.code != "internal" || got.decision != "" {
		t.Errorf("an unknown IDEC outcome ends as %+v, want an internal error", got)
	}
}

// checkEnding: an ending is either a protocol error with a known code, or
// a decision of the vocabulary with a reason of the vocabulary (none only
// for a match).
func checkEnding(t *testing.T, name string, end ending) {
	t.Helper()
	if end.code != "" {
		if _, ok := end.code.Info(); !ok {
			t.Errorf("%s: error code %q is not a protocol error code", name, end.code)
		}
		if end.decision != "" || end.reason != "" {
			t.Errorf("%s: an error ending has a decision or reason: %+v", name, end)
		}
		return
	}
	if !slices.Contains(outcome.Decisions(), end.decision) {
		t.Errorf("%s: decision %q is not in outcome.Decisions()", name, end.decision)
	}
	switch {
	case end.decision == outcome.Match && end.reason != "":
		t.Errorf("%s: a match with reason %q", name, end.reason)
	case end.decision != outcome.Match && !slices.Contains(outcome.Reasons(), end.reason):
		t.Errorf("%s: reason %q is not in outcome.Reasons()", name, end.reason)
	}
}
