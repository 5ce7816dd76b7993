package evidence

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Published keys: one row per gateway, replaced by its next publication,
// listed by gateway id, kept byte for byte; bad publications are refused.
func testPublishedKeys(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	if got, err := s.PublishedKeys(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)
	pubs := []PublishedKeys{
		{Gateway: "gw-b", JWKS: []byte(`{"keys":[{"kid":"b1"}]}`), Tag: []byte{1, 2, 3}, At: at},
		{Gateway: "gw-a", JWKS: []byte(`{"keys":[{"kid":"a1"}]}`), Tag: []byte{0, 0xff}, At: at},
		{Gateway: "gw-b", JWKS: []byte(`{"keys":[{"kid":"b1"},{"kid":"b2"}]}`), Tag: []byte{4}, At: at.Add(time.Minute)},
	}
	for _, p := range pubs {
		if err := s.PublishKeys(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PublishedKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []PublishedKeys{pubs[1], pubs[2]}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Gateway != w.Gateway || !bytes.Equal(g.JWKS, w.JWKS) || !bytes.Equal(g.Tag, w.Tag) || !g.At.Equal(w.At) {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range []PublishedKeys{
		{Gateway: "", JWKS: []byte("{}"), Tag: []byte{1}},
		{Gateway: "a/b", JWKS: []byte("{}"), Tag: []byte{1}},
		{Gateway: "gw", JWKS: nil, Tag: []byte{1}},
		{Gateway: "gw", JWKS: []byte(strings.Repeat("x", maxPublishedJWKS+1)), Tag: []byte{1}},
		{Gateway: "gw", JWKS: []byte("{}")},
	} {
		if err := s.PublishKeys(ctx, bad); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("PublishKeys(%q, %d bytes, tag %d bytes): %v, want ErrInvalidRecord", bad.Gateway, len(bad.JWKS), len(bad.Tag), err)
		}
	}
}
