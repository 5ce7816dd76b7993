package models_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam" // file: clips
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/models"
)

// The ridge check's measure on both sides of RidgeShareMax, at every
// detector width the code uses: every raw YuNet detection in a shared
// fingerprint image scores at least the bound, every face YuNet finds in
// the shared photos (also the PAD set's prints and replays) and in every
// 30th frame of the shared clips scores below it, also under each of
// liveness's camera transforms (every photo and every 90th clip frame, at
// the capture width, 320).
func TestRidgeShares(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes every shared clip")
	}
	shared := testenv.Shared(t)
	prints := models.FingerprintImages(t)
	var photos []string
	for _, pattern := range []string{"faces/*.jpg", "faces/*.png", "pad/*.jpg"} {
		m, _ := filepath.Glob(filepath.Join(shared, "data", pattern))
		photos = append(photos, m...)
	}
	clips, _ := filepath.Glob(filepath.Join(shared, "data", "video", "*", "*.mp4"))
	if len(photos) < 13 || len(clips) < 7 {
		t.Fatalf("%d photos and %d clips under %s, want the 13 and 7 shared ones", len(photos), len(clips), shared)
	}
	transforms := liveness.Transforms()

	type extreme struct {
		n     int
		share float32
		what  string
	}
	lowest := extreme{share: 2}   // fingerprints
	highest := extreme{share: -1} // faces
	for _, w := range models.DetectorWidths {
		d, err := models.NewRawDetector(models.DetectorConfig{ModelDir: testenv.Models(t), MaxWidth: w})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		// measure calls f with each raw detection's share in img.
		measure := func(img gocv.Mat, what string, f func(share float32, what string)) {
			t.Helper()
			faces, err := d.Detect(img, nil)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			shares := d.RidgeShares()
			for i, face := range faces {
				f(shares[i], fmt.Sprintf("width %d: %s, face at %.0f,%.0f %.0fx%.0f", w, what, face.Box.X, face.Box.Y, face.Box.W, face.Box.H))
			}
		}
		isPrint := func(share float32, what string) {
			lowest.n++
			if share < lowest.share {
				lowest.share, lowest.what = share, what
			}
			if share < models.RidgeShareMax {
				t.Errorf("%s: ridge share %.3f, below %.2f: a fingerprint kept as a face", what, share, models.RidgeShareMax)
			}
		}
		isFace := func(share float32, what string) {
			highest.n++
			if share > highest.share {
				highest.share, highest.what = share, what
			}
			if share >= models.RidgeShareMax {
				t.Errorf("%s: ridge share %.3f, at least %.2f: a face dropped as a fingerprint", what, share, models.RidgeShareMax)
			}
		}
		for _, p := range prints {
			img := gocv.IMRead(p, gocv.IMReadColor)
			if img.Empty() {
				t.Fatalf("cannot read %s", p)
			}
			measure(img, rel(shared, p), isPrint)
			img.Close()
		}
		transformed := gocv.NewMat()
		defer transformed.Close()
		// variants measures img and, if all, img under every transform.
		variants := func(img gocv.Mat, what string, all bool, seed uint64) {
			measure(img, what, isFace)
			if !all {
				return
			}
			for _, tr := range transforms {
				if err := tr.Apply(img, &transformed, seed); err != nil {
					t.Fatalf("%s, %s: %v", what, tr.Name, err)
				}
				measure(transformed, what+", "+tr.Name, isFace)
			}
		}
		for _, p := range photos {
			img := gocv.IMRead(p, gocv.IMReadColor)
			if img.Empty() {
				t.Fatalf("cannot read %s", p)
			}
			variants(img, rel(shared, p), w == models.DetectorWidths[0], 1)
			img.Close()
		}
		for _, c := range clips {
			cam, err := devices.OpenCamera(context.Background(), "file:"+c)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				f, err := cam.Read(context.Background())
				if errors.Is(err, devices.ErrEndOfStream) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if i%30 == 0 {
					img, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data[:f.Stride*f.Height])
					if err != nil {
						t.Fatal(err)
					}
					variants(img, fmt.Sprintf("%s frame %d", rel(shared, c), i), i%90 == 0 && w == models.DetectorWidths[0], uint64(i))
					img.Close()
				}
				f.Close()
			}
			cam.Close()
		}
	}
	if lowest.n == 0 || highest.n < 400 {
		t.Fatalf("%d fingerprint detections and %d faces measured: too few to say anything", lowest.n, highest.n)
	}
	t.Logf("%d raw detections in fingerprint images: lowest ridge share %.3f (%s)", lowest.n, lowest.share, lowest.what)
	t.Logf("%d faces: highest ridge share %.3f (%s); the bound is %.2f", highest.n, highest.share, highest.what, models.RidgeShareMax)
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil || strings.HasPrefix(r, "..") {
		return p
	}
	return r
}
