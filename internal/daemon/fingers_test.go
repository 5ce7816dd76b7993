package daemon

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/devices"
)

// The readers a client can name: the default (the folder here) and the
// USB readers /v1/devices lists, never a path of its own; a reader is
// held by one session at a time and given back when closed.
func TestFingerReadersOpen(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, image.NewGray(image.Rect(0, 0, 64, 64)))
	f.Close()
	r := &fingerReaders{spec: "dir:" + dir, held: map[string]bool{}}
	ctx := context.Background()

	for _, id := range []string{"dir:/etc", "dir:" + dir, "usb:", "usb:1-10", "../../etc/passwd"} {
		if _, err := r.Open(ctx, id); !errors.Is(err, devices.ErrNoDevice) {
			t.Errorf("Open(%q) = %v, want ErrNoDevice: only the default and listed readers", id, err)
		}
	}
	a, err := r.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ctx, "default"); !errors.Is(err, devices.ErrBusy) {
		t.Errorf("a second session: %v, want ErrBusy", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Close() // idempotent
	b, err := r.Open(ctx, "")
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	defer b.Close()
	if img, err := b.Capture(ctx); err != nil || img.Width != 64 {
		t.Errorf("Capture = %v, %v", img, err)
	}

	none := &fingerReaders{held: map[string]bool{}}
	if _, err := none.Open(ctx, ""); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("no default reader: %v", err)
	}
	usb := &fingerReaders{spec: "usb:", held: map[string]bool{}}
	if _, err := usb.Open(ctx, ""); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("usb: without --fingerprint: %v", err)
	}
}
