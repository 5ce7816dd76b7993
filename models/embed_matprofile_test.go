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

// TestEmbedderLeaksNoMat creates an Embedder, embeds and aligns the largest
// face of every photo (and takes the error paths that return early: a grey
// image, degenerate landmarks, a closed dst) and closes it: every gocv Mat
// created on the way must be closed again. The embedder keeps its buffers
// in the shim, so a gocv Mat showing up here is a regression. Run with
// go test -tags matprofile ./models/.
func TestEmbedderLeaksNoMat(t *testing.T) {
	start := gocv.MatProfile.Count()
	d, err := NewFaceDetector(DetectorConfig{ModelDir: testenv.Models(t), MaxWidth: 640})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEmbedder(EmbedderConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	crop := gocv.NewMat()
	var faces []Face
	embedded := 0
	for _, p := range embedPhotos {
		img := gocv.IMRead(filepath.Join(testenv.Shared(t), "data", "faces", p.file), gocv.IMReadColor)
		faces, err = d.Detect(img, faces)
		if err != nil || len(faces) == 0 {
			t.Errorf("%s: %d faces, %v", p.file, len(faces), err)
			img.Close()
			continue
		}
		big, _ := largest(faces)
		if _, err := e.Embed(img, faces[big]); err != nil {
			t.Errorf("%s: %v", p.file, err)
		} else if err := e.Aligned(img, faces[big], &crop); err != nil {
			t.Errorf("%s: Aligned: %v", p.file, err)
		} else {
			embedded++
		}
		if _, err := e.Embed(img, Face{}); !errors.Is(err, ErrInvalidLandmarks) {
			t.Errorf("%s: zero face: %v", p.file, err)
		}
		gray := gocv.NewMat()
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
		if _, err := e.Embed(gray, faces[big]); !errors.Is(err, ErrInvalidImage) {
			t.Errorf("%s: grey image: %v", p.file, err)
		}
		gray.Close()
		closed := gocv.NewMat()
		closed.Close()
		if err := e.Aligned(img, faces[big], &closed); !errors.Is(err, ErrInvalidImage) {
			t.Errorf("%s: closed dst: %v", p.file, err)
		}
		img.Close()
	}
	if embedded != len(embedPhotos) {
		t.Errorf("embedded %d of %d photos", embedded, len(embedPhotos))
	}
	crop.Close()
	if err := e.Close(); err != nil {
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
