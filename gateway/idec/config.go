package idec

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRetries       = 2
	DefaultBackoffBase      = 200 * time.Millisecond
	DefaultBackoffMax       = 2 * time.Second
	DefaultMaxInFlight      = 8
	DefaultFailureThreshold = 5
	DefaultOpenFor          = 10 * time.Second
)

// Config configures a Client: everything but the transport. Zero fields
// take the defaults in brackets.
type Config struct {
	// Timeout bounds one Verify call from start to return: waiting for a
	// slot, every attempt and every backoff [10s]. A caller's earlier ctx
	// deadline wins.
	Timeout time.Duration
	// AttemptTimeout bounds one attempt [Timeout]. Set it below
	// Timeout to retry an attempt that got no response in time.
	AttemptTimeout time.Duration
	// MaxRetries is the number of retries after the first attempt [2];
	// negative disables retries.
	MaxRetries int
	// BackoffBase and BackoffMax shape the wait before retry n (n = 1, 2,
	// ...): uniformly random in [0, min(BackoffMax, BackoffBase*2^(n-1)))
	// ("full jitter") [200ms, 2s].
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxInFlight caps concurrent attempts to IDEC [8]; further attempts
	// wait for a slot, within their deadline.
	MaxInFlight int
	// Breaker configures the circuit breaker.
	Breaker BreakerConfig
	// Registerer receives the client's metrics; nil: no metrics are
	// registered.
	Registerer prometheus.Registerer
	// Logger receives one line per attempt (debug) and one per call; nil
	// discards. Lines never carry the photo, the IIN or the BIN.
	Logger *slog.Logger
	// Clock returns the current time for the circuit breaker [time.Now].
	// Latencies are always measured on the real monotonic clock.
	Clock func() time.Time
	// Rand returns a uniformly random float64 in [0, 1) for backoff jitter
	// [math/rand/v2.Float64]; it must be safe for concurrent use.
	Rand func() float64
}

// BreakerConfig configures the circuit breaker. The breaker opens after
// FailureThreshold consecutive failed attempts (IDEC unavailable or timed
// out; 4xx answers do not count), fails every attempt fast with
// ErrUnavailable while open, and after OpenFor lets one probe attempt
// through (half-open): its success closes the breaker, its failure opens it
// again for OpenFor.
type BreakerConfig struct {
	// FailureThreshold [5]; negative disables the breaker.
	FailureThreshold int
	// OpenFor [10s].
	OpenFor time.Duration
}

// withDefaults returns cfg with defaults applied, or an error naming the
// first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Timeout", &cfg.Timeout, DefaultTimeout},
		{"BackoffBase", &cfg.BackoffBase, DefaultBackoffBase},
		{"BackoffMax", &cfg.BackoffMax, DefaultBackoffMax},
		{"Breaker.OpenFor", &cfg.Breaker.OpenFor, DefaultOpenFor},
		{"AttemptTimeout", &cfg.AttemptTimeout, 0},
	} {
		if *d.v < 0 {
			return cfg, fmt.Errorf("idec: config %s: negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.AttemptTimeout == 0 || cfg.AttemptTimeout > cfg.Timeout {
		cfg.AttemptTimeout = cfg.Timeout
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		return cfg, errors.New("idec: config BackoffMax: less than BackoffBase")
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	switch {
	case cfg.MaxInFlight == 0:
		cfg.MaxInFlight = DefaultMaxInFlight
	case cfg.MaxInFlight < 0:
		return cfg, errors.New("idec: config MaxInFlight: negative")
	}
	if cfg.Breaker.FailureThreshold == 0 {
		cfg.Breaker.FailureThreshold = DefaultFailureThreshold
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	return cfg, nil
}
