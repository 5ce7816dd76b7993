package gateway

import (
	"bytes"
	"slices"
	"time"

	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// events turns a pipeline's progress into messages. Its methods are
// called from the pipeline's goroutine.
type events struct {
	s *session
	// preview: kiosk mode, previews are sent; previewAt is when the last
	// one was (under s.mu).
	preview   bool
	previewAt time.Time
}

var _ PipelineEvents = (*events)(nil)

// Quality implements PipelineEvents: it counts the frame analysed, and
// sends at most one message per 200 ms, and a repeat of the same hints at
// most once a second.
func (e *events) Quality(hints []string, score float64) {
	s := e.s
	s.srv.m.framesAnalysed.Inc()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	now := time.Now()
	since := now.Sub(s.qualityAt)
	if since < time.Second/protocol.QualityMaxPerSecond || (since < time.Second && slices.Equal(hints, s.lastHints)) {
		s.srv.m.messagesDrop.WithLabelValues("throttled").Inc()
		return
	}
	s.qualityAt, s.lastHints = now, append([]string{}, hints...) // [] not null on the wire
	s.c.send(&protocol.Quality{Hints: s.lastHints, Score: score}, true)
}

// Baseline implements PipelineEvents.
func (e *events) Baseline() {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && s.state == protocol.StateCapturing {
		s.setState(protocol.StateLiveness)
	}
}

// Command implements PipelineEvents; progress is throttled to
// ProgressMaxPerSecond.
func (e *events) Command(ev CommandEvent) {
	status, command, attempt, index, count, progress, reason := ev.Status, ev.Command, ev.Attempt, ev.Index, ev.Count, ev.Progress, ev.Reason
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	st := protocol.CommandStatus(status)
	now := time.Now()
	if st == protocol.CommandProgress {
		if now.Sub(s.progressAt) < time.Second/protocol.ProgressMaxPerSecond {
			s.srv.m.messagesDrop.WithLabelValues("throttled").Inc()
			return
		}
		s.progressAt = now
	}
	if s.state == protocol.StateCapturing {
		s.setState(protocol.StateLiveness)
	}
	s.attempts = max(s.attempts, attempt)
	m := &protocol.Command{Status: st, Command: command, Attempt: attempt, Index: index, Count: count}
	switch st {
	case protocol.CommandIssued:
		m.TimeoutMS = int(ev.Timeout / time.Millisecond)
	case protocol.CommandProgress, protocol.CommandPassed:
		m.Progress = progress
	case protocol.CommandFailed:
		// Counted now: however the session ends, this attempt failed.
		if !s.countFailure(attempt) {
			return
		}
		m.Reason, m.AttemptsLeft = reason, max(s.allowed-attempt, 0)
	}
	s.c.send(m, st == protocol.CommandProgress)
}

// Passive implements PipelineEvents.
func (e *events) Passive(decision outcome.Liveness, pLive float64, frames int) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	// A passive spoof fails the attempt under way (or the last, if every
	// attempt failed its commands): counted before anyone hears of it.
	if decision == VerdictSpoof && !s.countFailure(s.attempts) {
		return
	}
	s.over = true
	s.c.send(&protocol.Passive{Decision: decision, PLive: pLive, Frames: frames}, false)
}

// Preview implements PipelineEvents: in kiosk mode only, at most
// protocol.PreviewMaxPerSecond, and only while the send queue is less than
// a quarter full, so a preview never delays or displaces the session's own
// messages. Dropped previews are counted, never reported to the client.
func (e *events) Preview(jpeg []byte, width, height int) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !e.preview || s.ended || len(jpeg) == 0 {
		return
	}
	now := time.Now()
	if now.Sub(e.previewAt) < time.Second/protocol.PreviewMaxPerSecond {
		s.srv.m.messagesDrop.WithLabelValues("preview_throttled").Inc()
		return
	}
	if len(s.c.out) > cap(s.c.out)/4 {
		s.srv.m.messagesDrop.WithLabelValues("preview_backpressure").Inc()
		return
	}
	e.previewAt = now
	s.c.send(&protocol.Preview{JPEG: bytes.Clone(jpeg), Width: width, Height: height}, true)
}
