package idechttp

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
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
		cfg.Breaker = idec.BreakerConfig{FailureThreshold: 5, OpenFor: 10 * time.Second}
	})
	gauge := func() float64 { return metricValue(t, c, "biogate_idec_breaker_state") }

	// Attempts count, not calls: 2 calls × 2 attempts, then the 5th
	// attempt opens the breaker.
	for i := range 3 {
		_, err := verify(t, c)
		if !errors.Is(err, idec.ErrUnavailable) {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if e := asError(t, err); e.Code == idec.CodeBreakerOpen {
			t.Fatalf("call %d: breaker open too early", i+1)
		}
	}
	if f.hits() != 5 || gauge() != float64(idec.BreakerOpen) {
		t.Fatalf("hits %d, breaker gauge %v; want 5, open", f.hits(), gauge())
	}

	_, err := verify(t, c)
	if !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("while open: %v", err)
	}
	if e := asError(t, err); e.Code != idec.CodeBreakerOpen || e.Attempts != 0 {
		t.Errorf("while open: code %q, attempts %d", e.Code, e.Attempts)
	}
	if f.hits() != 5 {
		t.Errorf("an open breaker let a request through (hits %d)", f.hits())
	}
	if outcomeCount(t, c, idec.OutcomeBreakerOpen) != 1 {
		t.Errorf("requests_total{outcome=breaker_open} = %v", outcomeCount(t, c, idec.OutcomeBreakerOpen))
	}

	// The probe fails: open again, without a retry of the probe call.
	clock.Advance(10 * time.Second)
	if gauge() != float64(idec.BreakerHalfOpen) {
		t.Errorf("gauge after OpenFor = %v, want half-open", gauge())
	}
	if _, err := verify(t, c); !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("failing probe: %v", err)
	}
	if f.hits() != 6 || gauge() != float64(idec.BreakerOpen) {
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
	if gauge() != float64(idec.BreakerClosed) || f.hits() != 7 {
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
		cfg.Breaker = idec.BreakerConfig{FailureThreshold: 1, OpenFor: time.Second}
	})
	if _, err := verify(t, c); !errors.Is(err, idec.ErrUnavailable) {
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
	if e := asError(t, err); e.Code != idec.CodeBreakerOpen {
		t.Errorf("beside the probe: %v, want breaker open", err)
	}
	close(release)
	if err := <-probeErr; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if c.BreakerState() != idec.BreakerClosed {
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
		if _, err := verify(t, c); !errors.Is(err, idec.ErrUnknownIIN) {
			t.Fatalf("error = %v, want ErrUnknownIIN", err)
		}
	}
	if c.BreakerState() != idec.BreakerClosed || f.hits() != 5 {
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
	if outcomeCount(t, c, idec.OutcomeUnavailable) != 1 {
		t.Errorf("outcome unavailable = %v", outcomeCount(t, c, idec.OutcomeUnavailable))
	}
}
