//go:build matprofile

package models

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// TestAntiSpoofLeaksNoMat creates an AntiSpoof, scores every PAD sample
// (and the error paths that return early: a grey image, a box outside) and
// closes it: every gocv Mat created on the way must be closed again. The
// wrapper keeps its buffers in the shim, so a gocv Mat showing up here
// (a blob from gocv.BlobFromImage, say) is a regression. Run with
// go test -tags matprofile ./models/.
func TestAntiSpoofLeaksNoMat(t *testing.T) {
	start := gocv.MatProfile.Count()
	images, err := filepath.Glob(filepath.Join(testenv.Shared(t), "data", "pad", "*.jpg"))
	if err != nil || len(images) != len(padImages) {
		t.Fatalf("%d PAD images, want %d: %v", len(images), len(padImages), err)
	}
	d, err := NewFaceDetector(DetectorConfig{ModelDir: testenv.Models(t), MaxWidth: 640})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAntiSpoof(AntiSpoofConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	var faces []Face
	scored := 0
	for _, p := range images {
		img := gocv.IMRead(p, gocv.IMReadColor)
		faces, err = d.Detect(img, faces)
		if err != nil || len(faces) == 0 {
			t.Errorf("%s: %d faces, %v", filepath.Base(p), len(faces), err)
		} else if _, err := a.Score(img, faces[0].Box); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		} else {
			scored++
		}
		if _, err := a.Score(img, Rect{X: -100, Y: 0, W: 50, H: 50}); !errors.Is(err, ErrInvalidBox) {
			t.Errorf("%s: box outside: %v", filepath.Base(p), err)
		}
		gray := gocv.NewMat()
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
		if _, err := a.Score(gray, Rect{X: 10, Y: 10, W: 50, H: 50}); !errors.Is(err, ErrInvalidImage) {
			t.Errorf("%s: grey image: %v", filepath.Base(p), err)
		}
		gray.Close()
		img.Close()
	}
	if scored != len(images) {
		t.Errorf("scored %d of %d images", scored, len(images))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
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
