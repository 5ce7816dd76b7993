package usbfp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

// The replay tests run the real drivers over real libusb against libfprint's
// umockdev recordings: the test binary re-executes itself under
// umockdev-run, and the child (TestReplayChild) does the work.

const (
	childModeEnv = "BIOGATE_USBFP_CHILD" // the scenario the child runs
	childDirEnv  = "BIOGATE_USBFP_DIR"   // the recording's folder (capture.png)
)

// recordingDir returns shared/data/usb/<name>, failing under CI when
// missing and skipping otherwise; likewise for umockdev-run.
func recordingDir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(testenv.Shared(t), "data", "usb", name)
	if _, err := os.Stat(filepath.Join(dir, "device")); err != nil {
		missingTool(t, fmt.Sprintf("recording %s: %v", name, err))
	}
	if _, err := exec.LookPath("umockdev-run"); err != nil {
		missingTool(t, "umockdev-run not found (Debian package umockdev; hack/install-deps.sh installs it)")
	}
	return dir
}

func missingTool(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// umockdevArgs builds umockdev-run's arguments for the recording in dir
// (its device file and capture.pcapng or capture.ioctl).
func umockdevArgs(t testing.TB, dir string) []string {
	t.Helper()
	dev, err := os.ReadFile(filepath.Join(dir, "device"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(dev), "\n")
	sysPath, ok := strings.CutPrefix(first, "P: ")
	if !ok {
		t.Fatalf("%s/device does not start with a P: line", dir)
	}
	args := []string{"-d", filepath.Join(dir, "device")}
	if pcap := filepath.Join(dir, "capture.pcapng"); fileExists(pcap) {
		return append(args, "-p", "/sys"+sysPath+"="+pcap)
	}
	ioctl := filepath.Join(dir, "capture.ioctl")
	f, err := os.Open(ioctl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	devNode, ok := strings.CutPrefix(strings.TrimSpace(line), "@DEV ")
	if !ok {
		t.Fatalf("%s does not start with an @DEV line", ioctl)
	}
	return append(args, "-i", devNode+"="+ioctl)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

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
	args := append(umockdevArgs(t, dir), "--", os.Args[0], "-test.run=^TestReplayChild$", "-test.v", "-test.count=1")
	cmd := exec.CommandContext(ctx, "umockdev-run", args...)
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDirEnv+"="+pngDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("replay %s (%s): %v\n%s", filepath.Base(pngDir), mode, err, tail(out))
	}
	if !bytes.Contains(out, []byte("--- PASS: TestReplayChild")) {
		t.Fatalf("replay %s (%s): the child did not run\n%s", filepath.Base(pngDir), mode, tail(out))
	}
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.Contains(l, []byte("_test.go:")) {
			t.Logf("child: %s", bytes.TrimSpace(l))
		}
	}
	return string(out)
}

// tail keeps the end of a child's output (gousb logs every failed event
// poll while a replay is stuck).
func tail(out []byte) []byte {
	var keep [][]byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if !bytes.Contains(l, []byte("handle_events: error")) {
			keep = append(keep, l)
		}
	}
	if len(keep) > 60 {
		keep = keep[len(keep)-60:]
	}
	return bytes.Join(keep, []byte("\n"))
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
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
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
