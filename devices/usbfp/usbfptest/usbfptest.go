// Package usbfptest runs programs against libfprint's umockdev recordings
// of real USB fingerprint readers (shared/data/usb), for the tests of
// devices/usbfp and of the CLI: the recording's folder, umockdev-run's
// arguments (also ReplayArgs, for biogate-soak), and the comparison
// libfprint's own tests make (the green channel, pixel for pixel). It is
// a test helper; the device traffic is the recorded one, replayed by
// umockdev through real libusb.
package usbfptest

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// Recordings are the recordings whose readers biogate drives.
var Recordings = []string{"uru4000-4500", "nb1010", "upektc_img"}

// Dir returns shared/data/usb/<name> after checking that the recording and
// umockdev-run are there; when either is missing it fails the test under
// CI=true and skips it otherwise.
func Dir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(testenv.Shared(t), "data", "usb", name)
	if _, err := os.Stat(filepath.Join(dir, "device")); err != nil {
		missing(t, fmt.Sprintf("recording %s: %v", name, err))
	}
	if _, err := exec.LookPath("umockdev-run"); err != nil {
		missing(t, "umockdev-run not found (Debian package umockdev; hack/install-deps.sh installs it)")
	}
	return dir
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Args returns umockdev-run's arguments that replay the recording in dir
// (ReplayArgs), failing the test when the recording is malformed.
func Args(t testing.TB, dir string) []string {
	t.Helper()
	args, err := ReplayArgs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// ReplayArgs returns umockdev-run's arguments that replay the recording in
// dir: its device file, and capture.pcapng (bound to the device's sysfs
// path, the P: line) or capture.ioctl (bound to its device node, the @DEV
// line). The program and its arguments follow after "--".
func ReplayArgs(dir string) ([]string, error) {
	dev, err := os.ReadFile(filepath.Join(dir, "device"))
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(dev), "\n")
	sysPath, ok := strings.CutPrefix(first, "P: ")
	if !ok {
		return nil, fmt.Errorf("%s/device does not start with a P: line", dir)
	}
	args := []string{"-d", filepath.Join(dir, "device")}
	if pcap := filepath.Join(dir, "capture.pcapng"); exists(pcap) {
		return append(args, "-p", "/sys"+sysPath+"="+pcap), nil
	}
	ioctl := filepath.Join(dir, "capture.ioctl")
	f, err := os.Open(ioctl)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	node, ok := strings.CutPrefix(strings.TrimSpace(line), "@DEV ")
	if !ok {
		return nil, fmt.Errorf("%s does not start with an @DEV line", ioctl)
	}
	return append(args, "-i", node+"="+ioctl), nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// DecodePNG reads the PNG at path.
func DecodePNG(t testing.TB, path string) image.Image {
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
	return img
}

// GreenDiff counts the pixels whose green channel differs, as libfprint's
// tests compare a capture with capture.png; -1 when the sizes differ.
func GreenDiff(got, want image.Image) int {
	b := want.Bounds()
	if got.Bounds() != b {
		return -1
	}
	diff := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, g1, _, _ := got.At(x, y).RGBA()
			_, g2, _, _ := want.At(x, y).RGBA()
			if g1>>8 != g2>>8 {
				diff++
			}
		}
	}
	return diff
}

// Tail keeps the last n lines of a replayed program's output, without
// gousb's line per failed event poll (it logs one while a replay is stuck).
func Tail(out []byte, n int) []byte {
	var keep [][]byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if !bytes.Contains(l, []byte("handle_events: error")) {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return bytes.Join(keep, []byte("\n"))
}
