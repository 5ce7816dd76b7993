package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Thresholds of the verdict.
const (
	// TargetP99 is the event latency the gateway must stay under.
	TargetP99 = 100 * time.Millisecond
	// MinAnalysedShare is the share of the frames the gateway could have
	// analysed (Report.AnalysedShare) that it must analyse.
	MinAnalysedShare = 0.95
	// maxDropFraction is the share of sent frames the gateway may drop
	// (oldest first, its queue full) and still count as keeping up.
	maxDropFraction = 0.02
	// growthFactor: the last third's p99 above this many times the first
	// third's (and above it by growthMin) is a growing backlog.
	growthFactor = 1.5
	growthMin    = 20 * time.Millisecond
)

// Report is the outcome of a load run.
type Report struct {
	Sessions        int     `json:"sessions"`
	FPS             float64 `json:"fps"`
	DurationSeconds float64 `json:"duration_seconds"`
	ClipFrames      int     `json:"clip_frames"`

	FramesSent        int64              `json:"frames_sent"`
	SendRate          float64            `json:"send_rate_fps"`
	MeanFrameBytes    int64              `json:"mean_frame_bytes"`
	GatewayReceived   float64            `json:"gateway_frames_received"`
	GatewayDropped    float64            `json:"gateway_frames_dropped"`
	GatewayDropReason map[string]float64 `json:"gateway_frames_dropped_by_reason,omitempty"`
	// GatewayRead is received minus dropped: the frames the pipeline
	// took from the relay queue (it may still skip some of them).
	GatewayRead float64 `json:"gateway_frames_read"`
	ReadRate    float64 `json:"gateway_read_rate_fps"`
	// Analysed are the frames the capture loop analysed (detection,
	// quality, liveness); CaptureDropReason the frames it read and did not
	// analyse, by reason (queue_full: the analysis was busy;
	// after_decision; undecodable).
	Analysed          float64            `json:"gateway_frames_analysed"`
	CaptureDropReason map[string]float64 `json:"gateway_capture_dropped_by_reason,omitempty"`
	// AnalysedPerSession is frames analysed per session per second of the
	// run.
	AnalysedPerSession float64 `json:"analysed_per_session_per_second"`
	// AnalysedShare is Analysed over the frames the gateway could have
	// analysed: those analysed and those lost to load (dropped from a full
	// relay or capture queue, or refused as too fast). Frames after the
	// decision and frames refused as malformed do not count.
	AnalysedShare float64 `json:"analysed_share"`
	// Unaccounted are the frames received that were neither analysed nor
	// counted as dropped for a reason: 0 unless the gateway loses count.
	Unaccounted float64 `json:"gateway_frames_unaccounted"`
	// GatewayCPUSeconds is the gateway's CPU time over the run; the
	// tool's own (ClientCPUSeconds) competes for the same cores.
	GatewayCPUSeconds float64 `json:"gateway_cpu_seconds"`
	ClientCPUSeconds  float64 `json:"client_cpu_seconds"`
	MessagesThrottled float64 `json:"gateway_messages_dropped"`

	QualityEvents int     `json:"quality_events"`
	QualityRate   float64 `json:"quality_rate_per_second"`
	LatencyP50MS  float64 `json:"latency_p50_ms"`
	LatencyP90MS  float64 `json:"latency_p90_ms"`
	LatencyP99MS  float64 `json:"latency_p99_ms"`
	LatencyMaxMS  float64 `json:"latency_max_ms"`
	// First and last third of the run: latency p99 and quality rate.
	FirstThirdP99MS float64 `json:"first_third_p99_ms"`
	LastThirdP99MS  float64 `json:"last_third_p99_ms"`
	FirstThirdQRate float64 `json:"first_third_quality_rate"`
	LastThirdQRate  float64 `json:"last_third_quality_rate"`
	Backlog         string  `json:"backlog"`
	MeetsTarget     bool    `json:"meets_target"`

	Errors          map[string]int `json:"errors_by_code"`
	FatalErrors     int            `json:"fatal_errors"`
	SessionsStarted int64          `json:"sessions_started"`
	Results         map[string]int `json:"results_by_decision"`
	ToResultP50S    float64        `json:"time_to_result_p50_seconds"`
	ToResultP90S    float64        `json:"time_to_result_p90_seconds"`

	IdleRSSBytes       float64 `json:"idle_rss_bytes"`
	PeakRSSBytes       float64 `json:"peak_rss_bytes"`
	PerSessionRSSBytes float64 `json:"rss_per_session_bytes"`
}

