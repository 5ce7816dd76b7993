package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// TestLockoutMemoryAgreesWithStore feeds the same failures to the
// in-memory failures (no Config.Evidence), read as the gateway reads them,
// and to a real SQLite evidence store (its own LockedFor), and checks that
// both lock the subject for as long, at every moment around the window's
// edges.
func TestLockoutMemoryAgreesWithStore(t *testing.T) {
	ctx := context.Background()
	store, err := evidence.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "evidence.db"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const window, max = 15 * time.Minute, 3
	mem := memFailures{newWindow(window)}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := "hmac-of-an-iin"
	// The gateway's reading of the in-memory failures (Server.lockout).
	lockedFor := func(f Failures, now time.Time) (time.Duration, error) {
		ts, err := f.Failures(ctx, key, now.Add(-window))
		return evidence.Lockout(ts, now, window, max), err
	}
	failures := []time.Duration{0, 4 * time.Minute, 9 * time.Minute, 17 * time.Minute, 30 * time.Minute, 31 * time.Minute}
	// Checks every 30 s and just around each failure's window edge, in
	// time order as a gateway's clock runs (the memory forgets failures
	// once a check has seen them out of the window).
	var checks []time.Duration
	for d := time.Duration(0); d < 50*time.Minute; d += 30 * time.Second {
		checks = append(checks, d)
	}
	for _, f := range failures {
		checks = append(checks, f+window-time.Nanosecond, f+window, f+window+time.Nanosecond)
	}
	slices.Sort(checks)
	locked, next := 0, 0
	for _, at := range checks {
		for ; next < len(failures) && failures[next] <= at; next++ {
			for _, f := range []Failures{mem, store} {
				if err := f.Failure(ctx, key, t0.Add(failures[next])); err != nil {
					t.Fatal(err)
				}
			}
		}
		now := t0.Add(at)
		dm, err := lockedFor(mem, now)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := store.LockedFor(ctx, key, now, window, max)
		if err != nil {
			t.Fatal(err)
		}
		if dm != ds {
			t.Fatalf("at +%v, after %d failures: memory locks for %v, store for %v", at, next, dm, ds)
		}
		if dm > 0 {
			locked++
		}
	}
	if locked == 0 {
		t.Fatal("the subject was never locked: the test checks nothing")
	}
	// A failure in the future of now (a skewed clock) counts in neither.
	key = "hmac-of-another-iin"
	for _, f := range []Failures{mem, store} {
		for _, at := range []time.Duration{-2 * time.Minute, -time.Minute, time.Minute} {
			if err := f.Failure(ctx, key, t0.Add(at)); err != nil {
				t.Fatal(err)
			}
		}
		if d, err := lockedFor(f, t0); err != nil || d != 0 {
			t.Errorf("%T: a future failure counted: locked for %v, %v", f, d, err)
		}
	}
}

// flakyHolds refuses the first release it is asked for, as a store that
// is restarting does.
type flakyHolds struct {
	Holds
	mu      sync.Mutex
	refused int
}

func (f *flakyHolds) Release(ctx context.Context, key, holder string) error {
	f.mu.Lock()
	if f.refused == 0 {
		f.refused++
		f.mu.Unlock()
		return errors.New("store restarting")
	}
	f.mu.Unlock()
	return f.Holds.Release(ctx, key, holder)
}

// A lease the store would not release when the session ended is released
// by a retry within seconds, not left to run out (SessionSeconds plus a
// minute): the IIN can start again (found by the soak harness, whose
// IINs waited minutes after a PostgreSQL restart).
func TestLeaseReleaseIsRetried(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 3, Verdict: outcome.Live}, nil)
	flaky := &flakyHolds{Holds: h.srv.holds}
	h.srv.holds = flaky
	c := h.dial(keyAll)
	c.relaySession(validIIN, 3)
	if res := c.wantResult(); res.Decision != protocol.DecisionMatch {
		t.Fatalf("result %+v", res)
	}
	if flaky.refused != 1 {
		t.Fatalf("%d releases refused, want 1", flaky.refused)
	}
	deadline := time.Now().Add(3 * releaseRetry)
	for {
		c := h.dial(keyAll)
		c.send(startMsg(validIIN, protocol.CameraRelay))
		m := c.skip()
		if st, ok := m.(*protocol.State); ok && st.State == protocol.StateCapturing {
			return // admitted: the lease was released
		}
		if e, ok := m.(*protocol.ErrorMessage); !ok || e.Code != protocol.CodeIINInSession {
			t.Fatalf("got %#v, want capturing or iin_in_session", m)
		}
		if time.Now().After(deadline) {
			t.Fatal("the IIN is still held after three retry periods")
		}
		time.Sleep(releaseRetry / 4)
	}
}
