package idec

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is a Config.Clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 7, 12, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestBreakerStateMachine(t *testing.T) {
	clock := newFakeClock()
	b := newBreaker(BreakerConfig{FailureThreshold: 3, OpenFor: 10 * time.Second}, clock.Now)
	step := func(v verdict) {
		t.Helper()
		probe, ok := b.allow()
		if !ok {
			t.Fatalf("allow refused in state %v", b.current())
		}
		b.done(probe, v)
	}
	expect := func(want BreakerState) {
		t.Helper()
		if got := b.current(); got != want {
			t.Fatalf("state = %v, want %v", got, want)
		}
	}

	step(failed)
	step(failed)
	step(healthy) // resets the count
	step(failed)
	step(failed)
	expect(BreakerClosed)
	step(neutral) // a cancelation neither counts nor resets
	step(failed)
	expect(BreakerOpen)
	if _, ok := b.allow(); ok {
		t.Fatal("open breaker let an attempt through")
	}

	clock.Advance(10*time.Second - time.Nanosecond)
	expect(BreakerOpen)
	clock.Advance(time.Nanosecond)
	expect(BreakerHalfOpen)
	probe, ok := b.allow()
	if !ok || !probe {
		t.Fatalf("half-open: allow = %v, %v; want a probe", probe, ok)
	}
	if _, ok := b.allow(); ok {
		t.Fatal("half-open breaker let a second attempt through beside the probe")
	}
	b.done(true, neutral) // the probe's caller gave up: another may probe
	probe, ok = b.allow()
	if !ok || !probe {
		t.Fatalf("after a neutral probe: allow = %v, %v", probe, ok)
	}
	b.done(true, failed)
	expect(BreakerOpen)
	clock.Advance(5 * time.Second)
	expect(BreakerOpen) // a failed probe opens for a full OpenFor again
	clock.Advance(5 * time.Second)
	probe, ok = b.allow()
	if !ok || !probe {
		t.Fatal("no probe after the second OpenFor")
	}
	b.done(false, healthy) // a straggler from the closed period does not close it
	expect(BreakerHalfOpen)
	b.done(true, healthy)
	expect(BreakerClosed)
	step(failed)
	step(failed)
	expect(BreakerClosed) // the count started again from zero
}

func TestBreakerDisabled(t *testing.T) {
	b := newBreaker(BreakerConfig{FailureThreshold: -1}, time.Now)
	for range 100 {
		probe, ok := b.allow()
		if !ok || probe {
			t.Fatal("a disabled breaker refused or probed")
		}
		b.done(probe, failed)
	}
	if b.current() != BreakerClosed {
		t.Fatal("a disabled breaker opened")
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	p := newPKI(t)
	var down atomic.Bool
	down.Store(true)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if down.Load() {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
			return
		}
		match(w, r, req, n)
	})
	clock := newFakeClock()
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) {
		cfg.Clock = clock.Now
		cfg.MaxRetries = 1
		cfg.Breaker = BreakerConfig{FailureThreshold: 5, OpenFor: 10 * time.Second}
	})
	gauge := func() float64 { return testutil.ToFloat64(c.metrics.breaker) }

	// Attempts count, not calls: 2 calls × 2 attempts, then the 5th
	// attempt opens the breaker.
	for i := range 3 {
		_, err := verify(t, c)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if e := asError(t, err); e.Code == CodeBreakerOpen {
			t.Fatalf("call %d: breaker open too early", i+1)
		}
	}
	if f.hits() != 5 || gauge() != float64(BreakerOpen) {
		t.Fatalf("hits %d, breaker gauge %v; want 5, open", f.hits(), gauge())
	}

	_, err := verify(t, c)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("while open: %v", err)
	}
	if e := asError(t, err); e.Code != CodeBreakerOpen || e.Attempts != 0 {
		t.Errorf("while open: code %q, attempts %d", e.Code, e.Attempts)
	}
	if f.hits() != 5 {
		t.Errorf("an open breaker let a request through (hits %d)", f.hits())
	}
	if outcomeCount(c, OutcomeBreakerOpen) != 1 {
		t.Errorf("requests_total{outcome=breaker_open} = %v", outcomeCount(c, OutcomeBreakerOpen))
	}

	// The probe fails: open again, without a retry of the probe call.
	clock.Advance(10 * time.Second)
	if gauge() != float64(BreakerHalfOpen) {
		t.Errorf("gauge after OpenFor = %v, want half-open", gauge())
	}
	if _, err := verify(t, c); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("failing probe: %v", err)
	}
	if f.hits() != 6 || gauge() != float64(BreakerOpen) {
		t.Fatalf("after a failed probe: hits %d, gauge %v", f.hits(), gauge())
	}

	// IDEC recovers; after OpenFor the probe succeeds and closes.
	down.Store(false)
	if _, err := verify(t, c); err == nil {
		t.Fatal("the breaker let a call through before OpenFor passed")
	}
	clock.Advance(10 * time.Second)
	if _, err := verify(t, c); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if gauge() != float64(BreakerClosed) || f.hits() != 7 {
		t.Errorf("after recovery: gauge %v, hits %d", gauge(), f.hits())
	}
	if _, err := verify(t, c); err != nil {
		t.Fatalf("closed again: %v", err)
	}
}

