package wsq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"testing"
)

// segmentAt returns the offset of the first segment with marker m in a
// well-formed stream (walking the segments, not searching bytes).
func segmentAt(t *testing.T, data []byte, m uint16) int {
	t.Helper()
	for p := 2; p+4 <= len(data); {
		mk := binary.BigEndian.Uint16(data[p:])
		if mk == m {
			return p
		}
		if mk == markerSOB {
			t.Fatalf("no %s before the first block", markerName(m))
		}
		p += 2 + int(binary.BigEndian.Uint16(data[p+2:]))
	}
	t.Fatalf("no %s segment", markerName(m))
	return 0
}

// patched returns a copy of data with b written at offset off.
func patched(data []byte, off int, b ...byte) []byte {
	c := bytes.Clone(data)
	copy(c[off:], b)
	return c
}

func TestMalformed(t *testing.T) {
	data, _ := nistSample(t)
	sof := segmentAt(t, data, markerSOF)
	dtt := segmentAt(t, data, markerDTT)
	dqt := segmentAt(t, data, markerDQT)
	dht := segmentAt(t, data, markerDHT)
	sob := segmentAt(t, data, markerSOB)
	tests := []struct {
		name   string
		data   []byte
		header bool // the error is in the headers: ReadInfo fails too
	}{
		{"empty", nil, true},
		{"one byte", data[:1], true},
		{"SOI only", data[:2], true},
		{"cut in comment", data[:100], true},
		{"cut in transform table", data[:dtt+20], true},
		{"cut in frame header", data[:sof+10], true},
		{"cut after frame header", data[:sof+19], false},
		{"cut in block header", data[:sob+3], false},
		{"cut in first block", data[:sob+5000], false},
		{"cut in last block", data[:len(data)-100], false},
		{"no EOI", data[:len(data)-2], false},
		{"half EOI", data[:len(data)-1], false},
		{"JPEG", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16}, true},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00"), true},
		{"wrong marker before frame", patched(data, dtt, 0xff, 0xa3), true},
		{"unknown marker", patched(data, dqt, 0xff, 0xb0), true},
		{"width 0", patched(data, sof+8, 0, 0), true},
		{"width 1", patched(data, sof+8, 0, 1), true},
		{"width 60000", patched(data, sof+8, 0xea, 0x60), true},
		{"height 65535", patched(data, sof+6, 0xff, 0xff), true},
		{"frame length 3", patched(data, sof+2, 0, 3), true},
		{"segment length 1", patched(data, dtt+2, 0, 1), true},
		{"segment longer than stream", patched(data, dqt+2, 0xff, 0xff), true},
		{"even filter", patched(data, dtt+4, 8), false},
		{"63-tap filter", patched(data, dtt+5, 63), false},
		{"Huffman table id 9", patched(data, dht+4, 9), false},
		// The sample's first table has 0, 0, 3 codes of 1-3 bits: 2, 0, 1
		// keeps the number of codes and leaves no room after the first two.
		{"Huffman counts oversubscribed", patched(data, dht+5, 2, 0, 1), false},
		{"Huffman table too long", patched(data, dht+5, 0, 0, 255, 255), false},
		{"undefined Huffman table", patched(data, sob+4, 5), false},
		{"block header length", patched(data, sob+2, 0, 4), false},
		{"garbage block", patched(data, sob+5, bytes.Repeat([]byte{0xff, 0x00}, 50)...), false},
		{"marker in block", patched(data, sob+200, 0xff, 0xa0), false},
		{"no quantization table", patched(data, dqt, 0xff, 0xa8), false},
		{"all subbands dropped", patched(data, dqt+4, bytes.Repeat([]byte{0}, quantLen)...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tt.data))
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Decode = %v, %v; want an ErrFormat error", img != nil, err)
			}
			t.Logf("Decode: %v", err)
			_, err = ReadInfo(bytes.NewReader(tt.data))
			if tt.header && !errors.Is(err, ErrFormat) {
				t.Errorf("ReadInfo = %v, want an ErrFormat error", err)
			}
			if !tt.header && err != nil {
				t.Errorf("ReadInfo = %v, want no error: the headers are sound", err)
			}
		})
	}
}

func TestMalformedThroughImageDecode(t *testing.T) {
	data, _ := nistSample(t)
	if _, _, err := image.Decode(bytes.NewReader(data[:len(data)/2])); !errors.Is(err, ErrFormat) {
		t.Errorf("image.Decode of half a stream = %v, want ErrFormat", err)
	}
}

// errReader fails after its bytes: a transport error is not ErrFormat.
type errReader struct{ b []byte }

var errTransport = errors.New("connection reset")

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errTransport
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadError(t *testing.T) {
	data, _ := nistSample(t)
	if _, err := Decode(&errReader{data[:500]}); !errors.Is(err, errTransport) || errors.Is(err, ErrFormat) {
		t.Errorf("Decode = %v, want the reader's error", err)
	}
	if _, err := ReadInfo(&errReader{data[:100]}); !errors.Is(err, errTransport) || errors.Is(err, ErrFormat) {
		t.Errorf("ReadInfo = %v, want the reader's error", err)
	}
}
