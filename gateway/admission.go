package gateway

import (
	"time"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// onStart handles a start message: admission, then the camera, then the
// state capturing and the start handed to control.
func (s *session) onStart(st *protocol.Start) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	if s.state != protocol.StateWaitingStart {
		s.sendError(protocol.NewError(protocol.CodeUnexpectedMessage))
		return
	}
	subject, ok := s.admit(st)
	if !ok {
		return
	}
	if !s.prepareCamera(st) {
		return
	}
	s.start, s.subject = st, subject
	s.srv.m.stage.WithLabelValues("waiting_start").Observe(time.Since(s.stageStart).Seconds())
	if st.Modality == protocol.ModalityFinger {
		s.log.Info("session started", "modality", st.Modality, "finger", st.Finger.Position)
		s.setState(protocol.StateFinger)
	} else {
		s.log.Info("session started", "modality", st.Modality, "mode", st.Camera.Mode, "fixed_commands", st.Commands != nil)
		s.setState(protocol.StateCapturing)
	}
	s.startCh <- st
}

// admit decides whether st may start, in order: the start's own rules
// (consent, fixed commands, IIN), the key's scope for its camera mode, the
// app's attestation when the key asks for one (checkAttestation), a
// session slot (overall and for the key; s.slot from then on), the IIN's
// lockout, the per-IIN rate and the IIN's lease (one session per IIN,
// s.held from then on; s.allowed are the failed attempts the IIN has
// left, the liveness attempts the session may use). A refusal is reported
// to the client here (a non-fatal error, or the session's end) and ok is
// false. s.mu is held.
func (s *session) admit(st *protocol.Start) (subject iin.IIN, ok bool) {
	cfg := &s.srv.cfg
	now := cfg.Clock()
	if err := st.Validate(now, protocol.StartRules{ConsentMaxAge: cfg.ConsentMaxAge, AllowFixedCommands: cfg.AllowFixedCommands}); err != nil {
		s.log.Info("start rejected", "error", err) // FieldError text names the field, never the value
		s.sendError(protocol.ErrorFor(err))
		return iin.IIN{}, false
	}
	// The camera mode needs its scope; the gateway's fingerprint reader
	// is a kiosk's.
	need, field := ScopeKiosk, "camera.mode"
	if st.Modality != protocol.ModalityFinger && st.Camera.Mode == protocol.CameraRelay {
		need = ScopeRelay
	}
	if outcome.Modality(st.Modality).Finger() && !s.key.has(ScopeKiosk) {
		need, field = ScopeKiosk, "modality"
	}
	if !s.key.has(need) {
		e := protocol.NewError(protocol.CodeForbiddenScope)
		e.Fatal, e.Field = false, field // a rejected start: the client may pick the other mode
		s.sendError(e)
		return iin.IIN{}, false
	}
	if !s.checkAttestation(st) {
		return iin.IIN{}, false
	}
	if ref := s.srv.begin(s.key.name); ref != nil {
		s.failLocked(ref.code, 1)
		s.outcome = string(ref.code) // not a rejected start: a full gateway
		return iin.IIN{}, false
	}
	s.slot = true
	subject, err := iin.Parse(st.IIN)
	if err != nil { // Validate checked it
		s.failLocked(protocol.CodeInternal, 0)
		return iin.IIN{}, false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	key := s.srv.subjectKey(st.IIN)
	d, left, err := s.srv.lockout(ctx, key, now)
	if err != nil {
		s.log.Error("lockout check", "error", err)
		s.failLocked(protocol.CodeEvidenceUnavailable, 0)
		return iin.IIN{}, false
	}
	if d > 0 {
		s.recordLockout(st)
		s.failLocked(protocol.CodeLockedOut, seconds(d))
		return iin.IIN{}, false
	}
	if ok, wait := s.srv.perIIN.allow(st.IIN, cfg.RatePerIIN, now); !ok {
		s.srv.m.refused.WithLabelValues("rate_iin").Inc()
		s.failLocked(protocol.CodeRateLimited, seconds(wait))
		return iin.IIN{}, false
	}
	// One session per IIN at a time, across the gateways sharing the
	// store; a lease outlives the session's limit only if its gateway
	// died.
	lease := time.Duration(cfg.Limits.SessionSeconds)*time.Second + time.Minute
	held, err := s.srv.holds.Hold(ctx, key, s.holder(), now, now.Add(lease))
	if err != nil {
		s.log.Error("session lease", "error", err)
		s.failLocked(protocol.CodeEvidenceUnavailable, 0)
		return iin.IIN{}, false
	}
	if !held {
		s.failLocked(protocol.CodeIINInSession, 0)
		return iin.IIN{}, false
	}
	// The lease keeps every other session of this IIN out until this one
	// ends, so its failed attempts left are this session's to use.
	s.held, s.allowed = key, left
	return subject, true
}

// prepareCamera makes an admitted start's camera ready: relay mode gets
// its camera now (s.cam, fed by onFrame from here on); kiosk mode needs
// Cameras, and control opens the camera (openCamera), since opening may
// block. On failure the session ends and ok is false. s.mu is held.
func (s *session) prepareCamera(st *protocol.Start) bool {
	if outcome.Modality(st.Modality).Finger() {
		if s.srv.cfg.Readers == nil || s.srv.cfg.Fingers == nil {
			s.failLocked(protocol.CodeReaderUnavailable, 0)
			return false
		}
		if st.Modality == protocol.ModalityFinger {
			return true // control opens the reader (runFinger)
		}
	}
	if st.Camera.Mode == protocol.CameraRelay {
		if s.srv.cfg.Relay == nil {
			s.failLocked(protocol.CodeCameraUnavailable, 0)
			return false
		}
		cam, err := s.srv.cfg.Relay.NewCamera(s.srv.relayConfig(s.id))
		if err != nil {
			s.log.Error("relay camera", "error", err)
			s.failLocked(protocol.CodeInternal, 0)
			return false
		}
		s.cam = cam
		return true
	}
	if s.srv.cameras == nil {
		s.failLocked(protocol.CodeCameraUnavailable, 0)
		return false
	}
	return true
}
