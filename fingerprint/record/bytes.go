package record

import (
	"encoding/binary"
	"fmt"
)

// reader walks a record big-endian. Its methods never read past the end:
// callers check need() (which names the field) before reading.
type reader struct {
	b   []byte
	off int
}

// left is how many bytes remain.
func (r *reader) left() int { return len(r.b) - r.off }

// need fails with ErrFormat naming field when fewer than n bytes remain.
func (r *reader) need(n int, field string) error {
	if n < 0 || r.left() < n {
		return fmt.Errorf("%w: %s: need %d bytes at offset %d, %d left", ErrFormat, field, n, r.off, r.left())
	}
	return nil
}

func (r *reader) u8() uint8 {
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16() uint16 {
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// u48 reads a 6-byte unsigned integer.
func (r *reader) u48() uint64 {
	hi := uint64(binary.BigEndian.Uint16(r.b[r.off:]))
	lo := uint64(binary.BigEndian.Uint32(r.b[r.off+2:]))
	r.off += 6
	return hi<<32 | lo
}

// bytes returns a copy of the next n bytes (nil for 0), so decoded values
// keep no reference to the input.
func (r *reader) bytes(n int) []byte {
	if n == 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, r.b[r.off:r.off+n])
	r.off += n
	return v
}

// appendU48 appends v as a 6-byte big-endian integer.
func appendU48(b []byte, v uint64) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(v>>32))
	return binary.BigEndian.AppendUint32(b, uint32(v))
}
