package usbfp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/usbfp/usbfptest"
)

// TestOpenThroughRegistryErrors: specs that name no attached reader fail
// with devices.ErrNoDevice through the registry, on the real bus of the
// machine running the test (no supported reader on it, or not at 9-99).
func TestOpenThroughRegistryErrors(t *testing.T) {
	for _, spec := range []string{"usb:zz:1010", "usb:9-99", "usb:045e:00bd"} {
		r, err := devices.OpenFingerprintReader(context.Background(), spec)
		if !errors.Is(err, devices.ErrNoDevice) || r != nil {
			t.Errorf("%q: %v, %v; want ErrNoDevice", spec, r, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := devices.OpenFingerprintReader(ctx, "usb:"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled open: %v", err)
	}
}

// TestOpenThroughRegistryReplay opens each recorded reader by its bus path
// through devices.OpenFingerprintReader, under umockdev-run, and checks the
// capture equals libfprint's image (the child side is childRegistry).
func TestOpenThroughRegistryReplay(t *testing.T) {
	for _, name := range usbfptest.Recordings {
		t.Run(name, func(t *testing.T) {
			dir := recordingDir(t, name)
			runChild(t, dir, dir, "registry")
		})
	}
}

// childRegistry finds the replayed reader's bus path with a Manager (which
// only reads the device list), then opens it as "usb:PATH" through the
// registry, with libfprint's emulation switch set as the CLI's replay test
// sets it.
func childRegistry(t *testing.T, ctx context.Context, m *Manager, dir string) {
	t.Setenv(EmulationEnv, "1")
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	found := m.Readers()
	if len(found) != 1 {
		t.Fatalf("readers %+v, want the recorded one", found)
	}
	path := found[0].BusPath
	if r, err := devices.OpenFingerprintReader(ctx, "usb:9-99"); !errors.Is(err, devices.ErrNoDevice) {
		t.Fatalf("usb:9-99 beside the replayed %s: %v, %v", path, r, err)
	}
	r, err := devices.OpenFingerprintReader(ctx, "usb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); info.BusPath != path || info.Backend != "usb" || info != found[0] {
		t.Errorf("info %+v, want %+v", info, found[0])
	}
	start := time.Now()
	img, err := r.Capture(ctx)
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	t.Logf("usb:%s captured %dx%d in %v", path, img.Width, img.Height, time.Since(start))
	compareWithLibfprint(t, img, dir)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.Capture(ctx); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("capture after Close: %v", err)
	}
}
