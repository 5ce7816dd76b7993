//go:build matprofile

package capture

import (
	"context"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// TestNoMatLeftOpen runs the whole loop over real clips (to the end, and
// stopped early at the threshold) and a folder, and fails if any gocv Mat is
// still open afterwards. Run with: go test -tags matprofile ./capture
func TestNoMatLeftOpen(t *testing.T) {
	modelsDir := testenv.Models(t)
	specs := []string{
		"file:" + video(t, steadyClip),                              // stops at the threshold
		"file:" + video(t, "grid_lipnet/grid_s1_bbaf2n_blinks.mp4"), // runs to the end
		"dir:" + face(t, ""),
	}
	before := gocv.MatProfile.Count()
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: modelsDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{{}, {MinQuality: 101}} {
		l, err := New(cfg, det)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range specs {
			cam, err := devices.OpenCamera(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Run(context.Background(), cam); err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			cam.Close()
		}
		l.Close()
	}
	det.Close()
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("Mat count %d before, %d after: Mats left open", before, after)
	}
}
