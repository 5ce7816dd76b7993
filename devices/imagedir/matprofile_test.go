//go:build matprofile

package imagedir

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// TestNoMatLeak counts gocv Mats (go test -tags matprofile): reading a
// folder, with images that decode and images that do not, leaves none.
func TestNoMatLeak(t *testing.T) {
	bad := t.TempDir()
	for name, data := range map[string][]byte{
		"a.jpg": read(t, filepath.Join(faces(t), "obama_small.jpg")),
		"b.jpg": []byte("not an image"),
		"c.png": nil,
	} {
		if err := os.WriteFile(filepath.Join(bad, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := gocv.MatProfile.Count()
	for _, dir := range []string{faces(t), bad} {
		cam := open(t, "dir:"+dir)
		n := 0
		for {
			f, err := cam.Read(context.Background())
			if errors.Is(err, devices.ErrBadFrame) {
				continue
			}
			if err != nil {
				if !errors.Is(err, devices.ErrEndOfStream) || n == 0 {
					t.Errorf("%s: %d frames, then %v", dir, n, err)
				}
				break
			}
			n++
			f.Close()
		}
		cam.Close()
	}
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after:\n%s", before, after, b.String())
	}
}

// TestFingerprintsNoMatLeak: capturing a folder of fingerprints, one of
// them undecodable, leaves no Mat open.
func TestFingerprintsNoMatLeak(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"a.png": read(t, filepath.Join(fvc(t, "DB3_B"), "101_1.png")),
		"b.png": []byte("not an image"),
		"c.png": read(t, filepath.Join(fvc(t, "DB3_B"), "101_2.png")),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := gocv.MatProfile.Count()
	r := openReader(t, "dir:"+dir)
	n := 0
	for {
		_, err := r.Capture(context.Background())
		if errors.Is(err, devices.ErrBadFrame) {
			continue
		}
		if err != nil {
			if !errors.Is(err, devices.ErrEndOfStream) || n != 2 {
				t.Errorf("%d images, then %v", n, err)
			}
			break
		}
		n++
	}
	r.Close()
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after:\n%s", before, after, b.String())
	}
}
