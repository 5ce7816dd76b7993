package gateway

import (
	"strings"
	"testing"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// TestCapacity: the caps on waiting connections and running sessions,
// overall before per key; a refused start leaves its connection waiting;
// close gives back the right place.
func TestCapacity(t *testing.T) {
	c := newCapacity(Config{MaxPending: 3, MaxPendingPerKey: 2, MaxSessions: 2, MaxSessionsPerKey: 1})
	want := func(got, ref *refusal) {
		t.Helper()
		if got != ref {
			t.Fatalf("got %+v, want %+v", got, ref)
		}
	}
	want(c.open("a"), nil)
	want(c.open("a"), nil)
	want(c.open("a"), refusedKeyPending)
	want(c.open("b"), nil)
	want(c.open("b"), refusedPending) // 3 waiting: the overall cap first

	want(c.start("a"), nil)
	want(c.start("a"), refusedKeySessions) // still waiting
	want(c.open("c"), nil)                 // a's start left a place
	want(c.start("b"), nil)
	want(c.start("c"), refusedSessions)
	if c.pending != 2 || c.running != 2 || c.keyPending["a"] != 1 || c.keyRunning["a"] != 1 {
		t.Fatalf("pending %d running %d, a: %d waiting %d running", c.pending, c.running, c.keyPending["a"], c.keyRunning["a"])
	}
	c.close("a", true)
	want(c.start("c"), nil)
	c.close("a", false)
	c.close("b", true)
	c.close("c", true)
	if c.pending != 0 || c.running != 0 || len(c.keyPending) != 0 || len(c.keyRunning) != 0 {
		t.Errorf("after every close: %+v", c)
	}
	if refusedKeyPending.code != protocol.CodeKeyBusy || refusedPending.code != protocol.CodeBusy {
		t.Error("refusal codes")
	}
}

// TestCapDefaults: the per-key caps default to half, at least 1, and
// never exceed the overall cap; waiting connections to 4 per session.
func TestCapDefaults(t *testing.T) {
	for _, tc := range []struct {
		in                                 Config
		sessions, perKey, pending, pendKey int
	}{
		{Config{}, 16, 8, 64, 32},
		{Config{MaxSessions: 1}, 1, 1, 4, 2},
		{Config{MaxSessions: 2, MaxSessionsPerKey: 4, MaxPending: 1}, 2, 2, 1, 1},
		{Config{MaxSessions: 5, MaxSessionsPerKey: 3, MaxPendingPerKey: 7}, 5, 3, 20, 7},
	} {
		tc.in.Keys, tc.in.BIN = testKeys(t), testBINValue(t)
		c, err := tc.in.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxSessions != tc.sessions || c.MaxSessionsPerKey != tc.perKey || c.MaxPending != tc.pending || c.MaxPendingPerKey != tc.pendKey {
			t.Errorf("%+v: sessions %d/%d pending %d/%d", tc.in, c.MaxSessions, c.MaxSessionsPerKey, c.MaxPending, c.MaxPendingPerKey)
		}
	}
	if _, err := (Config{Keys: testKeys(t), BIN: testBINValue(t), MaxSessionsPerKey: -1}).withDefaults(); err == nil {
		t.Error("a negative cap was accepted")
	}
}

func testKeys(t *testing.T) Keys {
	t.Helper()
	k, err := ParseKeys(strings.NewReader(keyAll + " relay\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testBINValue(t *testing.T) iin.BIN {
	t.Helper()
	b, err := iin.ParseBIN(testBIN)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
