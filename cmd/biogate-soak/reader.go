package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/biogate/biogate/devices/usbfp/usbfptest"
)

// The fingerprint reader of finger sessions (--usb-replay): one of
// libfprint's recordings of a real reader, replayed by umockdev to
// biogated's real libusb. biogated runs under umockdev-run, which keeps
// the testbed (a sysfs tree and device nodes) in the folder its child's
// UMOCKDEV_DIR names.
//
// umockdev cannot unplug a device from a running replay, so the reader
// "goes away" as a kiosk's does to the software that looks for it: its
// entry under the testbed's /sys/bus/usb/devices disappears, and biogated
// can no longer open it (libusb reads the device's configuration from
// there). Putting the entry back is plugging it in again.

// usbReplay is the recording and what the harness needs of it.
type usbReplay struct {
	args    []string // umockdev-run's, up to the program
	busPath string   // the device's name under /sys/bus/usb/devices ("1-7")
	image   string   // what libfprint captured from it: the enrolment of the genuine finger IINs
}

// newUSBReplay checks the recording in dir and umockdev-run.
func newUSBReplay(dir string) (*usbReplay, error) {
	if _, err := exec.LookPath("umockdev-run"); err != nil {
		return nil, fmt.Errorf("--usb-replay: umockdev-run not found (Debian package umockdev; hack/install-deps.sh installs it)")
	}
	args, err := usbfptest.ReplayArgs(dir)
	if err != nil {
		return nil, fmt.Errorf("--usb-replay: %w", err)
	}
	dev, _ := os.ReadFile(filepath.Join(dir, "device"))
	first, _, _ := strings.Cut(string(dev), "\n")
	r := &usbReplay{args: args, busPath: path.Base(strings.TrimPrefix(first, "P: ")),
		image: filepath.Join(dir, "capture.png")}
	if _, err := os.Stat(r.image); err != nil {
		return nil, fmt.Errorf("--usb-replay: %w", err)
	}
	return r, nil
}

// testbed returns the UMOCKDEV_DIR of the program umockdev-run (pid)
// runs, read from its environment.
func testbed(pid int) (string, error) {
	kid, err := firstChild(pid)
	if err != nil {
		return "", err
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", kid))
	if err != nil {
		return "", err
	}
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := strings.CutPrefix(string(kv), "UMOCKDEV_DIR="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("process %d has no UMOCKDEV_DIR", kid)
}

// firstChild returns the first child process of pid.
func firstChild(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, err
	}
	var kid int
	if _, err := fmt.Sscan(string(b), &kid); err != nil {
		return 0, fmt.Errorf("process %d has no child", pid)
	}
	return kid, nil
}

// unplug hides the reader's sysfs entry in the testbed of the umockdev-run
// process pid and returns what plugs it in again.
func (r *usbReplay) unplug(pid int) (plug func() error, err error) {
	tb, err := testbed(pid)
	if err != nil {
		return nil, err
	}
	entry := filepath.Join(tb, "sys", "bus", "usb", "devices", r.busPath)
	if err := os.Rename(entry, entry+".unplugged"); err != nil {
		return nil, err
	}
	return func() error { return os.Rename(entry+".unplugged", entry) }, nil
}
