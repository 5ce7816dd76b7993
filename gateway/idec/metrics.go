package idec

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biogate/biogate/outcome"
)

// Outcomes, the values of the outcome label of biogate_idec_requests_total
// (one per Verify call): the words of package outcome's IDEC.
const (
	OutcomeMatch             = string(outcome.IDECMatch)
	OutcomeNoMatch           = string(outcome.IDECNoMatch)
	OutcomeInvalidRequest    = string(outcome.IDECInvalidRequest)
	OutcomeNoFace            = string(outcome.IDECNoFace)
	OutcomeUnknownIIN        = string(outcome.IDECUnknownIIN)
	OutcomeNoReferencePhoto  = string(outcome.IDECNoReferencePhoto)
	OutcomeNoFinger          = string(outcome.IDECNoFinger)
	OutcomeNoReferenceFinger = string(outcome.IDECNoReferenceFinger)
	OutcomeUnavailable       = string(outcome.IDECUnavailable)
	OutcomeTimeout           = string(outcome.IDECTimeout)
	OutcomeBadResponse       = string(outcome.IDECBadResponse)
	OutcomeBreakerOpen       = string(outcome.IDECBreakerOpen)
	OutcomeCanceled          = string(outcome.IDECCanceled) // the caller's ctx was canceled
)

// outcomes are the label's values, each exported at 0 from the start.
var outcomes = outcome.Strings(outcome.IDECs())

type metrics struct {
	requests *prometheus.CounterVec
	duration prometheus.Histogram
	retries  prometheus.Counter
	breaker  prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, b *breaker) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_idec_requests_total",
			Help: "IDEC verifications by outcome.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "biogate_idec_request_duration_seconds",
			Help:    "Duration of IDEC verifications, all attempts and backoff included.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 3, 5, 7.5, 10, 15, 30},
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "biogate_idec_retries_total",
			Help: "Attempts to IDEC after the first of a verification.",
		}),
		breaker: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "biogate_idec_breaker_state",
			Help: "IDEC circuit breaker: 0 closed, 1 half-open, 2 open.",
		}, func() float64 { return float64(b.current()) }),
	}
	for _, o := range outcomes {
		m.requests.WithLabelValues(o)
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.retries, m.breaker}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("idec: register metrics: %w", err)
		}
	}
	return m, nil
}

// Classify says what a Verify call came to, from its result and error:
// the label its metric counts it under, the word its log line uses, and
// what a session makes of it. The error's kind is that of the *Error it is
// or wraps, else the first sentinel it matches (a Verifier other than
// Client may return them bare); an error of no kind is a bad response.
func Classify(res Result, err error) outcome.IDEC {
	if err == nil {
		if res.Match {
			return outcome.IDECMatch
		}
		return outcome.IDECNoMatch
	}
	var kind error
	var e *Error
	if errors.As(err, &e) {
		kind = e.Kind
	} else {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				kind = s
				break
			}
		}
	}
	switch kind {
	case ErrInvalidRequest:
		return outcome.IDECInvalidRequest
	case ErrNoFace:
		return outcome.IDECNoFace
	case ErrUnknownIIN:
		return outcome.IDECUnknownIIN
	case ErrNoReferencePhoto:
		return outcome.IDECNoReferencePhoto
	case ErrNoFinger:
		return outcome.IDECNoFinger
	case ErrNoReferenceFinger:
		return outcome.IDECNoReferenceFinger
	case ErrUnavailable:
		if e != nil && e.Code == CodeBreakerOpen {
			return outcome.IDECBreakerOpen
		}
		return outcome.IDECUnavailable
	case ErrTimeout:
		return outcome.IDECTimeout
	case context.Canceled:
		return outcome.IDECCanceled
	default:
		return outcome.IDECBadResponse
	}
}

// sentinels are the kinds of error Verify returns.
var sentinels = []error{ErrInvalidRequest, ErrNoFace, ErrUnknownIIN, ErrNoReferencePhoto, ErrNoFinger, ErrNoReferenceFinger,
	ErrUnavailable, ErrTimeout, ErrBadResponse, context.Canceled}