func TestBreakerHalfOpenLetsOneProbe(t *testing.T) {
	p := newPKI(t)
	var down atomic.Bool
	down.Store(true)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if down.Load() {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
			return
		}
		arrived <- struct{}{}
		select {
		case <-release:
			match(w, r, req, n)
		case <-r.Context().Done():
		}
	})
	clock := newFakeClock()
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) {
		cfg.Clock = clock.Now
		cfg.MaxRetries = -1
		cfg.Breaker = BreakerConfig{FailureThreshold: 1, OpenFor: time.Second}
	})
	if _, err := verify(t, c); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	down.Store(false)
	clock.Advance(time.Second)

	probeErr := make(chan error, 1)
	go func() {
		_, err := verify(t, c)
		probeErr <- err
	}()
	<-arrived
	_, err := verify(t, c)
	if e := asError(t, err); e.Code != CodeBreakerOpen {
		t.Errorf("beside the probe: %v, want breaker open", err)
	}
	close(release)
	if err := <-probeErr; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if c.BreakerState() != BreakerClosed {
		t.Errorf("state after a good probe = %v", c.BreakerState())
	}
}

func TestBreakerIgnoresRefusals(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
		writeError(w, http.StatusNotFound, CodeUnknownIIN)
	})
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Breaker.FailureThreshold = 2 })
	for range 5 {
		if _, err := verify(t, c); !errors.Is(err, ErrUnknownIIN) {
			t.Fatalf("error = %v, want ErrUnknownIIN", err)
		}
	}
	if c.BreakerState() != BreakerClosed || f.hits() != 5 {
		t.Errorf("state %v, hits %d after five 404s", c.BreakerState(), f.hits())
	}
}

// TestBreakerOpeningStopsRetries: when the breaker opens in the middle of a
// call's retries, the call stops and reports IDEC's last answer.
func TestBreakerOpeningStopsRetries(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
	})
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) {
		cfg.MaxRetries = 5
		cfg.Breaker.FailureThreshold = 2
	})
	_, err := verify(t, c)
	e := asError(t, err)
	if e.Code != CodeUnavailable || e.Status != http.StatusServiceUnavailable || e.Attempts != 2 || f.hits() != 2 {
		t.Errorf("code %q, status %d, attempts %d, hits %d; want unavailable, 503, 2, 2", e.Code, e.Status, e.Attempts, f.hits())
	}
	if outcomeCount(c, OutcomeUnavailable) != 1 {
		t.Errorf("outcome unavailable = %v", outcomeCount(c, OutcomeUnavailable))
	}
}
