package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/internal/testenv"
)

func TestFingerUsage(t *testing.T) {
	for _, args := range [][]string{
		{"finger"},
		{"finger", "scan"},
		{"finger", "capture"}, // --out is required
		{"finger", "capture", "--out", "x.png", "extra"},
		{"finger", "devices", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (usage)\n%s", args, code, exitUsage, errb.String())
		}
	}
}

const fingerChildEnv = "BIOGATE_FINGER_CHILD_ARGS"

// TestFingerChild runs `biogate finger ...` with the arguments in
// $BIOGATE_FINGER_CHILD_ARGS (tab-separated); the replay test re-executes
// the test binary under umockdev-run to get here.
func TestFingerChild(t *testing.T) {
	args := os.Getenv(fingerChildEnv)
	if args == "" {
		t.Skip("runs only under umockdev-run, started by TestFingerCaptureReplay")
	}
	var out, errb bytes.Buffer
	code := run(strings.Split(args, "\t"), &out, &errb)
	os.Stdout.WriteString("CHILD-STDOUT " + out.String())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
}

// TestFingerCaptureReplay runs `biogate finger capture` on libfprint's
// recordings under umockdev-run and compares the PNG it writes with the
// image libfprint captured, on the green channel as libfprint's tests do.
func TestFingerCaptureReplay(t *testing.T) {
	if _, err := exec.LookPath("umockdev-run"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("umockdev-run not found (hack/install-deps.sh installs umockdev)")
		}
		t.Skip("umockdev-run not found")
	}
	shared := testenv.Shared(t)
	for _, name := range []string{"uru4000-4500", "nb1010", "upektc_img"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(shared, "data", "usb", name)
			outPNG := filepath.Join(t.TempDir(), "finger.png")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(replayArgs(t, dir), "--", os.Args[0], "-test.run=^TestFingerChild$", "-test.count=1")
			cmd := exec.CommandContext(ctx, "umockdev-run", args...)
			cmd.Env = append(os.Environ(), "FP_DEVICE_EMULATION=1",
				fingerChildEnv+"="+strings.Join([]string{"finger", "capture", "--out", outPNG, "--json", "--timeout", "30s"}, "\t"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("biogate finger capture under umockdev-run: %v\n%s", err, lastLines(out, 40))
			}
			_, js, ok := bytes.Cut(out, []byte("CHILD-STDOUT "))
			var rep fingerCaptureReport
			if !ok || json.NewDecoder(bytes.NewReader(js)).Decode(&rep) != nil {
				t.Fatalf("no JSON report in the output (%d bytes):\n%s", len(out), out)
			}
			if len(rep.Events) != 2 || rep.Events[0] != "finger_present" || rep.Events[1] != "finger_removed" {
				t.Errorf("events %v, want [finger_present finger_removed]", rep.Events)
			}
			got := decodePNG(t, outPNG)
			want := decodePNG(t, filepath.Join(dir, "capture.png"))
			if got.Bounds() != want.Bounds() {
				t.Fatalf("image %v, libfprint's %v", got.Bounds(), want.Bounds())
			}
			if _, isGray := got.(*image.Gray); !isGray {
				t.Errorf("PNG decodes as %T, want an 8-bit grey image", got)
			}
			b := want.Bounds()
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
			if diff > 0 {
				t.Fatalf("%d pixels differ from libfprint's capture", diff)
			}
		})
	}
}

// replayArgs builds umockdev-run's device and recording arguments for dir.
func replayArgs(t *testing.T, dir string) []string {
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
	if pcap := filepath.Join(dir, "capture.pcapng"); fileExistsFinger(pcap) {
		return append(args, "-p", "/sys"+sysPath+"="+pcap)
	}
	f, err := os.Open(filepath.Join(dir, "capture.ioctl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	node, ok := strings.CutPrefix(strings.TrimSpace(line), "@DEV ")
	if !ok {
		t.Fatalf("%s/capture.ioctl does not start with an @DEV line", dir)
	}
	return append(args, "-i", node+"="+f.Name())
}

func fileExistsFinger(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func decodePNG(t *testing.T, path string) image.Image {
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

// lastLines keeps the end of a child's output, without gousb's repeated
// event-poll errors.
func lastLines(out []byte, n int) []byte {
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
