package idec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Client verifies faces with IDEC over a Transport, with retries, a
// circuit breaker and a cap on concurrent attempts. It is safe for
// concurrent use.
type Client struct {
	cfg       Config
	transport Transport
	sem       chan struct{} // one token per attempt in flight
	breaker   *breaker
	metrics   *metrics
	log       *slog.Logger
}

// New validates cfg, applies its defaults and returns a Client over t. It
// fails if a field is invalid or the metrics cannot be registered. New
// makes no connection. idechttp.New makes a Client over HTTP in one call.
func New(t Transport, cfg Config) (*Client, error) {
	if t == nil {
		return nil, errors.New("idec: no transport")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := newBreaker(cfg.Breaker, cfg.Clock)
	m, err := newMetrics(cfg.Registerer, b)
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:       cfg,
		transport: t,
		sem:       make(chan struct{}, cfg.MaxInFlight),
		breaker:   b,
		metrics:   m,
		log:       cfg.Logger,
	}, nil
}

// Close closes the client's idle connections. Calls in progress are not
// affected, and the Client stays usable (a later call reconnects); the
// metrics stay registered.
func (c *Client) Close() {
	c.transport.Close()
}

// BreakerState returns the circuit breaker's state now.
func (c *Client) BreakerState() BreakerState { return c.breaker.current() }

// Verify asks IDEC whether req.Photo (or req.Finger) is of the person with
// req.IIN. It
// blocks until IDEC decides, the call fails, or the deadline passes: the
// earlier of ctx's deadline and Config.Timeout. It generates the request
// id, retries only where a retry is safe (a failed connection, an attempt
// timed out before any response, 502/503/504; never a 4xx, never after a
// response was read) with jittered exponential backoff, and fails fast
// while the circuit breaker is open.
//
// Every error is an *Error that matches one of ErrInvalidRequest,
// ErrNoFace, ErrUnknownIIN, ErrNoReferencePhoto, ErrNoFinger,
// ErrNoReferenceFinger, ErrUnavailable, ErrTimeout,
// ErrBadResponse or context.Canceled with errors.Is.
func (c *Client) Verify(ctx context.Context, req Request) (Result, error) {
	start := time.Now()
	id := newRequestID()
	res, err := c.verify(ctx, id, req)
	elapsed := time.Since(start)

	said := string(Classify(res, err))
	c.metrics.requests.WithLabelValues(said).Inc()
	c.metrics.duration.Observe(elapsed.Seconds())

	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("outcome", said),
		slog.Duration("latency", elapsed),
	}
	level := slog.LevelInfo
	var e *Error
	if errors.As(err, &e) {
		attrs = append(attrs, slog.Int("status", e.Status), slog.Int("attempts", e.Attempts))
		if e.IDECRequestID != "" {
			attrs = append(attrs, slog.String("idec_request_id", e.IDECRequestID))
		}
		switch e.Kind {
		case ErrUnavailable, ErrTimeout, ErrBadResponse:
			level = slog.LevelWarn
		}
		attrs = append(attrs, slog.String("error", err.Error()))
	} else {
		attrs = append(attrs, slog.Int("status", statusOK), slog.String("idec_request_id", res.IDECRequestID))
	}
	c.log.LogAttrs(ctx, level, "idec verify", attrs...)
	return res, err
}

func (c *Client) verify(ctx context.Context, id string, req Request) (Result, error) {
	if err := validate(req); err != nil {
		return Result{}, &Error{Kind: ErrInvalidRequest, RequestID: id, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var last *Error
	for n := 1; ; n++ {
		res, e, retry := c.attempt(ctx, id, req, n)
		if e == nil {
			return res, nil
		}
		if e.Code == CodeBreakerOpen && last != nil {
			// The breaker opened during our retries: the last real
			// answer says more than "breaker open".
			return Result{}, last
		}
		last = e
		if !retry || n > c.cfg.MaxRetries {
			return Result{}, last
		}
		wait := c.cfg.backoff(n)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return Result{}, last // the deadline wins: give up now, with the real cause
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			e := ContextError(ctx, id)
			e.Attempts = n
			return Result{}, e
		case <-t.C:
		}
	}
}

// backoff returns the full-jitter wait before retry n (n >= 1).
func (cfg *Config) backoff(n int) time.Duration {
	ceil := cfg.BackoffMax
	if n-1 < 32 {
		if d := cfg.BackoffBase << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(cfg.Rand() * float64(ceil))
}

// validate checks what the client can know is wrong without asking IDEC.
// Its errors never hold the request's data.
func validate(req Request) error {
	switch {
	case req.IIN.IsZero():
		return errors.New("IIN is required")
	case req.BIN.IsZero():
		return errors.New("BIN is required")
	case req.ConsentRef == "":
		return errors.New("consent reference is required")
	case len(req.ConsentRef) > MaxConsentRef:
		return fmt.Errorf("consent reference longer than %d bytes", MaxConsentRef)
	case !(req.Capture.Quality >= 0 && req.Capture.Quality <= 100): // also NaN
		return errors.New("capture quality outside 0-100")
	case req.Finger != nil && len(req.Photo) > 0:
		return errors.New("a request carries a photo or a fingerprint, not both")
	case req.Finger != nil:
		return req.Finger.validate()
	case len(req.Photo) == 0:
		return errors.New("photo is required")
	case !bytes.HasPrefix(req.Photo, []byte{0xff, 0xd8, 0xff}):
		return errors.New("photo is not a JPEG")
	}
	return nil
}

// statusOK is the status a decision is logged with: IDEC's 200 over HTTP.
const statusOK = 200

// attempt makes attempt n of the verification id, if the breaker, a slot
// and the deadline allow. It returns the result, or an error (with
// Attempts set) and whether a retry is safe.
func (c *Client) attempt(ctx context.Context, id string, req Request, n int) (res Result, e *Error, retry bool) {
	probe, ok := c.breaker.allow()
	if !ok {
		return Result{}, &Error{Kind: ErrUnavailable, RequestID: id, Code: CodeBreakerOpen, Attempts: n - 1}, false
	}
	v := NoEvidence
	defer func() { c.breaker.done(probe, v) }()
	sent := false
	defer func() {
		if e != nil {
			e.Attempts = n - 1
			if sent {
				e.Attempts = n
			}
		}
	}()

	if ctx.Err() != nil {
		return Result{}, ContextError(ctx, id), false
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ContextError(ctx, id), false
	}
	defer func() { <-c.sem }()
	sent = true
	if n > 1 {
		c.metrics.retries.Inc()
	}

	start := time.Now()
	defer func() {
		status := 0
		said := Classify(res, nil)
		if e != nil {
			status, said = e.Status, Classify(Result{}, e)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "idec attempt",
			slog.String("request_id", id), slog.Int("attempt", n),
			slog.String("outcome", string(said)), slog.Int("status", status),
			slog.Duration("latency", time.Since(start)), slog.Bool("retry", retry))
	}()

	a := c.transport.Send(ctx, id, req, c.cfg.AttemptTimeout)
	v = a.Health
	if a.Err != nil {
		return Result{}, a.Err, a.Retry
	}
	return a.Result, nil, false
}
