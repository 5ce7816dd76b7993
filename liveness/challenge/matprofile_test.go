//go:build matprofile

package challenge_test

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// TestNoMatLeftOpen checks that the test helpers that build Samples from
// real clips and photos close every Mat they open (the package itself
// touches no gocv). Run with: go test -tags matprofile ./liveness/challenge
func TestNoMatLeftOpen(t *testing.T) {
	path := filepath.Join(testenv.Shared(t), "data", "video", intel)
	models := testenv.Models(t)
	before := gocv.MatProfile.Count()
	if _, err := analyseClip(path, models); err != nil {
		t.Fatal(err)
	}
	photoFrames(t, "obama.jpg", []warp{{0, 1}, {10, 1.2}})
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("Mat count %d before, %d after: Mats left open", before, after)
	}
}
