package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/devices/usbfp/usbfptest"
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
	for _, name := range usbfptest.Recordings {
		t.Run(name, func(t *testing.T) {
			dir := usbfptest.Dir(t, name)
			outPNG := filepath.Join(t.TempDir(), "finger.png")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(usbfptest.Args(t, dir), "--", os.Args[0], "-test.run=^TestFingerChild$", "-test.count=1")
			cmd := exec.CommandContext(ctx, "umockdev-run", args...)
			cmd.Env = append(os.Environ(), "FP_DEVICE_EMULATION=1",
				fingerChildEnv+"="+strings.Join([]string{"finger", "capture", "--out", outPNG, "--json", "--timeout", "30s"}, "\t"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("biogate finger capture under umockdev-run: %v\n%s", err, usbfptest.Tail(out, 40))
			}
			_, js, ok := bytes.Cut(out, []byte("CHILD-STDOUT "))
			var rep fingerCaptureReport
			if !ok || json.NewDecoder(bytes.NewReader(js)).Decode(&rep) != nil {
				t.Fatalf("no JSON report in the output (%d bytes):\n%s", len(out), out)
			}
			if len(rep.Events) != 2 || rep.Events[0] != "finger_present" || rep.Events[1] != "finger_removed" {
				t.Errorf("events %v, want [finger_present finger_removed]", rep.Events)
			}
			got := usbfptest.DecodePNG(t, outPNG)
			want := usbfptest.DecodePNG(t, filepath.Join(dir, "capture.png"))
			if got.Bounds() != want.Bounds() {
				t.Fatalf("image %v, libfprint's %v", got.Bounds(), want.Bounds())
			}
			if _, isGray := got.(*image.Gray); !isGray {
				t.Errorf("PNG decodes as %T, want an 8-bit grey image", got)
			}
			if diff := usbfptest.GreenDiff(got, want); diff != 0 {
				t.Fatalf("%d pixels differ from libfprint's capture", diff)
			}
		})
	}
}

func TestFingerSpec(t *testing.T) {
	for in, want := range map[string]string{
		"":              "usb:",
		"1-10":          "usb:1-10",
		"usb:1-10":      "usb:1-10",
		"usb:05ba:000a": "usb:05ba:000a",
		"05ba:000a":     "usb:05ba:000a",
		"dir:/x/y":      "dir:/x/y",
	} {
		if got := fingerSpec(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestFingerCaptureFromFolder: `biogate finger capture --device dir:...`
// opens a folder of FVC2002 images through the registry and writes its
// first image as a grey PNG, pixel for pixel.
func TestFingerCaptureFromFolder(t *testing.T) {
	dir := filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB4_B")
	outPNG := filepath.Join(t.TempDir(), "finger.png")
	var out, errb bytes.Buffer
	if code := run([]string{"finger", "capture", "--device", "dir:" + dir + "?ppi=500", "--out", outPNG, "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var rep fingerCaptureReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Device.Backend != "dir" || rep.Device.PPI != 500 || rep.Out != outPNG ||
		len(rep.Events) != 2 || rep.Events[0] != "finger_present" || rep.Events[1] != "finger_removed" {
		t.Errorf("report %+v", rep)
	}
	got := usbfptest.DecodePNG(t, outPNG)
	want := usbfptest.DecodePNG(t, filepath.Join(dir, "101_1.png"))
	if _, isGray := got.(*image.Gray); !isGray || got.Bounds() != want.Bounds() || usbfptest.GreenDiff(got, want) != 0 {
		t.Fatalf("wrote %T %v, want 101_1.png (%v) pixel for pixel", got, got.Bounds(), want.Bounds())
	}
}
