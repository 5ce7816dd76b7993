package idec

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes, the values of the outcome label of biogate_idec_requests_total:
// one per Verify call.
const (
	OutcomeMatch            = "match"
	OutcomeNoMatch          = "no_match"
	OutcomeInvalidRequest   = "invalid_request"
	OutcomeNoFace           = "no_face"
	OutcomeUnknownIIN       = "unknown_iin"
	OutcomeNoReferencePhoto = "no_reference_photo"
	OutcomeUnavailable      = "unavailable"
	OutcomeTimeout          = "timeout"
	OutcomeBadResponse      = "bad_response"
	OutcomeBreakerOpen      = "breaker_open"
	OutcomeCanceled         = "canceled" // the caller's ctx was canceled
)

var outcomes = []string{
	OutcomeMatch, OutcomeNoMatch, OutcomeInvalidRequest, OutcomeNoFace,
	OutcomeUnknownIIN, OutcomeNoReferencePhoto, OutcomeUnavailable,
	OutcomeTimeout, OutcomeBadResponse, OutcomeBreakerOpen, OutcomeCanceled,
}

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

// outcomeOf names a call's outcome for the metric and the log.
func outcomeOf(res Result, err error) string {
	if err == nil {
		if res.Match {
			return OutcomeMatch
		}
		return OutcomeNoMatch
	}
	e, ok := err.(*Error)
	if !ok {
		return OutcomeBadResponse
	}
	switch e.Kind {
	case ErrInvalidRequest:
		return OutcomeInvalidRequest
	case ErrNoFace:
		return OutcomeNoFace
	case ErrUnknownIIN:
		return OutcomeUnknownIIN
	case ErrNoReferencePhoto:
		return OutcomeNoReferencePhoto
	case ErrUnavailable:
		if e.Code == CodeBreakerOpen {
			return OutcomeBreakerOpen
		}
		return OutcomeUnavailable
	case ErrTimeout:
		return OutcomeTimeout
	case ErrBadResponse:
		return OutcomeBadResponse
	default:
		return OutcomeCanceled
	}
}
