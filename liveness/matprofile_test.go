//go:build matprofile

package liveness

import (
	"bytes"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestPassiveLeaksNoMat runs Passive sessions over the minivision clip
// (each segment, then the whole clip: every frame through MiniFASNet, the
// still cues and the motion cue) and the inputs that return early, then
// closes everything: every gocv Mat created on the way must be closed
// again. Run with go test -tags matprofile ./liveness/.
func TestPassiveLeaksNoMat(t *testing.T) {
	start := gocv.MatProfile.Count()
	// A subtest, so that the helpers' Cleanups (which close the detector,
	// the models, the images and the Passives) have run when it returns.
	t.Run("sessions", func(t *testing.T) {
		r := newRig(t)
		if ss := r.minivision(t); len(ss) != len(minivisionSegments) {
			t.Fatalf("%d segments", len(ss))
		}
		whole := r.scoreClip(t, minivision, []window{{name: "whole"}}, false)
		// About 90 counted frames, MiniFASNet on every third
		// (PassiveConfig.EveryN).
		if len(whole) != 1 || whole[0].res.Frames < 27 {
			t.Fatalf("whole clip: %+v", whole)
		}
		p := r.passive(t, PassiveConfig{})
		img := readImage(t, shared(t, padLive))
		an, err := r.an.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		empty := gocv.NewMat()
		defer empty.Close()
		if _, err := p.Observe(empty, &an, time.Unix(0, 0)); err == nil {
			t.Error("empty Mat accepted")
		}
		noFace := an
		noFace.Subject = -1
		if fs, err := p.Observe(img, &noFace, time.Unix(0, 0)); err != nil || fs.Scored {
			t.Errorf("no face: scored %v, %v", fs.Scored, err)
		}
	})
	if end := gocv.MatProfile.Count(); end != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("Mat count %d -> %d: leaked Mats:\n%s", start, end, b.String())
	}
}
