//go:build matprofile

package models

import (
	"bytes"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// TestDetectorLeaksNoMat creates a detector, runs it over every photo
// (including the error paths that return early) and closes it: every gocv
// Mat created on the way must be closed again. Run with
// go test -tags matprofile ./models/.
func TestDetectorLeaksNoMat(t *testing.T) {
	start := gocv.MatProfile.Count()
	photos, err := filepath.Glob(filepath.Join(testenv.Shared(t), "data", "faces", "*.*"))
	if err != nil || len(photos) == 0 {
		t.Fatalf("no photos: %v", err)
	}
	d, err := NewFaceDetector(DetectorConfig{ModelDir: testenv.Models(t), MaxWidth: 640})
	if err != nil {
		t.Fatal(err)
	}
	var faces []Face
	found := 0
	for _, p := range photos {
		img := gocv.IMRead(p, gocv.IMReadColor)
		if img.Empty() { // LICENSE and PROVENANCE.txt
			img.Close()
			continue
		}
		faces, err = d.Detect(img, faces)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		found += len(faces)
		gray := gocv.NewMat()
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
		if _, err := d.Detect(gray, faces); err == nil {
			t.Errorf("%s: grey image accepted", filepath.Base(p))
		}
		gray.Close()
		img.Close()
	}
	if found < len(facePhotos) {
		t.Errorf("found %d faces in %d photos", found, len(photos))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if end := gocv.MatProfile.Count(); end != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("Mat count %d -> %d: leaked Mats:\n%s", start, end, b.String())
	}
}
