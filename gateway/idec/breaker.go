package idec

import (
	"sync"
	"time"
)

// BreakerState is the circuit breaker's state, as the
// biogate_idec_breaker_state gauge reports it.
type BreakerState int

// Breaker states.
const (
	BreakerClosed   BreakerState = 0
	BreakerHalfOpen BreakerState = 1
	BreakerOpen     BreakerState = 2
)

// String returns "closed", "half-open" or "open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return "unknown"
}

// breaker is a consecutive-failure circuit breaker with a single half-open
// probe. It is safe for concurrent use.
type breaker struct {
	now       func() time.Time
	threshold int // <= 0: disabled
	openFor   time.Duration

	mu        sync.Mutex
	state     BreakerState
	failures  int       // consecutive failures while closed
	openUntil time.Time // while open
	probing   bool      // while half-open: the probe is in flight
}

func newBreaker(cfg BreakerConfig, now func() time.Time) *breaker {
	return &breaker{now: now, threshold: cfg.FailureThreshold, openFor: cfg.OpenFor}
}

// allow asks to make one attempt. ok false: fail fast. probe true: this
// attempt is the half-open probe, and done must be called with probe true.
func (b *breaker) allow() (probe, ok bool) {
	if b.threshold <= 0 {
		return false, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.openUntil) {
		b.state, b.probing = BreakerHalfOpen, false
	}
	switch b.state {
	case BreakerClosed:
		return false, true
	case BreakerHalfOpen:
		if b.probing {
			return false, false
		}
		b.probing = true
		return true, true
	default:
		return false, false
	}
}

// done reports the health an attempt showed, for an attempt allow let through.
func (b *breaker) done(probe bool, v Health) {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		switch v {
		case Healthy:
			b.state, b.failures = BreakerClosed, 0
		case Failing:
			b.trip()
		default: // let another attempt probe
		}
		b.probing = false
		return
	}
	// Attempts let through while closed that finish after the breaker
	// changed state say nothing about the probe's outcome: ignore them.
	if b.state != BreakerClosed {
		return
	}
	switch v {
	case Healthy:
		b.failures = 0
	case Failing:
		b.failures++
		if b.failures >= b.threshold {
			b.trip()
		}
	}
}

func (b *breaker) trip() {
	b.state, b.failures = BreakerOpen, 0
	b.openUntil = b.now().Add(b.openFor)
}

// current returns the state as of now: an open breaker whose OpenFor has
// passed reports half-open, which the next attempt will find it in.
func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.openUntil) {
		return BreakerHalfOpen
	}
	return b.state
}