func (s *stats) report(cfg Config, elapsed time.Duration, idle, peak, after sample) *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	secs := elapsed.Seconds()
	r := &Report{
		Sessions: cfg.Sessions, FPS: cfg.FPS, DurationSeconds: secs,
		FramesSent: s.framesSent.Load(), SessionsStarted: s.sessionsStarted.Load(),
		QualityEvents: len(s.quality),
		Errors:        maps.Clone(s.errors), FatalErrors: s.fatal, Results: maps.Clone(s.results),
		IdleRSSBytes: idle.rss, PeakRSSBytes: peak.rss,
		PerSessionRSSBytes: (peak.rss - idle.rss) / float64(cfg.Sessions),
		GatewayReceived:    after.framesReceived - idle.framesReceived,
		GatewayDropped:     after.framesDropped - idle.framesDropped,
		MessagesThrottled:  after.messagesDropped - idle.messagesDropped,
	}
	if r.FramesSent > 0 {
		r.MeanFrameBytes = s.bytesSent.Load() / r.FramesSent
	}
	r.GatewayDropReason = map[string]float64{}
	for k, v := range after.droppedByReason {
		if d := v - idle.droppedByReason[k]; d > 0 {
			r.GatewayDropReason[strings.TrimSuffix(strings.TrimPrefix(k, `reason="`), `"`)] = d
		}
	}
	r.GatewayRead = r.GatewayReceived - r.GatewayDropped
	r.CaptureDropReason = map[string]float64{}
	for k, v := range after.captureByReason {
		if d := v - idle.captureByReason[k]; d > 0 {
			r.CaptureDropReason[strings.TrimSuffix(strings.TrimPrefix(k, `reason="`), `"`)] = d
		}
	}
	r.Analysed = after.framesAnalysed - idle.framesAnalysed
	r.Unaccounted = r.GatewayRead - (after.captureDropped - idle.captureDropped) - r.Analysed
	lost := r.GatewayDropReason["queue_full"] + r.GatewayDropReason["too_fast"] + r.CaptureDropReason["queue_full"]
	if r.Analysed+lost > 0 {
		r.AnalysedShare = r.Analysed / (r.Analysed + lost)
	}
	if secs > 0 && cfg.Sessions > 0 {
		r.AnalysedPerSession = r.Analysed / float64(cfg.Sessions) / secs
	}
	r.GatewayCPUSeconds = after.cpu - idle.cpu
	if secs > 0 {
		r.SendRate = float64(r.FramesSent) / secs
		r.QualityRate = float64(len(s.quality)) / secs
		r.ReadRate = r.GatewayRead / secs
	}
	end := s.begin.Add(elapsed)
	all := latencies(s.quality, s.begin, end)
	r.LatencyP50MS = ms(percentile(all, 50))
	r.LatencyP90MS = ms(percentile(all, 90))
	r.LatencyP99MS = ms(percentile(all, 99))
	r.LatencyMaxMS = ms(percentile(all, 100))
	third := elapsed / 3
	first := latencies(s.quality, s.begin, s.begin.Add(third))
	last := latencies(s.quality, end.Add(-third), end)
	r.FirstThirdP99MS, r.LastThirdP99MS = ms(percentile(first, 99)), ms(percentile(last, 99))
	if t := third.Seconds(); t > 0 {
		r.FirstThirdQRate, r.LastThirdQRate = float64(len(first))/t, float64(len(last))/t
	}
	sorted := slices.Clone(s.toResult)
	slices.Sort(sorted)
	r.ToResultP50S = percentile(sorted, 50).Seconds()
	r.ToResultP90S = percentile(sorted, 90).Seconds()

	fp, lp := percentile(first, 99), percentile(last, 99)
	growing := len(first) > 0 && len(last) > 0 && float64(lp) > growthFactor*float64(fp) && lp-fp > growthMin
	behind := r.FramesSent > 0 && (r.GatewayDropReason["queue_full"]+r.GatewayDropReason["too_fast"])/float64(r.FramesSent) > maxDropFraction
	switch {
	case growing:
		r.Backlog = "growing backlog"
	case behind:
		r.Backlog = "gateway behind (drops oldest frames)"
	default:
		r.Backlog = "none"
	}
	r.MeetsTarget = r.QualityEvents > 0 && r.LatencyP99MS < ms(TargetP99) && !growing && !behind && r.AnalysedShare >= MinAnalysedShare
	return r
}

// WriteTable prints the report for a person.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, f string, a ...any) { fmt.Fprintf(tw, "%s\t"+f+"\n", append([]any{k}, a...)...) }
	row("sessions", "%d at %g fps for %.1f s (clip %d frames)", r.Sessions, r.FPS, r.DurationSeconds, r.ClipFrames)
	row("frames sent", "%d (%.1f/s, %d bytes each on average)", r.FramesSent, r.SendRate, r.MeanFrameBytes)
	row("gateway frames", "received %.0f, dropped %.0f %v, read by the pipeline %.0f (%.1f/s)", r.GatewayReceived, r.GatewayDropped, r.GatewayDropReason, r.GatewayRead, r.ReadRate)
	row("frames analysed", "%.0f (%.1f per session per second), %.1f %% of those the gateway could analyse; capture loop skipped %v; unaccounted %.0f",
		r.Analysed, r.AnalysedPerSession, 100*r.AnalysedShare, r.CaptureDropReason, r.Unaccounted)
	row("cpu", "gateway %.1f s, this tool %.1f s (of %.1f s x cores)", r.GatewayCPUSeconds, r.ClientCPUSeconds, r.DurationSeconds)
	row("quality events", "%d (%.1f/s; throttled messages %.0f)", r.QualityEvents, r.QualityRate, r.MessagesThrottled)
	row("event latency", "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", r.LatencyP50MS, r.LatencyP90MS, r.LatencyP99MS, r.LatencyMaxMS)
	row("first/last third", "p99 %.1f / %.1f ms, quality %.1f / %.1f per s", r.FirstThirdP99MS, r.LastThirdP99MS, r.FirstThirdQRate, r.LastThirdQRate)
	row("backlog", "%s", r.Backlog)
	row("errors", "%s (fatal %d)", countList(r.Errors), r.FatalErrors)
	row("sessions started", "%d", r.SessionsStarted)
	row("results", "%s; start to result p50 %.1f s, p90 %.1f s", countList(r.Results), r.ToResultP50S, r.ToResultP90S)
	row("memory", "idle %.1f MiB, peak %.1f MiB, %.1f MiB per session", r.IdleRSSBytes/(1<<20), r.PeakRSSBytes/(1<<20), r.PerSessionRSSBytes/(1<<20))
	row("meets target", "%v (p99 < %s, no backlog, at least %.0f %% of frames analysed)", r.MeetsTarget, TargetP99, 100*MinAnalysedShare)
	tw.Flush()
}

func countList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
