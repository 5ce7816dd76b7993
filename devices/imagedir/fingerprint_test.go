package imagedir

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

func fvc(t *testing.T, db string) string {
	return filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", db)
}

func openReader(t *testing.T, spec string) devices.FingerprintReader {
	t.Helper()
	r, err := devices.OpenFingerprintReader(context.Background(), spec)
	if err != nil {
		t.Fatalf("OpenFingerprintReader(%q): %v", spec, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// grayPNG decodes path with the standard library, an oracle independent of
// OpenCV.
func grayPNG(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// TestFingerprintsFromFVC: every image of an FVC2002 set, in name order,
// pixel for pixel as the standard library decodes it, with a press's
// finger events and the ppi the spec gave; then the end, then Close.
func TestFingerprintsFromFVC(t *testing.T) {
	dir := fvc(t, "DB1_B")
	names, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(names) != 80 {
		t.Fatalf("%d images in %s (%v), want FVC2002's 80", len(names), dir, err)
	}
	r := openReader(t, "dir:"+dir+"?ppi=500")
	if info := r.Info(); info.Backend != "dir" || info.Scan != devices.ScanPress || info.PPI != 500 || info.BusPath != dir {
		t.Errorf("info %+v", info)
	}
	for i, name := range names { // Glob sorts, as the folder is listed
		var events []devices.FingerEvent
		img, err := r.Capture(context.Background(), devices.OnFinger(func(e devices.FingerEvent) { events = append(events, e) }))
		if err != nil {
			t.Fatalf("capture %d (%s): %v", i, filepath.Base(name), err)
		}
		want := grayPNG(t, name)
		if img.Width != want.Rect.Dx() || img.Height != want.Rect.Dy() || len(img.Pix) != len(want.Pix) {
			t.Fatalf("%s: %dx%d (%d bytes), want %v", filepath.Base(name), img.Width, img.Height, len(img.Pix), want.Rect)
		}
		if string(img.Pix) != string(want.Pix) {
			t.Fatalf("%s: pixels differ from the PNG", filepath.Base(name))
		}
		if img.PPI != 500 || img.Time.IsZero() {
			t.Errorf("%s: ppi %d time %v", filepath.Base(name), img.PPI, img.Time)
		}
		if len(events) != 2 || events[0] != devices.FingerPresent || events[1] != devices.FingerRemoved {
			t.Fatalf("%s: events %v", filepath.Base(name), events)
		}
	}
	if _, err := r.Capture(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
		t.Fatalf("after the last image: %v", err)
	}
	r.Close()
	if _, err := r.Capture(context.Background()); !errors.Is(err, devices.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFingerprintsBadImageIsSkippable: an undecodable file is ErrBadFrame
// naming it, and the next capture reads the next image.
func TestFingerprintsBadImageIsSkippable(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(fvc(t, "DB2_B"), "101_1.png"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a.png": []byte("not an image"), "b.png": good} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := openReader(t, "dir:"+dir)
	if _, err := r.Capture(context.Background()); !errors.Is(err, devices.ErrBadFrame) || !strings.Contains(err.Error(), "a.png") {
		t.Fatalf("undecodable image: %v", err)
	}
	img, err := r.Capture(context.Background())
	if err != nil || img.PPI != 0 {
		t.Fatalf("next image: %v (ppi %v)", err, img)
	}
	if want := grayPNG(t, filepath.Join(dir, "b.png")); string(img.Pix) != string(want.Pix) {
		t.Fatal("b.png's pixels differ")
	}
}

func TestFingerprintsOpenErrors(t *testing.T) {
	empty := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		ctx  context.Context
		spec string
		want error // nil: any error
	}{
		{context.Background(), "dir:", devices.ErrNoDevice},
		{context.Background(), "dir:" + empty, devices.ErrNoDevice},
		{context.Background(), "dir:" + filepath.Join(empty, "absent"), devices.ErrNoDevice},
		{context.Background(), "dir:" + empty + "?fps=30", nil}, // a camera's option
		{context.Background(), "dir:" + empty + "?ppi=-1", nil},
		{ctx, "dir:" + empty, context.Canceled},
	} {
		r, err := devices.OpenFingerprintReader(tc.ctx, tc.spec)
		if err == nil || r != nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%q: %v, %v; want an error (%v)", tc.spec, r, err, tc.want)
		}
	}
}
