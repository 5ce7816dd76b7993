package devices

import (
	"context"
	"fmt"
	"image"
	"time"
)

// ScanType says how a finger is presented to a fingerprint reader.
type ScanType int

const (
	// ScanPress: the finger rests on an area sensor.
	ScanPress ScanType = iota + 1
	// ScanSwipe: the finger is swiped over a line sensor and the image is
	// assembled from strips.
	ScanSwipe
)

func (s ScanType) String() string {
	switch s {
	case ScanPress:
		return "press"
	case ScanSwipe:
		return "swipe"
	}
	return fmt.Sprintf("ScanType(%d)", int(s))
}

// MarshalText makes a ScanType read as "press" or "swipe" in JSON.
func (s ScanType) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "press" or "swipe".
func (s *ScanType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "press":
		*s = ScanPress
	case "swipe":
		*s = ScanSwipe
	default:
		return fmt.Errorf("devices: unknown scan type %q", b)
	}
	return nil
}

// FingerprintInfo describes a fingerprint reader. It holds no biometric data
// and may be logged, but BusPath and Serial identify a machine's hardware:
// keep them out of client-facing messages.
type FingerprintInfo struct {
	// Backend is the scheme of the backend that drives the reader ("usb").
	Backend string `json:"backend"`
	// Driver names the protocol implementation ("uru4000", "nb1010", ...).
	Driver string `json:"driver"`
	// VendorID and ProductID are the USB ids.
	VendorID  uint16 `json:"vendor_id"`
	ProductID uint16 `json:"product_id"`
	// Product is a human-readable product name.
	Product string `json:"product"`
	// Serial is the serial number when the system exposes it, else "".
	Serial string `json:"serial,omitempty"`
	// BusPath is the stable physical position: for USB, bus and port chain
	// as sysfs names it ("1-10", "3-1.4"). It stays the same across a replug
	// into the same port.
	BusPath string `json:"bus_path"`
	// Scan says whether the finger is pressed or swiped.
	Scan ScanType `json:"scan"`
	// PPI is the nominal resolution in pixels per inch (0 if unknown).
	PPI int `json:"ppi"`
	// Width and Height are the image size in pixels when it is fixed, else 0.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
}

// FingerprintImage is one captured fingerprint: 8-bit grey, row-major, Width
// bytes per row, dark ridges on a light background. It is plain Go memory
// owned by the caller: there is nothing to release. It is biometric data:
// never log it.
type FingerprintImage struct {
	Width, Height int
	// Pix holds Width*Height grey levels.
	Pix []byte
	// PPI is the resolution of the image in pixels per inch (0 if unknown).
	PPI int
	// Time is when the capture completed.
	Time time.Time
	// Partial is true when the image is assembled from a swipe and its
	// edges may be incomplete.
	Partial bool
}

// Gray returns the image as an *image.Gray sharing Pix.
func (f *FingerprintImage) Gray() *image.Gray {
	return &image.Gray{Pix: f.Pix, Stride: f.Width, Rect: image.Rect(0, 0, f.Width, f.Height)}
}

// FingerEvent is reported while a capture runs.
type FingerEvent int

const (
	// FingerPresent: the reader noticed a finger.
	FingerPresent FingerEvent = iota + 1
	// FingerRemoved: the finger left the reader.
	FingerRemoved
)

func (e FingerEvent) String() string {
	switch e {
	case FingerPresent:
		return "finger_present"
	case FingerRemoved:
		return "finger_removed"
	}
	return fmt.Sprintf("FingerEvent(%d)", int(e))
}

// CaptureOption adjusts one Capture call.
type CaptureOption func(*CaptureOptions)

// CaptureOptions collects the options of one Capture call; backends read
// it with NewCaptureOptions.
type CaptureOptions struct {
	// OnFinger, if not nil, is called with each finger event, in order, from
	// the goroutine that runs Capture. It must return quickly and must not
	// call the reader.
	OnFinger func(FingerEvent)
}

// OnFinger asks Capture to report finger-present and finger-removed events
// to fn (called synchronously from Capture's goroutine; fn must not block).
func OnFinger(fn func(FingerEvent)) CaptureOption {
	return func(o *CaptureOptions) { o.OnFinger = fn }
}

// NewCaptureOptions applies opts to a zero CaptureOptions.
func NewCaptureOptions(opts ...CaptureOption) CaptureOptions {
	var o CaptureOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// Report calls OnFinger if set.
func (o CaptureOptions) Report(e FingerEvent) {
	if o.OnFinger != nil {
		o.OnFinger(e)
	}
}

// FingerprintReader is a fingerprint sensor held by one session.
//
// Capture blocks until a finger was placed (or swiped), imaged and lifted,
// ctx is done, or the device fails; it returns an image the caller owns.
// Errors wrap ErrTimeout (ctx deadline or a device that stopped answering),
// ErrDisconnected (the device went away), ErrClosed (after Close), or a
// protocol error for a device answering nonsense; ctx.Err() is wrapped too
// when ctx ended the capture.
//
// Capture is not safe for concurrent use. Close releases the device; it is
// idempotent and may be called from any goroutine, and a pending Capture
// then returns ErrClosed as soon as its current USB transfer ends.
type FingerprintReader interface {
	Info() FingerprintInfo
	Capture(ctx context.Context, opts ...CaptureOption) (*FingerprintImage, error)
	Close() error
}
