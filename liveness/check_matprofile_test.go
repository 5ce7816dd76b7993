//go:build matprofile

package liveness

import (
	"context"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/liveness/challenge"
)

// TestCheckLeavesNoMatOpen runs whole liveness sessions (one passed, one
// refused, each keeping peak frames) and fails if a gocv Mat stays open.
// Run with: go test -tags matprofile ./liveness
func TestCheckLeavesNoMatOpen(t *testing.T) {
	photo := shared(t, "faces/obama.jpg")
	before := gocv.MatProfile.Count()
	// In a subtest, so that its cleanups (models, photos) run before the count.
	t.Run("sessions", func(t *testing.T) {
		for _, moves := range []map[challenge.Command][]pose{answers(false), answers(true)} {
			cam := newScriptCam(t, photo, moves, 900)
			chk := newChecker(t, Config{Challenge: challenge.Config{Offered: tiltsAndCloser}, OnEvent: cam.onEvent})
			if _, err := chk.Run(context.Background(), cam); err != nil {
				t.Fatal(err)
			}
		}
	})
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("Mat count %d before, %d after: Mats left open", before, after)
	}
}
