package daemon

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway"
)

// fingerReaders opens the readers of finger sessions: the USB readers the
// daemon polls (--fingerprint), by the ids /v1/devices lists, and the
// default reader --finger-reader names ("usb:", "usb:1-10", or a folder
// "dir:PATH?ppi=N" for tests and demonstrations). A client can name only
// those: never a path of its own. One session holds a reader at a time:
// the USB manager claims its readers, and this type holds the folder.
type fingerReaders struct {
	usb  *readers // nil without --fingerprint
	spec string   // the default reader

	mu   sync.Mutex
	held map[string]bool // non-USB specs held by a session
}

var _ gateway.FingerReaders = (*fingerReaders)(nil)

// Open implements gateway.FingerReaders.
func (f *fingerReaders) Open(ctx context.Context, id string) (devices.FingerprintReader, error) {
	spec := id
	if id == "" || id == "default" {
		spec = f.spec
	} else if !f.listed(id) {
		return nil, fmt.Errorf("%w: no fingerprint reader %q", devices.ErrNoDevice, id)
	}
	if spec == "" {
		return nil, fmt.Errorf("%w: no --finger-reader", devices.ErrNoDevice)
	}
	if spec == "usb:" || strings.HasPrefix(spec, "usb:") {
		if f.usb == nil {
			return nil, fmt.Errorf("%w: USB readers are not polled (no --fingerprint)", devices.ErrNoDevice)
		}
		if spec == "usb:" {
			spec = "" // the first reader
		}
		return f.usb.m.Acquire(ctx, spec)
	}
	scheme, _, err := devices.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.held[spec] {
		f.mu.Unlock()
		return nil, fmt.Errorf("fingerprint reader %s: %w", scheme, devices.ErrBusy)
	}
	f.held[spec] = true
	f.mu.Unlock()
	r, err := devices.OpenFingerprintReader(ctx, spec)
	if err != nil {
		f.release(spec)
		return nil, err
	}
	return &heldReader{FingerprintReader: r, release: func() { f.release(spec) }}, nil
}

// listed reports whether id is a USB reader /v1/devices lists.
func (f *fingerReaders) listed(id string) bool {
	if f.usb == nil {
		return false
	}
	for _, d := range f.usb.Devices() {
		if d.ID == id {
			return true
		}
	}
	return false
}

func (f *fingerReaders) release(spec string) {
	f.mu.Lock()
	delete(f.held, spec)
	f.mu.Unlock()
}

// heldReader gives its reader back to fingerReaders when closed.
type heldReader struct {
	devices.FingerprintReader
	once    sync.Once
	release func()
}

func (h *heldReader) Close() error {
	err := h.FingerprintReader.Close()
	h.once.Do(h.release)
	return err
}
