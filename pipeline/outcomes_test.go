package pipeline

import (
	"testing"

	"github.com/biogate/biogate/outcome"
)

// TestEveryCommandStatusHasAChallengeEvent: each status the protocol can
// report about a command is produced from one kind of challenge event, so
// a status added to package outcome without its event fails here instead
// of never reaching the app.
func TestEveryCommandStatusHasAChallengeEvent(t *testing.T) {
	from := map[outcome.CommandStatus]int{}
	for kind, st := range commandStatus {
		from[st]++
		if string(kind) != string(st) {
			t.Errorf("challenge event %q reported as command status %q", kind, st)
		}
	}
	for _, st := range outcome.CommandStatuses() {
		if from[st] != 1 {
			t.Errorf("command status %q comes from %d kinds of challenge event, want 1", st, from[st])
		}
	}
}
