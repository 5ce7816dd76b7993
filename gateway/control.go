package gateway

import (
	"errors"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// control waits for the start, runs the pipeline and IDEC, and ends the
// session with its result. It runs in its own goroutine; serve waits for
// it.
func (s *session) control() {
	defer close(s.runDone)
	wait := time.NewTimer(time.Duration(s.srv.cfg.Limits.StartSeconds) * time.Second)
	defer wait.Stop()
	select {
	case st := <-s.startCh:
		wait.Stop()
		if s.srv.isDraining() {
			s.abort() // a start that came as the gateway began to drain
			return
		}
		s.run(st)
	case <-s.srv.draining:
		s.abort()
	case <-wait.C:
		s.srv.m.refused.WithLabelValues("start_timeout").Inc()
		s.fail(protocol.CodeStartTimeout, 0)
	case <-s.ctx.Done():
		s.ctxEnded()
	}
}

func (s *session) run(st *protocol.Start) {
	if st.Modality == protocol.ModalityFinger {
		s.runFinger(st)
		return
	}
	cam, ok := s.openCamera(st)
	if !ok {
		return
	}
	if st.Camera.Mode != protocol.CameraRelay {
		defer cam.Close() // serve closes the relay camera
	}

	t0 := time.Now()
	s.mu.Lock()
	allowed := s.allowed
	s.mu.Unlock()
	opt := PipelineOptions{Commands: fixedCommands(st.Commands), Preview: st.Camera.Mode == protocol.CameraKiosk, Attempts: allowed,
		CommandTimeout: time.Duration(s.srv.cfg.Limits.CommandTimeoutMS) * time.Millisecond}
	out, err := s.srv.pipeline.Run(s.ctx, cam, opt, &events{s: s, preview: opt.Preview})
	s.srv.m.stage.WithLabelValues("liveness").Observe(time.Since(t0).Seconds())
	s.srv.m.captureStats(out.Capture)
	s.mu.Lock()
	s.over = true
	if err == nil {
		s.verif.out = &out
	}
	s.mu.Unlock()
	if err != nil {
		s.pipelineFailed(err)
		return
	}
	if out.Verdict == VerdictLive {
		if s.submit(st, cam, out) {
			// face_and_finger: the face matched; the fingerprint decides.
			if st.Camera.Mode != protocol.CameraRelay {
				cam.Close() // idempotent: the deferred Close is harmless
			}
			s.runFinger(st)
		}
		return
	}
	end, ok := livenessEndings[out.Verdict]
	if !ok { // a verdict the table lacks (a test prevents it): undecided
		end = livenessEndings[VerdictUndecided]
	}
	reasons := outcome.Strings(out.Reasons)
	if len(reasons) == 0 {
		reasons = []string{string(end.reason)}
	}
	s.finish(end.decision, reasons, nil, "")
}

// openCamera returns the session's camera: the relay camera prepareCamera
// made, or the kiosk camera named by the start, opened here and closed by
// the caller. When it cannot be opened the session ends and ok is false.
func (s *session) openCamera(st *protocol.Start) (cam devices.Camera, ok bool) {
	if st.Camera.Mode == protocol.CameraRelay {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.cam, true
	}
	c, err := s.srv.cameras.Open(s.ctx, st.Camera.Name)
	if err != nil {
		if s.ctx.Err() != nil {
			s.ctxEnded()
			return nil, false
		}
		s.log.Warn("kiosk camera", "error", err) // detail for logs only
		s.fail(protocol.CodeCameraUnavailable, 0)
		return nil, false
	}
	s.mu.Lock()
	s.verif.camera = c.Info().Backend
	s.mu.Unlock()
	return c, true
}

// pipelineFailed ends a session whose pipeline reached no verdict.
func (s *session) pipelineFailed(err error) {
	s.sourceFailed(err, "camera", protocol.CodeCameraUnavailable)
}

// sourceFailed ends a session whose source (a camera, or a fingerprint
// reader: what) gave out before a verdict: a recording that ended is a
// result, silence is idle_timeout, a device gone is unavailable, anything
// else is ours to fix.
func (s *session) sourceFailed(err error, what string, unavailable protocol.ErrorCode) {
	switch {
	case s.ctx.Err() != nil:
		s.ctxEnded()
	case errors.Is(err, devices.ErrEndOfStream):
		s.finish(outcome.Error, []string{string(outcome.ReasonSourceEnded)}, nil, "")
	case errors.Is(err, devices.ErrTimeout):
		s.fail(protocol.CodeIdleTimeout, 0)
	case errors.Is(err, devices.ErrNoDevice), errors.Is(err, devices.ErrDisconnected),
		errors.Is(err, devices.ErrBusy), errors.Is(err, devices.ErrClosed):
		s.log.Warn(what+" failed", "error", err)
		s.fail(unavailable, 0)
	default:
		s.log.Error(what+" pipeline failed", "error", err)
		s.fail(protocol.CodeInternal, 0)
	}
}

// consentRef identifies the consent record for IDEC.
func consentRef(c *protocol.Consent) string {
	return c.TextID + ":" + c.TextSHA256 + ":" + c.AcceptedAt.UTC().Format(time.RFC3339)
}

// submit sends the token to IDEC and ends the session with its answer,
// unless the start asked for a fingerprint too and IDEC matched the face:
// then it reports true, and the session goes on.
func (s *session) submit(st *protocol.Start, cam devices.Camera, out PipelineOutcome) (more bool) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.setState(protocol.StateSubmitting)
	// The gateway's id of the submission, for support; IDEC's client makes
	// its own idempotency key, which is logged with IDEC's answer.
	s.c.send(&protocol.Submitting{RequestID: newUUID()}, false)
	subject := s.subject
	s.mu.Unlock()

	at := out.CapturedAt
	if at.IsZero() {
		at = s.srv.cfg.Clock()
	}
	req := idec.Request{
		IIN: subject, BIN: s.srv.cfg.BIN, ConsentRef: consentRef(st.Consent), Photo: out.Token,
		Capture: idec.CaptureMeta{Time: at, Quality: min(max(out.Quality, 0), 100),
			Liveness: VerdictLive, DeviceID: s.srv.cfg.DeviceID + "/" + cam.Info().Backend},
	}
	return s.verify(req, outcome.Modality(st.Modality).Finger())
}

