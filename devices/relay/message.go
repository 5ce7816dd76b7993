package relay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Wire constants of version 1; the package comment describes the format.
const (
	// HeaderLen is the length in bytes of a message header.
	HeaderLen = 16
	// Version is the only protocol version this package reads and writes.
	Version = 1
	// Magic is the message's first two bytes.
	Magic = "BG"
	// minJPEG is the shortest payload that has SOI, a marker byte and EOI
	// without the markers overlapping.
	minJPEG = 5
)

// Sentinel errors of ParseMessage and Push, for errors.Is. The wrapped
// error's text adds detail for logs; it holds no image data.
var (
	// ErrShortMessage: the message is shorter than a header.
	ErrShortMessage = errors.New("relay: message shorter than its header")
	// ErrBadMagic: the message does not start with "BG".
	ErrBadMagic = errors.New("relay: not a relay frame message")
	// ErrVersion: the header's version is not Version.
	ErrVersion = errors.New("relay: unsupported message version")
	// ErrNotJPEG: the payload does not start with FF D8 FF and end with
	// FF D9.
	ErrNotJPEG = errors.New("relay: payload is not a JPEG")
	// ErrTooLarge: the JPEG is over Config.MaxFrameBytes, or its frame
	// header declares more than Config.MaxFramePixels pixels.
	ErrTooLarge = errors.New("relay: frame too large")
	// ErrTooFast: the client sends over Config.MaxFPS.
	ErrTooFast = errors.New("relay: frames sent too fast")
	// ErrSequence: the sequence number did not increase (a duplicate or out
	// of order frame).
	ErrSequence = errors.New("relay: sequence number did not increase")
	// ErrStopped: the camera was ended, disconnected or closed and accepts no
	// more frames.
	ErrStopped = errors.New("relay: camera no longer accepts frames")
)

// Header is the fixed part of a frame message.
type Header struct {
	// Flags are the header's flag bits; version 1 defines none.
	Flags uint8
	// Seq is the client's frame number.
	Seq uint32
	// CaptureMillis is when the client captured the frame, in Unix
	// milliseconds on the client's clock (untrusted).
	CaptureMillis int64
}

// CaptureTime returns CaptureMillis as a time.
func (h Header) CaptureTime() time.Time { return time.UnixMilli(h.CaptureMillis) }

// ParseMessage splits a frame message into its header and JPEG. The JPEG
// aliases b. Errors wrap ErrShortMessage, ErrBadMagic, ErrVersion or
// ErrNotJPEG; size and rate are the Camera's to check.
func ParseMessage(b []byte) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrShortMessage, len(b), HeaderLen)
	}
	if b[0] != Magic[0] || b[1] != Magic[1] {
		return Header{}, nil, fmt.Errorf("%w: starts % X", ErrBadMagic, b[:2])
	}
	if b[2] != Version {
		return Header{}, nil, fmt.Errorf("%w: %d, want %d", ErrVersion, b[2], Version)
	}
	h := Header{
		Flags:         b[3],
		Seq:           binary.BigEndian.Uint32(b[4:8]),
		CaptureMillis: int64(binary.BigEndian.Uint64(b[8:16])),
	}
	jpeg := b[HeaderLen:]
	if err := checkJPEG(jpeg); err != nil {
		return Header{}, nil, err
	}
	return h, jpeg, nil
}

// checkJPEG checks the framing of a JPEG, not its content.
func checkJPEG(j []byte) error {
	n := len(j)
	switch {
	case n < minJPEG:
		return fmt.Errorf("%w: %d bytes", ErrNotJPEG, n)
	case j[0] != 0xFF || j[1] != 0xD8 || j[2] != 0xFF:
		return fmt.Errorf("%w: no start of image marker", ErrNotJPEG)
	case j[n-2] != 0xFF || j[n-1] != 0xD9:
		return fmt.Errorf("%w: no end of image marker (truncated?)", ErrNotJPEG)
	}
	return nil
}

// AppendMessage appends the message for h and jpeg to dst and returns the
// extended slice. It writes what it is given: a client should pass a
// complete JPEG and Flags 0.
func AppendMessage(dst []byte, h Header, jpeg []byte) []byte {
	dst = append(dst, Magic[0], Magic[1], Version, h.Flags)
	dst = binary.BigEndian.AppendUint32(dst, h.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.CaptureMillis))
	return append(dst, jpeg...)
}

// JPEGSize returns the width and height a JPEG's frame header (SOF) says,
// reading only the marker segments before it: a decoder allocates for that
// size, so a frame is judged by it before anything decodes it. j must be
// framed as ParseMessage checks. An error wraps ErrNotJPEG: a segment that
// runs past the end, a scan (SOS) or the end (EOI) before any frame
// header, or a frame header with a zero size (a height defined later by a
// DNL marker, which no camera writes).
func JPEGSize(j []byte) (width, height int, err error) {
	i := 2 // after SOI
	for {
		// A marker: FF, any fill FFs, then its code.
		if i >= len(j) || j[i] != 0xFF {
			return 0, 0, fmt.Errorf("%w: no marker at byte %d", ErrNotJPEG, i)
		}
		for i < len(j) && j[i] == 0xFF {
			i++
		}
		if i >= len(j) {
			return 0, 0, fmt.Errorf("%w: ends inside a marker", ErrNotJPEG)
		}
		m := j[i]
		i++
		switch {
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // TEM, RSTn: no length
			continue
		case m == 0xD9 || m == 0xDA:
			return 0, 0, fmt.Errorf("%w: no frame header before the %s", ErrNotJPEG, map[byte]string{0xD9: "end of image", 0xDA: "scan"}[m])
		}
		if i+2 > len(j) {
			return 0, 0, fmt.Errorf("%w: ends inside segment %02X's length", ErrNotJPEG, m)
		}
		n := int(binary.BigEndian.Uint16(j[i:]))
		if n < 2 || i+n > len(j) {
			return 0, 0, fmt.Errorf("%w: segment %02X of %d bytes runs past the end", ErrNotJPEG, m, n)
		}
		if sof(m) {
			if n < 8 {
				return 0, 0, fmt.Errorf("%w: frame header of %d bytes", ErrNotJPEG, n)
			}
			height = int(binary.BigEndian.Uint16(j[i+3:]))
			width = int(binary.BigEndian.Uint16(j[i+5:]))
			if width == 0 || height == 0 {
				return 0, 0, fmt.Errorf("%w: frame header says %dx%d pixels", ErrNotJPEG, width, height)
			}
			return width, height, nil
		}
		i += n
	}
}

// sof reports whether marker m starts a frame header: SOF0-SOF15 but DHT
// (C4), JPG (C8) and DAC (CC).
func sof(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC
}
