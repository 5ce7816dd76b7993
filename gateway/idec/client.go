package idec

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/iin"
)

// Client calls IDEC's verify endpoint over mutual TLS with retries, a
// circuit breaker and a cap on concurrent attempts. It is safe for
// concurrent use.
type Client struct {
	cfg       Config
	verifyURL string
	http      *http.Client
	transport *http.Transport
	sem       chan struct{} // one token per attempt in flight
	breaker   *breaker
	metrics   *metrics
	log       *slog.Logger
}

// New validates cfg, applies its defaults and returns a Client. It fails if
// a field is invalid or the metrics cannot be registered. New makes no
// connection.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := newBreaker(cfg.Breaker, cfg.Clock)
	m, err := newMetrics(cfg.Registerer, b)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		// IDEC is reached directly: no proxy from the environment.
		Proxy:       nil,
		DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:      cfg.TLS.CA,
			Certificates: []tls.Certificate{cfg.TLS.Certificate},
			ServerName:   cfg.TLS.ServerName,
			MinVersion:   tls.VersionTLS12,
		},
		MaxIdleConns:        cfg.MaxInFlight,
		MaxIdleConnsPerHost: cfg.MaxInFlight,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		cfg:       cfg,
		verifyURL: strings.TrimSuffix(cfg.URL, "/") + PathVerify,
		http: &http.Client{
			Transport: tr,
			// A redirect is not part of the contract, and following one
			// would resend a photo elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		transport: tr,
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
	c.transport.CloseIdleConnections()
}

// BreakerState returns the circuit breaker's state now.
func (c *Client) BreakerState() BreakerState { return c.breaker.current() }

// Request is one verification. The client reads Photo during Verify and
// keeps no reference to it afterwards; Photo is biometric data and is
// never logged.
type Request struct {
	// IIN of the person; required.
	IIN iin.IIN
	// BIN of the requesting organisation; required.
	BIN iin.BIN
	// ConsentRef identifies the person's recorded consent; required, at
	// most 256 bytes.
	ConsentRef string
	// Photo is the JPEG of the face (the token-frontal crop); required.
	Photo []byte
	// Capture describes the capture; Quality must be within 0-100.
	Capture CaptureMeta
}

// Result is IDEC's decision. A no-match is a Result with Match false, not
// an error.
type Result struct {
	// Match is true when IDEC decided DecisionMatch.
	Match bool
	// Similarity of the live face and the reference photo, 0-1.
	Similarity float64
	// Decision is DecisionMatch or DecisionNoMatch.
	Decision string
	// ReferenceSource says where IDEC's reference photo came from.
	ReferenceSource string
	// IDECRequestID is IDEC's id of the verification, for audit.
	IDECRequestID string
	// RequestID is the client's id of the verification, sent on every
	// attempt in HeaderRequestID and in the body.
	RequestID string
	// Time IDEC decided.
	Time time.Time
}

// maxConsentRef bounds Request.ConsentRef.
const maxConsentRef = 256

// Verify asks IDEC whether req.Photo shows the person with req.IIN. It
// blocks until IDEC decides, the call fails, or the deadline passes: the
// earlier of ctx's deadline and Config.Timeout. It generates the request
// id, retries only where a retry is safe (a failed connection, an attempt
// timed out before any response, 502/503/504; never a 4xx, never after a
// response was read) with jittered exponential backoff, and fails fast
// while the circuit breaker is open.
//
// Every error is an *Error that matches one of ErrInvalidRequest,
// ErrNoFace, ErrUnknownIIN, ErrNoReferencePhoto, ErrUnavailable, ErrTimeout,
// ErrBadResponse or context.Canceled with errors.Is.
func (c *Client) Verify(ctx context.Context, req Request) (Result, error) {
	start := time.Now()
	id := newRequestID()
	res, err := c.verify(ctx, id, req)
	elapsed := time.Since(start)

	outcome := outcomeOf(res, err)
	c.metrics.requests.WithLabelValues(outcome).Inc()
	c.metrics.duration.Observe(elapsed.Seconds())

	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("outcome", outcome),
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
		attrs = append(attrs, slog.Int("status", http.StatusOK), slog.String("idec_request_id", res.IDECRequestID))
	}
	c.log.LogAttrs(ctx, level, "idec verify", attrs...)
	return res, err
}

func (c *Client) verify(ctx context.Context, id string, req Request) (Result, error) {
	if err := validate(req); err != nil {
		return Result{}, &Error{Kind: ErrInvalidRequest, RequestID: id, Err: err}
	}
	body, err := json.Marshal(VerifyRequest{
		RequestID:  id,
		IIN:        req.IIN.String(),
		BIN:        req.BIN.String(),
		ConsentRef: req.ConsentRef,
		Photo:      req.Photo,
		Capture:    req.Capture,
	})
	if err != nil {
		return Result{}, &Error{Kind: ErrInvalidRequest, RequestID: id, Err: err}
	}

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var last *Error
	for n := 1; ; n++ {
		res, e, retry := c.attempt(ctx, id, body, n)
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
		wait := c.backoff(n)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return Result{}, last // the deadline wins: give up now, with the real cause
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			e := ctxError(ctx, id)
			e.Attempts = n
			return Result{}, e
		case <-t.C:
		}
	}
}

// backoff returns the full-jitter wait before retry n (n >= 1).
func (c *Client) backoff(n int) time.Duration {
	ceil := c.cfg.BackoffMax
	if n-1 < 32 {
		if d := c.cfg.BackoffBase << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(c.cfg.Rand() * float64(ceil))
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
	case len(req.ConsentRef) > maxConsentRef:
		return fmt.Errorf("consent reference longer than %d bytes", maxConsentRef)
	case len(req.Photo) == 0:
		return errors.New("photo is required")
	case !bytes.HasPrefix(req.Photo, []byte{0xff, 0xd8, 0xff}):
		return errors.New("photo is not a JPEG")
	case !(req.Capture.Quality >= 0 && req.Capture.Quality <= 100): // also NaN
		return errors.New("capture quality outside 0-100")
	}
	return nil
}
