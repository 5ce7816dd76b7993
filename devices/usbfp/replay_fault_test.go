package usbfp

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gousb"

	"github.com/biogate/biogate/devices"
)

// rewritePcap copies the pcapng recording src to dir/capture.pcapng, with
// the device description beside it, keeping the first keep packets (all if
// keep < 0) and letting edit change a packet's bytes (the usbmon header's 64
// bytes, then the data). It returns dir.
func rewritePcap(t *testing.T, src string, keep int, edit func(i int, pkt []byte)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(src, "capture.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	pkt := 0
	for off := 0; off+12 <= len(raw); {
		typ := binary.LittleEndian.Uint32(raw[off:])
		n := int(binary.LittleEndian.Uint32(raw[off+4:]))
		if n < 12 || off+n > len(raw) {
			t.Fatalf("bad pcapng block at %d", off)
		}
		block := append([]byte(nil), raw[off:off+n]...)
		off += n
		if typ == 6 { // enhanced packet block
			if keep >= 0 && pkt >= keep {
				break
			}
			if edit != nil {
				capLen := int(binary.LittleEndian.Uint32(block[20:]))
				edit(pkt, block[28:28+capLen])
			}
			pkt++
		}
		out = append(out, block...)
	}
	dir := t.TempDir()
	dev, err := os.ReadFile(filepath.Join(src, "device"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "device"), dev, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "capture.pcapng"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// In uru4000-4500/capture.pcapng, packet 24 submits the interrupt read that
// brings the finger (25), 28-29 set capture mode while the image read is in
// flight, and 30 completes it.
const (
	uruPacketsBeforeFinger  = 25
	uruPacketsBeforeImage   = 30
	upekFirstCaptureAnswer  = 87 // upektc_img: the first answer to the capture command
	upekAnswerTypeOffset    = 64 + 4
	childCaptureTimeout     = 1500 * time.Millisecond
	childCaptureTimeoutName = "1.5s"
)

func TestReplayTimeoutWithoutFinger(t *testing.T) {
	src := recordingDir(t, "uru4000-4500")
	dir := rewritePcap(t, src, uruPacketsBeforeFinger, nil)
	runChild(t, dir, src, "timeout")
}

func TestReplayDisconnectMidCapture(t *testing.T) {
	src := recordingDir(t, "uru4000-4500")
	dir := rewritePcap(t, src, uruPacketsBeforeImage, nil)
	runChild(t, dir, src, "disconnect")
}

func TestReplayGarbageAnswer(t *testing.T) {
	src := recordingDir(t, "upektc_img")
	dir := rewritePcap(t, src, -1, func(i int, pkt []byte) {
		if i == upekFirstCaptureAnswer {
			pkt[upekAnswerTypeOffset] = 0x55 // an answer type the protocol lacks
		}
	})
	runChild(t, dir, src, "garbage")
}

func TestManagerBusyAndReplug(t *testing.T) {
	dir := recordingDir(t, "uru4000-4500")
	runChild(t, dir, dir, "replug")
}

// hideable wraps the manager's real enumeration so that a test can take the
// device off the bus list (umockdev cannot unplug a device from a running
// replay) and put it back.
func hideable(m *Manager) *atomic.Bool {
	var hidden atomic.Bool
	real := m.list
	m.list = func() ([]*gousb.DeviceDesc, error) {
		descs, err := real()
		if err != nil || !hidden.Load() {
			return descs, err
		}
		var out []*gousb.DeviceDesc
		for _, d := range descs {
			if _, ok := lookup(uint16(d.Vendor), uint16(d.Product)); !ok {
				out = append(out, d)
			}
		}
		return out, nil
	}
	return &hidden
}

func childTimeout(t *testing.T, ctx context.Context, m *Manager) {
	s, err := m.Acquire(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cctx, cancel := context.WithTimeout(ctx, childCaptureTimeout)
	defer cancel()
	start := time.Now()
	_, err = s.Capture(cctx)
	if !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("capture without a finger: %v, want ErrTimeout", err)
	}
	if el := time.Since(start); el < childCaptureTimeout {
		t.Fatalf("capture returned after %v, before its %s deadline", el, childCaptureTimeoutName)
	}
	t.Logf("capture without a finger: %v", err)
}

func childDisconnect(t *testing.T, ctx context.Context, m *Manager) {
	hidden := hideable(m)
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-runDone; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}()

	s, err := m.Acquire(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The recording stops while the image is read; the device leaves the
	// bus as soon as the finger was seen.
	_, err = s.Capture(ctx, devices.OnFinger(func(e devices.FingerEvent) {
		if e == devices.FingerPresent {
			hidden.Store(true)
		}
	}))
	if !errors.Is(err, devices.ErrDisconnected) {
		t.Fatalf("capture with the device gone: %v, want ErrDisconnected", err)
	}
	t.Logf("capture with the device gone: %v", err)
	if n := len(m.Readers()); n != 0 {
		t.Fatalf("%d readers listed after the device left", n)
	}
}

func childGarbage(t *testing.T, ctx context.Context, m *Manager) {
	s, err := m.Acquire(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Capture(ctx)
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("capture from a device answering garbage: %v, want ErrProtocol", err)
	}
	t.Logf("capture from a device answering garbage: %v", err)
}

func childReplug(t *testing.T, ctx context.Context, m *Manager, dir string) {
	hidden := hideable(m)
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	readers := m.Readers()
	if len(readers) != 1 || readers[0].VendorID != 0x05ba || readers[0].ProductID != 0x000a {
		t.Fatalf("readers %+v, want the U.are.U 4500", readers)
	}
	path := readers[0].BusPath

	first, err := m.Acquire(ctx, "usb:05ba:000a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Acquire(ctx, ""); !errors.Is(err, devices.ErrBusy) {
		t.Fatalf("second session on a held reader: %v, want ErrBusy", err)
	}

	// Unplugged: the reader leaves the list and its session is a ghost.
	hidden.Store(true)
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Readers()); n != 0 {
		t.Fatalf("%d readers listed while unplugged", n)
	}
	if _, err := first.Capture(ctx); !errors.Is(err, devices.ErrDisconnected) {
		t.Fatalf("capture on the unplugged reader's session: %v, want ErrDisconnected", err)
	}
	if _, err := m.Acquire(ctx, ""); !errors.Is(err, devices.ErrNoDevice) {
		t.Fatalf("acquire while unplugged: %v, want ErrNoDevice", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// Plugged back: found again, opened afresh, and it captures.
	hidden.Store(false)
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	second, err := m.Acquire(ctx, "usb:"+path)
	if err != nil {
		t.Fatalf("acquire after the replug: %v", err)
	}
	defer second.Close()
	img, err := second.Capture(ctx)
	if err != nil {
		t.Fatalf("capture after the replug: %v", err)
	}
	compareWithLibfprint(t, img, dir)
}
