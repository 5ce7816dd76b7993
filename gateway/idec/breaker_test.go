package idec

import (
	"sync"
	"testing"
	"time"
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
	step := func(v Health) {
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

	step(Failing)
	step(Failing)
	step(Healthy) // resets the count
	step(Failing)
	step(Failing)
	expect(BreakerClosed)
	step(NoEvidence) // a cancelation neither counts nor resets
	step(Failing)
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
	b.done(true, NoEvidence) // the probe's caller gave up: another may probe
	probe, ok = b.allow()
	if !ok || !probe {
		t.Fatalf("after a neutral probe: allow = %v, %v", probe, ok)
	}
	b.done(true, Failing)
	expect(BreakerOpen)
	clock.Advance(5 * time.Second)
	expect(BreakerOpen) // a failed probe opens for a full OpenFor again
	clock.Advance(5 * time.Second)
	probe, ok = b.allow()
	if !ok || !probe {
		t.Fatal("no probe after the second OpenFor")
	}
	b.done(false, Healthy) // a straggler from the closed period does not close it
	expect(BreakerHalfOpen)
	b.done(true, Healthy)
	expect(BreakerClosed)
	step(Failing)
	step(Failing)
	expect(BreakerClosed) // the count started again from zero
}

func TestBreakerDisabled(t *testing.T) {
	b := newBreaker(BreakerConfig{FailureThreshold: -1}, time.Now)
	for range 100 {
		probe, ok := b.allow()
		if !ok || probe {
			t.Fatal("a disabled breaker refused or probed")
		}
		b.done(probe, Failing)
	}
	if b.current() != BreakerClosed {
		t.Fatal("a disabled breaker opened")
	}
}
