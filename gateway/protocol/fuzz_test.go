package protocol

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeClient: DecodeClient never panics, fails only with its
// sentinels, and what it accepts survives Encode and a second decode
// unchanged (encoding is a fixed point after one round).
func FuzzDecodeClient(f *testing.F) {
	for _, m := range samples {
		if b, err := Encode(m); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"v":1}`, `{"v":1,"type":"start"}`,
		`{"v":1,"type":"start","consent":null,"commands":null}`,
		`{"v":1,"type":"start","consent":{"accepted_at":"2026-03-02T14:14:04+05:00"}}`,
		`{"V":1,"TYPE":"cancel"}`, `{"v":1e0,"type":"cancel"}`, `{"v":1,"type":"cancel","v":2}`,
		"{\"v\":1,\"type\":\"start\",\"iin\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 3, 2, 9, 15, 4, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeClient(data)
		if err != nil {
			if m != nil {
				t.Fatalf("message %#v with error %v", m, err)
			}
			if !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrVersion) && !errors.Is(err, ErrUnknownType) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			if CodeOf(err) == CodeInternal {
				t.Fatalf("CodeOf(%v) = internal", err)
			}
			return
		}
		if s, ok := m.(*Start); ok {
			_ = s.Validate(now, StartRules{AllowFixedCommands: true}) // must not panic
		}
		b1, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", m, err)
		}
		m2, err := DecodeClient(b1)
		if err != nil {
			// Re-encoding can only grow a message past the limit by
			// escaping (e.g. "<" becomes "\u003c").
			if errors.Is(err, ErrTooLarge) {
				return
			}
			t.Fatalf("DecodeClient(Encode(m)) = %v\n%s", err, b1)
		}
		b2, err := Encode(m2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, b1, b2)
		}
	})
}
