package gateway

import (
	"errors"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// A finger session: the start was admitted with modality finger (or
// face_and_finger, and IDEC matched the face); control claims the reader,
// takes the impressions (Config.Fingers), sends the best to IDEC and ends
// with its answer, like a face session after liveness.

// runFinger runs a finger session from the accepted start st.
func (s *session) runFinger(st *protocol.Start) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.setState(protocol.StateFinger) // after the face's submitting, in face_and_finger
	s.mu.Unlock()
	r, err := s.srv.cfg.Readers.Open(s.ctx, st.Finger.Reader)
	if err != nil {
		if s.ctx.Err() != nil {
			s.ctxEnded()
			return
		}
		s.log.Warn("fingerprint reader", "error", err) // detail for logs only
		s.fail(protocol.CodeReaderUnavailable, 0)
		return
	}
	count := st.Finger.Impressions
	if count == 0 {
		count = protocol.DefaultImpressions
	}
	opt := FingerOptions{Position: st.Finger.Position, Impressions: count, MinQuality: s.srv.cfg.FingerMinQuality,
		IdleTimeout: time.Duration(s.srv.cfg.Limits.IdleSeconds) * time.Second}
	t0 := time.Now()
	out, err := s.srv.cfg.Fingers.Run(s.ctx, r, opt, &fingerEvents{s: s, position: st.Finger.Position})
	// The impressions are taken: the reader is free for the next session
	// before IDEC answers, and so before this one's result goes out (a
	// client starting again at once must not find it busy).
	if cerr := r.Close(); cerr != nil {
		s.log.Warn("fingerprint reader release", "error", cerr)
	}
	s.srv.m.stage.WithLabelValues("finger").Observe(time.Since(t0).Seconds())
	if err != nil {
		s.fingerFailed(err)
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.verif.finger = &out
	s.setState(protocol.StateSubmitting)
	s.c.send(&protocol.Submitting{RequestID: newUUID()}, false)
	subject := s.subject
	s.mu.Unlock()

	at := out.CapturedAt
	if at.IsZero() {
		at = s.srv.cfg.Clock()
	}
	s.verify(idec.Request{
		IIN: subject, BIN: s.srv.cfg.BIN, ConsentRef: consentRef(st.Consent),
		Finger: &idec.Finger{Position: st.Finger.Position.Code(), Format: idec.FormatFingerImage, Record: out.Record},
		Capture: idec.CaptureMeta{Time: at, Quality: float64(min(max(out.Quality, 0), 100)),
			DeviceID: s.srv.cfg.DeviceID + "/" + out.Reader},
	}, false)
}

// fingerFailed ends a finger session whose pipeline sent nothing.
func (s *session) fingerFailed(err error) {
	if errors.Is(err, ErrNoUsableFinger) && s.ctx.Err() == nil {
		s.finish(outcome.Error, []string{string(outcome.ReasonNoFinger)}, nil, "")
		return
	}
	s.sourceFailed(err, "fingerprint reader", protocol.CodeReaderUnavailable)
}

// fingerEvents turns a finger pipeline's progress into finger messages.
type fingerEvents struct {
	s        *session
	position outcome.Finger
}

var _ FingerEvents = (*fingerEvents)(nil)

func (e *fingerEvents) send(m *protocol.Finger) {
	s := e.s
	m.Position = e.position
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && s.state == protocol.StateFinger {
		s.c.send(m, false)
	}
}

// Place implements FingerEvents.
func (e *fingerEvents) Place(impression, count int) {
	e.send(&protocol.Finger{Status: protocol.FingerPlace, Impression: impression, Count: count})
}

// Lift implements FingerEvents.
func (e *fingerEvents) Lift(impression, count int) {
	e.send(&protocol.Finger{Status: protocol.FingerLift, Impression: impression, Count: count})
}

// Captured implements FingerEvents.
func (e *fingerEvents) Captured(impression, count, quality int, hint string) {
	e.send(&protocol.Finger{Status: protocol.FingerCaptured, Impression: impression, Count: count, Quality: quality, Hint: hint})
}

// Rejected implements FingerEvents.
func (e *fingerEvents) Rejected(impression, count, quality int, hint string) {
	e.send(&protocol.Finger{Status: protocol.FingerRejected, Impression: impression, Count: count, Quality: quality, Hint: hint})
}
