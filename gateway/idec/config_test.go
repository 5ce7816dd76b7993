package idec

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 10*time.Second || cfg.AttemptTimeout != 10*time.Second || cfg.MaxRetries != 2 ||
		cfg.BackoffBase != 200*time.Millisecond || cfg.BackoffMax != 2*time.Second || cfg.MaxInFlight != 8 ||
		cfg.Breaker.FailureThreshold != 5 || cfg.Breaker.OpenFor != 10*time.Second ||
		cfg.Logger == nil || cfg.Clock == nil || cfg.Rand == nil {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = Config{MaxRetries: -1, Timeout: time.Second, AttemptTimeout: time.Minute}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxRetries != 0 || cfg.AttemptTimeout != time.Second {
		t.Errorf("MaxRetries %d, AttemptTimeout %v; want 0, 1s", cfg.MaxRetries, cfg.AttemptTimeout)
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		r    float64
		want []time.Duration // retries 1..6, in microseconds
	}{
		{0, []time.Duration{0, 0, 0, 0, 0, 0}},
		{0.5, []time.Duration{100_000, 200_000, 400_000, 800_000, 1_000_000, 1_000_000}},
		{0.999, []time.Duration{199_800, 399_600, 799_200, 1_598_400, 1_998_000, 1_998_000}},
	} {
		c, err := Config{BackoffBase: 200 * time.Millisecond, BackoffMax: 2 * time.Second,
			Rand: func() float64 { return tt.r }}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tt.want {
			if got := c.backoff(i + 1); got != want*time.Microsecond {
				t.Errorf("rand %v, retry %d: backoff %v, want %v", tt.r, i+1, got, want*time.Microsecond)
			}
		}
		if got := c.backoff(1000); got > 2*time.Second {
			t.Errorf("backoff(1000) = %v overflows the cap", got)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Kind: ErrUnknownIIN, RequestID: "r-1", Attempts: 2, Status: 404, Code: "unknown_iin",
		IDECRequestID: "i-9", Message: "who?", Err: context.DeadlineExceeded}
	want := "idec: verify r-1: unknown IIN (status 404, code unknown_iin, idec id i-9, 2 attempts): context deadline exceeded"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
	}
	if !errors.Is(e, ErrUnknownIIN) || !errors.Is(e, context.DeadlineExceeded) {
		t.Error("Error does not unwrap to its kind and cause")
	}
}
