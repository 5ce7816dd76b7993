package devices

import (
	"fmt"
	"sync"
	"time"
)

// PixelFormat says how Frame.Data is laid out.
type PixelFormat int

const (
	// BGR24 is 8-bit blue, green, red, interleaved, row-major (OpenCV's
	// default), with Stride bytes per row.
	BGR24 PixelFormat = iota + 1
	// Gray8 is 8-bit luminance, row-major, with Stride bytes per row.
	Gray8
	// JPEG is a compressed JPEG image; Width and Height may be 0 until it is
	// decoded. Relay cameras deliver this.
	JPEG
)

func (p PixelFormat) String() string {
	switch p {
	case BGR24:
		return "bgr24"
	case Gray8:
		return "gray8"
	case JPEG:
		return "jpeg"
	}
	return fmt.Sprintf("PixelFormat(%d)", int(p))
}

// Frame is one image from a Camera.
//
// Data is valid until Close. Whoever holds a Frame closes it exactly once or
// hands it on and says so; Close is idempotent and safe to call from any
// goroutine. After Close, Data is nil and must not be used: the backend may
// reuse the buffer for a later frame.
type Frame struct {
	// Seq numbers frames from one source, starting at 0, without gaps at the
	// source (a gap downstream means a drop).
	Seq uint64
	// Time is when the frame was captured; for recordings, the open time
	// plus the frame's position in the recording.
	Time time.Time
	// Source is the Info.ID of the camera that produced it.
	Source string
	// Format, Width, Height and Stride describe Data.
	Format        PixelFormat
	Width, Height int
	Stride        int
	Data          []byte
	// Relay is what the relay socket knows about the frame (client
	// capture time and sequence number, arrival, message size); nil for
	// frames that did not come through the relay. Set by SetRelay;
	// immutable once the frame is handed on.
	Relay *RelayMeta
	relay RelayMeta // Relay's storage: the metadata costs no allocation

	once    sync.Once
	release func([]byte)
}

// NewFrame makes a frame over data. release, if not nil, is called once with
// data when the frame is closed, so a backend can recycle the buffer.
func NewFrame(seq uint64, t time.Time, source string, format PixelFormat, w, h, stride int, data []byte, release func([]byte)) *Frame {
	return &Frame{Seq: seq, Time: t, Source: source, Format: format, Width: w, Height: h, Stride: stride, Data: data, release: release}
}

// Close releases the frame's buffer. It is idempotent.
func (f *Frame) Close() error {
	if f == nil {
		return nil
	}
	f.once.Do(func() {
		if f.release != nil {
			f.release(f.Data)
		}
		f.Data = nil
	})
	return nil
}

// Validate reports whether the frame's geometry is consistent with its data,
// so that consumers can reject a malformed frame before handing it to native
// code that would abort on it.
func (f *Frame) Validate() error {
	if f == nil || len(f.Data) == 0 {
		return fmt.Errorf("%w: empty frame", ErrBadFrame)
	}
	switch f.Format {
	case JPEG:
		return nil
	case BGR24, Gray8:
		bpp := 3
		if f.Format == Gray8 {
			bpp = 1
		}
		if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width*bpp {
			return fmt.Errorf("%w: bad geometry %dx%d stride %d", ErrBadFrame, f.Width, f.Height, f.Stride)
		}
		if len(f.Data) < f.Stride*(f.Height-1)+f.Width*bpp {
			return fmt.Errorf("%w: %d bytes for %dx%d", ErrBadFrame, len(f.Data), f.Width, f.Height)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown pixel format %v", ErrBadFrame, f.Format)
}
