package relay_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
)

func TestWireFormat(t *testing.T) {
	// The bytes the protocol document shows: a change here breaks clients.
	got := relay.AppendMessage(nil, relay.Header{Seq: 0x01020304, CaptureMillis: 0x0000018E_2B3C4D5E}, []byte{0xFF, 0xD8, 0xFF, 0xAA, 0xFF, 0xD9})
	want := "4247" + "01" + "00" + "01020304" + "0000018e2b3c4d5e" + "ffd8ffaaffd9"
	if hex.EncodeToString(got) != want {
		t.Fatalf("message\n got %x\nwant %s", got, want)
	}
	if relay.HeaderLen != 16 {
		t.Fatalf("HeaderLen %d", relay.HeaderLen)
	}
}

func TestRoundTrip(t *testing.T) {
	jpeg := fakeJPEG(1000, 0x5A)
	for _, h := range []relay.Header{
		{},
		{Seq: 1, CaptureMillis: 1_700_000_000_123},
		{Flags: 0x81, Seq: math.MaxUint32, CaptureMillis: math.MaxInt64},
		{Seq: 7, CaptureMillis: -1}, // a client clock before 1970
		{Seq: 8, CaptureMillis: math.MinInt64},
	} {
		prefix := []byte("keep")
		msg := relay.AppendMessage(prefix, h, jpeg)
		if !bytes.Equal(msg[:4], []byte("keep")) || len(msg) != 4+relay.HeaderLen+len(jpeg) {
			t.Fatalf("%+v: AppendMessage did not append: %d bytes", h, len(msg))
		}
		got, payload, err := relay.ParseMessage(msg[4:])
		if err != nil {
			t.Fatalf("%+v: %v", h, err)
		}
		if got != h || !bytes.Equal(payload, jpeg) {
			t.Errorf("round trip of %+v: got %+v and %d bytes", h, got, len(payload))
		}
		if got.CaptureTime().UnixMilli() != h.CaptureMillis {
			t.Errorf("CaptureTime of %d: %v", h.CaptureMillis, got.CaptureTime())
		}
	}
}

func TestMalformedMessages(t *testing.T) {
	good := message(1, 64)
	with := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	header := good[:relay.HeaderLen]
	jpeg := func(b ...byte) []byte { return append(bytes.Clone(header), b...) }
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, relay.ErrShortMessage},
		{"one byte", []byte{'B'}, relay.ErrShortMessage},
		{"header less one", good[:relay.HeaderLen-1], relay.ErrShortMessage},
		{"bad magic", with(0, 'X'), relay.ErrBadMagic},
		{"bad magic second byte", with(1, 'g'), relay.ErrBadMagic},
		{"raw JPEG without header", fakeJPEG(64, 1), relay.ErrBadMagic},
		{"text frame", []byte(`{"type":"frame","seq":1}`), relay.ErrBadMagic},
		{"version 0", with(2, 0), relay.ErrVersion},
		{"version 2", with(2, 2), relay.ErrVersion},
		{"header only", bytes.Clone(header), relay.ErrNotJPEG},
		{"overlapping markers", jpeg(0xFF, 0xD8, 0xFF, 0xD9), relay.ErrNotJPEG},
		{"no SOI", with(relay.HeaderLen, 0x00), relay.ErrNotJPEG},
		{"SOI without marker", with(relay.HeaderLen+2, 0x00), relay.ErrNotJPEG},
		{"PNG", jpeg(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A), relay.ErrNotJPEG},
		{"truncated", good[:len(good)-1], relay.ErrNotJPEG},
		{"bytes after EOI", append(bytes.Clone(good), 0), relay.ErrNotJPEG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := relay.ParseMessage(tt.msg); !errors.Is(err, tt.want) {
				t.Fatalf("ParseMessage: %v, want %v", err, tt.want)
			}
			cam := newCamera(t, relay.Config{})
			if err := cam.Push(tt.msg); !errors.Is(err, tt.want) {
				t.Fatalf("Push: %v, want %v", err, tt.want)
			}
			s := cam.Stats()
			if s.Received != 1 || s.Rejected.Total() != 1 || s.Accepted != 0 || s.Queued != 0 {
				t.Errorf("stats %+v", s)
			}
			cam.End()
			if f, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
				f.Close()
				t.Errorf("Read after a rejected message and End: %v, want end of stream", err)
			}
		})
	}
	// The counters say which reason.
	cam := newCamera(t, relay.Config{MaxFrameBytes: 64})
	for _, tt := range tests {
		cam.Push(tt.msg)
	}
	cam.Push(message(2, 65))
	want := relay.Rejections{Short: 3, BadMagic: 4, Version: 2, NotJPEG: 7, TooLarge: 1}
	if got := cam.Stats().Rejected; got != want {
		t.Errorf("rejections %+v, want %+v", got, want)
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add(message(1, 64))
	f.Add(message(0, 20))
	f.Add(relay.AppendMessage(nil, relay.Header{Seq: 2}, []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0xFF, 0xC0, 0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x75, 0x30, 0x75, 0x30, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9}))
	f.Add([]byte("BG\x01\x00"))
	f.Add(relay.AppendMessage(nil, relay.Header{Flags: 0xFF, Seq: math.MaxUint32, CaptureMillis: -1}, []byte{0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xD9}))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, jpeg, err := relay.ParseMessage(b)
		if err != nil {
			for _, s := range []error{relay.ErrShortMessage, relay.ErrBadMagic, relay.ErrVersion, relay.ErrNotJPEG} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		if again := relay.AppendMessage(nil, h, jpeg); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x\n        from %x", again, b)
		}
		// The frame header check, on every well framed payload: a size
		// or ErrNotJPEG, never a panic or a read past the end.
		w, ht, err := relay.JPEGSize(jpeg)
		switch {
		case err != nil && !errors.Is(err, relay.ErrNotJPEG):
			t.Fatalf("JPEGSize error without ErrNotJPEG: %v", err)
		case err == nil && (w < 1 || ht < 1 || w > 65535 || ht > 65535):
			t.Fatalf("JPEGSize %dx%d", w, ht)
		}
	})
}
