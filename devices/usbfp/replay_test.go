package usbfp

import (
	"bytes"
	"context"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/usbfp/usbfptest"
)

// The replay tests run the real drivers over real libusb against libfprint's
// umockdev recordings: the test binary re-executes itself under
// umockdev-run, and the child (TestReplayChild) does the work.

const (
	childModeEnv = "BIOGATE_USBFP_CHILD" // the scenario the child runs
	childDirEnv  = "BIOGATE_USBFP_DIR"   // the recording's folder (capture.png)
)

// recordingDir returns shared/data/usb/<name> (see usbfptest.Dir).
func recordingDir(t testing.TB, name string) string { return usbfptest.Dir(t, name) }

// runChild runs TestReplayChild in scenario mode under umockdev-run on the
// recording in dir (pngDir holds the expected capture.png) and fails t if
// the child fails.
func runChild(t *testing.T, dir, pngDir, mode string) string {
	t.Helper()
	return runChildTB(t, dir, pngDir, mode)
}

func runChildTB(t testing.TB, dir, pngDir, mode string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(usbfptest.Args(t, dir), "--", os.Args[0], "-test.run=^TestReplayChild$", "-test.v", "-test.count=1")
	cmd := exec.CommandContext(ctx, "umockdev-run", args...)
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDirEnv+"="+pngDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("replay %s (%s): %v\n%s", filepath.Base(pngDir), mode, err, usbfptest.Tail(out, 60))
	}
	if !bytes.Contains(out, []byte("--- PASS: TestReplayChild")) {
		t.Fatalf("replay %s (%s): the child did not run\n%s", filepath.Base(pngDir), mode, usbfptest.Tail(out, 60))
	}
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.Contains(l, []byte("_test.go:")) {
			t.Logf("child: %s", bytes.TrimSpace(l))
		}
	}
	return string(out)
}

func TestReplayIdenticalImages(t *testing.T) {
	for _, name := range []string{"uru4000-4500", "nb1010", "upektc_img"} {
		t.Run(name, func(t *testing.T) {
			dir := recordingDir(t, name)
			runChild(t, dir, dir, "capture")
		})
	}
}

// loadGreen reads a PNG's green channel, as libfprint's tests compare it.
func loadGreen(t testing.TB, path string) (w, h int, pix []byte) {
	t.Helper()
	img := usbfptest.DecodePNG(t, path)
	b := img.Bounds()
	pix = make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, g, _, _ := img.At(x, y).RGBA()
			pix = append(pix, byte(g>>8))
		}
	}
	return b.Dx(), b.Dy(), pix
}

// TestReplayChild is the child side of the replay tests; it only runs when
// re-executed under umockdev-run by one of them.
func TestReplayChild(t *testing.T) {
	mode := os.Getenv(childModeEnv)
	if mode == "" {
		t.Skip("runs only under umockdev-run, started by the replay tests")
	}
	// gousb logs each failed event poll; a stuck replay would flood.
	log.SetOutput(io.Discard)
	dir := os.Getenv(childDirEnv)
	m, err := New(Config{Random: NewGLibRand(GLibEmulationSeed), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	switch mode {
	case "capture":
		childCapture(t, ctx, m, dir)
	case "timeout":
		childTimeout(t, ctx, m)
	case "disconnect":
		childDisconnect(t, ctx, m)
	case "garbage":
		childGarbage(t, ctx, m)
	case "replug":
		childReplug(t, ctx, m, dir)
	case "bench":
		childBench(t, m, dir)
	case "registry":
		childRegistry(t, ctx, m, dir)
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

func childCapture(t *testing.T, ctx context.Context, m *Manager, dir string) {
	s, err := m.Acquire(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var events []devices.FingerEvent
	start := time.Now()
	img, err := s.Capture(ctx, devices.OnFinger(func(e devices.FingerEvent) { events = append(events, e) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("captured %dx%d in %v, events %v", img.Width, img.Height, time.Since(start), events)
	compareWithLibfprint(t, img, dir)
	if len(events) != 2 || events[0] != devices.FingerPresent || events[1] != devices.FingerRemoved {
		t.Fatalf("finger events %v, want [finger_present finger_removed]", events)
	}
}

// compareWithLibfprint fails t unless img equals dir/capture.png's green
// channel pixel for pixel.
func compareWithLibfprint(t *testing.T, img *devices.FingerprintImage, dir string) {
	t.Helper()
	w, h, want := loadGreen(t, filepath.Join(dir, "capture.png"))
	if img.Width != w || img.Height != h {
		t.Fatalf("image is %dx%d, libfprint's is %dx%d", img.Width, img.Height, w, h)
	}
	diff := 0
	for i := range want {
		if img.Pix[i] != want[i] {
			if diff < 5 {
				t.Errorf("pixel (%d,%d): %d, libfprint %d", i%w, i/w, img.Pix[i], want[i])
			}
			diff++
		}
	}
	if diff > 0 {
		t.Fatalf("%d of %d pixels differ from libfprint's capture", diff, len(want))
	}
}