// verify sends req to IDEC and ends the session with its answer; the
// session is in submitting. When more is set and IDEC matched, it does
// not end the session but reports true: another modality follows.
func (s *session) verify(req idec.Request, more bool) bool {
	t0 := time.Now()
	res, err := s.srv.verifier.Verify(s.ctx, req)
	took := time.Since(t0)
	s.srv.m.stage.WithLabelValues("idec").Observe(took.Seconds())
	if err == nil {
		s.mu.Lock()
		if req.Finger != nil {
			s.verif.fingerIDEC, s.verif.fingerLatency = &res, took
		} else {
			s.verif.idec, s.verif.idecLatency = &res, took
		}
		s.mu.Unlock()
	}
	if err != nil && s.ctx.Err() != nil {
		s.ctxEnded()
		return false
	}
	end := idecEnding(idec.Classify(res, err))
	if more && err == nil && end.code == "" && end.decision == outcome.Match {
		return true
	}
	switch {
	case end.code == protocol.CodeInternal:
		s.log.Error("idec verify", "error", err) // idec errors hold no IIN or photo
		s.fail(end.code, 0)
	case end.code != "":
		s.fail(end.code, 0)
	case err == nil:
		sim := res.Similarity
		var reasons []string
		if end.reason != "" {
			reasons = []string{string(end.reason)}
		}
		s.finish(end.decision, reasons, &sim, res.IDECRequestID)
	default:
		s.finish(end.decision, []string{string(end.reason)}, nil, "")
	}
	return false
}

// fixedCommands are a start's fixed commands (validated against the
// vocabulary by protocol.ValidateStart), nil for random ones.
func fixedCommands(names []string) []outcome.Command {
	var cmds []outcome.Command
	for _, n := range names {
		cmds = append(cmds, outcome.Command(n))
	}
	return cmds
}
