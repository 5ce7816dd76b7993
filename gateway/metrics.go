package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Server's collectors.
type metrics struct {
	sessions       *prometheus.CounterVec   // by outcome
	active         prometheus.Gauge         // sessions running
	pending        prometheus.Gauge         // connections waiting for their start
	refused        *prometheus.CounterVec   // connections refused by a cap, by reason
	stage          *prometheus.HistogramVec // by stage
	busy           prometheus.Counter
	framesReceived prometheus.Counter
	framesDropped  *prometheus.CounterVec // by reason
	messagesDrop   *prometheus.CounterVec // outbound, by reason
	captureDropped *prometheus.CounterVec // frames the capture loop read and did not analyse, by reason
	framesAnalysed prometheus.Counter     // frames the capture loop analysed
	errors         *prometheus.CounterVec // error messages sent, by code
	attestations   *prometheus.CounterVec // app attestations checked, by platform and verdict
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_sessions_total",
			Help: "Sessions ended, by outcome: a result decision, or cancelled, aborted, dropped, rejected (before start), busy, key_busy, attestation_required, attestation_failed.",
		}, []string{"outcome"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "biogate_gateway_sessions_active",
			Help: "Sessions running now: from their accepted start until their end.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "biogate_gateway_connections_pending",
			Help: "Connections waiting for their start now.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_refusals_total",
			Help: "Connections and starts refused by a cap, by reason: pending, key_pending (at the upgrade), sessions, key_sessions (at start), rate_key (before the upgrade), rate_iin (at start), start_timeout (no start in time).",
		}, []string{"reason"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "biogate_gateway_stage_duration_seconds",
			Help:    "Duration of session stages: waiting_start, liveness (capture and liveness), idec.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 120},
		}, []string{"stage"}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "biogate_gateway_busy_rejections_total",
			Help: "Sessions refused with busy: the cap of concurrent sessions or of connections waiting for their start was reached.",
		}),
		framesReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "biogate_gateway_relay_frames_received_total",
			Help: "Relay frame messages received.",
		}),
		framesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_relay_frames_dropped_total",
			Help: "Relay frames dropped, by reason.",
		}, []string{"reason"}),
		captureDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_capture_frames_dropped_total",
			Help: "Camera frames (kiosk and relay) the capture loop read and did not analyse, by reason: queue_full (the analysis was busy with an earlier frame), after_decision (still queued when liveness ended), undecodable.",
		}, []string{"reason"}),
		framesAnalysed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "biogate_gateway_frames_analysed_total",
			Help: "Camera frames (kiosk and relay) the capture loop analysed: detection, quality and liveness.",
		}),
		messagesDrop: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_messages_dropped_total",
			Help: "Messages to clients dropped, by reason (throttled, queue_full).",
		}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_errors_total",
			Help: "Error messages sent to clients, by code.",
		}, []string{"code"}),
		attestations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "biogate_gateway_attestations_total",
			Help: "App attestations checked at start (API keys with an attestation policy), by platform (android, ios, none) and verdict (valid, invalid, absent).",
		}, []string{"platform", "verdict"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.sessions, m.active, m.pending, m.refused, m.stage, m.busy,
			m.framesReceived, m.framesDropped, m.captureDropped, m.framesAnalysed, m.messagesDrop, m.errors, m.attestations} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// captureStats adds what a finished capture loop read and did not analyse.
func (m *metrics) captureStats(c CaptureCounts) {
	for reason, n := range map[string]int{"queue_full": c.Dropped, "after_decision": c.Discarded, "undecodable": c.Undecodable} {
		if n > 0 {
			m.captureDropped.WithLabelValues(reason).Add(float64(n))
		}
	}
}

// relayStats adds a finished relay camera's counters.
func (m *metrics) relayStats(s RelayStats) {
	m.framesReceived.Add(float64(s.Received))
	for reason, n := range map[string]uint64{
		"bad_header": s.BadHeader,
		"not_jpeg":   s.NotJPEG, "too_large": s.TooLarge, "too_fast": s.TooFast,
		"stopped": s.Stopped, "queue_full": s.QueueFull, "discarded": s.Discarded,
	} {
		if n > 0 {
			m.framesDropped.WithLabelValues(reason).Add(float64(n))
		}
	}
}
