// Package devices is the contract between biogate and the hardware it drives:
// cameras that deliver frames (Camera, Frame) and fingerprint readers that
// deliver grey images (FingerprintReader, FingerprintImage). It holds no
// implementation. Camera backends live in sub-packages (devices/gocvcam,
// devices/imagedir, devices/relay) and register themselves by scheme at init
// time; a caller opens a camera with a spec such as "file:clip.mp4" or
// "v4l2:/dev/v4l/by-id/usb-Logitech-video-index0". Fingerprint backends
// register the same way (devices/usbfp as "usb", devices/imagedir as "dir"),
// opened with OpenFingerprintReader and a spec such as "usb:1-10" (a bus
// path); a daemon that shares readers between sessions uses devices/usbfp's
// Manager instead, which owns the bus and hands one reader to one session
// at a time. BufferPool is the frame-buffer free list camera backends share.
//
// This package imports only the standard library.
package devices

import (
	"context"
	"errors"
)

// Sentinel errors that callers branch on with errors.Is. Backends wrap them
// with %w and add detail for logs; that detail (device paths, pipelines) must
// not be shown to end users.
var (
	// ErrNoDevice: the named device does not exist or cannot be opened.
	ErrNoDevice = errors.New("devices: no such device")
	// ErrEndOfStream: a finite source (a file, a folder) has no more frames.
	// It is the normal end of a recording, not a failure.
	ErrEndOfStream = errors.New("devices: end of stream")
	// ErrDisconnected: a live device went away (unplugged, node removed).
	ErrDisconnected = errors.New("devices: disconnected")
	// ErrTimeout: the device did not deliver within its deadline.
	ErrTimeout = errors.New("devices: timeout")
	// ErrBusy: the device is in use by another session or process.
	ErrBusy = errors.New("devices: busy")
	// ErrBadFrame: one frame could not be decoded (a corrupt image in a
	// folder, a truncated JPEG from a relay). The device stays usable: the
	// caller may skip the frame and read on.
	ErrBadFrame = errors.New("devices: bad frame")
	// ErrUnknownBackend: a spec names a scheme no backend registered.
	ErrUnknownBackend = errors.New("devices: unknown backend")
	// ErrClosed: Read was called on a closed device.
	ErrClosed = errors.New("devices: closed")
)

// Info describes an opened camera. It holds no biometric data and may be
// logged, but ID can be a device path: keep it out of client-facing messages.
type Info struct {
	// Backend is the scheme the camera was opened with ("v4l2", "file", ...).
	Backend string
	// ID is the stable source id: a device path, a by-id link, a file path.
	ID string
	// Name is a human-readable product or file name.
	Name string
	// Width and Height are the nominal frame size in pixels (0 if unknown).
	Width, Height int
	// FPS is the nominal frame rate (0 if unknown).
	FPS float64
	// Live is true for sources that produce frames in real time whether or
	// not they are read (cameras, pipelines). A consumer of a live source
	// should drop stale frames; a non-live source (file, folder) waits for
	// its reader, so every frame can be processed.
	Live bool
}

// Camera is a source of frames.
//
// Read blocks until the next frame is available, ctx is done, or the device
// fails. The returned frame is owned by the caller, who must Close it exactly
// once (Close is idempotent). Read returns ErrEndOfStream at the end of a
// finite source, ErrDisconnected when a live device goes away, ErrBadFrame
// for one undecodable frame (reading on is allowed), and ctx.Err() wrapped
// when cancelled.
//
// Read is not safe for concurrent use; one goroutine reads. Close may be
// called from any goroutine, unblocks a pending Read where the backend can,
// and is idempotent. Frames already handed out stay valid after Close.
type Camera interface {
	Info() Info
	Read(ctx context.Context) (*Frame, error)
	Close() error
}
