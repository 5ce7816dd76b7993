package gateway

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// Causes of a session context's end, besides errShutdown.
var (
	errSessionTimeout = errors.New("gateway: session lasted too long")
	errEnded          = errors.New("gateway: session ended")
	errClientGone     = errors.New("gateway: client went away")
)

// session is one verification on one connection. The handler's goroutine
// reads (serve); control runs the pipeline and IDEC in a goroutine that
// serve waits for. Everything the two share is under mu, and every message
// is queued under mu, so the client sees them in the order of the state
// machine.
type session struct {
	srv     *Server
	id      string
	key     key
	c       *conn
	log     *slog.Logger
	created time.Time

	ctx     context.Context // ends with the session; Cause says why
	cancel  context.CancelCauseFunc
	startCh chan *protocol.Start // capacity 1: the accepted start
	runDone chan struct{}
	// timeoutStop stops the session_seconds timer.
	timeoutStop func() bool

	mu         sync.Mutex
	state      protocol.SessionState
	ended      bool
	outcome    string // metrics label, set when ended
	start      *protocol.Start
	subject    iin.IIN
	cam        RelayCamera // relay mode, from start on
	eof        bool        // end_of_frames received
	over       bool        // liveness ended: frames are dropped silently
	attempts   int
	allowed    int // liveness attempts this session may use (admit)
	counted    int // the last attempt counted as failed (countFailure)
	verif      verification
	held       string // the subject key this session holds (Server.hold)
	placed     bool   // counted by Server.enter, until releaseLocked
	slot       bool   // placed as a running session (Server.begin)
	frameErrAt map[protocol.ErrorCode]time.Time
	qualityAt  time.Time
	lastHints  []string
	progressAt time.Time
	stageStart time.Time
	// attestNonce is the session's attestation nonce (hello), when its
	// key asks for attestation; attestation is the outcome of the
	// accepted start's check, nil when none was made.
	attestNonce []byte
	attestation *attest.Outcome
}

// newSession makes the session of a connection the caller counted with
// srv.enter; the session gives that place back when it ends.
func newSession(srv *Server, id string, k key, c *conn, log *slog.Logger) *session {
	s := &session{
		srv: srv, id: id, key: k, c: c, log: log, created: time.Now(), placed: true,
		startCh:    make(chan *protocol.Start, 1),
		runDone:    make(chan struct{}),
		frameErrAt: map[protocol.ErrorCode]time.Time{},
	}
	s.newAttestNonce()
	s.ctx, s.cancel = context.WithCancelCause(srv.ctx)
	d := time.Duration(srv.cfg.Limits.SessionSeconds) * time.Second
	t := time.AfterFunc(d, func() { s.cancel(errSessionTimeout) })
	s.timeoutStop = t.Stop
	return s
}

// serve runs the session until its socket closes and its goroutines are
// gone.
func (s *session) serve() {
	s.open()
	go s.control()
	s.c.readLoop(s.onMessage)
	s.close()
}

// open greets the client: hello, then state waiting_start.
func (s *session) open() {
	s.mu.Lock()
	h := s.srv.hello(s.id)
	h.Attestation = s.attestOffer()
	s.c.send(h, false)
	s.setState(protocol.StateWaitingStart)
	s.stageStart = time.Now()
	s.mu.Unlock()
	s.log.Info("session opened")
}

// close ends the session once its client is gone (the reader returned):
// it stops control and waits for it, releases the IIN and the session's
// place (if the session did not end before), closes the relay camera and
// counts the outcome.
func (s *session) close() {
	s.cancel(errClientGone)
	s.mu.Lock()
	if s.cam != nil {
		s.cam.Disconnect()
	}
	s.mu.Unlock()
	<-s.runDone
	s.timeoutStop()

	s.mu.Lock()
	if !s.ended {
		s.ended = true
		s.outcome = "dropped"
		if s.c.isSlow() {
			s.outcome = "slow_consumer"
		}
	}
	s.releaseLocked()
	outcome, cam := s.outcome, s.cam
	s.mu.Unlock()
	if cam != nil {
		cam.Close()
		s.srv.m.relayStats(cam.Stats())
	}
	s.srv.m.sessions.WithLabelValues(outcome).Inc()
	s.log.Info("session closed", "outcome", outcome, "duration", time.Since(s.created).Round(time.Millisecond))
}

// setState records and reports a change of state. s.mu is held.
func (s *session) setState(st protocol.SessionState) {
	if s.state == st {
		return
	}
	s.state = st
	s.c.send(&protocol.State{State: st}, false)
}

// sendError reports a non-fatal error unless the session ended. s.mu is
// held.
func (s *session) sendError(m *protocol.ErrorMessage) {
	if !s.ended {
		s.c.send(m, false)
	}
}

// end marks the session ended with outcome and stops its work. s.mu is
// held; it reports false if the session had already ended.
func (s *session) end(outcome string) bool {
	if s.ended {
		return false
	}
	s.ended, s.outcome = true, outcome
	s.cancel(errEnded)
	s.releaseLocked()
	return true
}

// fail ends the session with a fatal error: error, then (after start)
// result error, then state done, then the close.
func (s *session) fail(code protocol.ErrorCode, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(code, retryAfter)
}

func (s *session) failLocked(code protocol.ErrorCode, retryAfter int) {
	started := s.state != protocol.StateWaitingStart
	outcome := "rejected"
	if started {
		outcome = string(protocol.DecisionError)
	}
	if !s.end(outcome) {
		return
	}
	s.log.Info("session failed", "code", code)
	var res *protocol.Result
	if started {
		res = s.result(protocol.DecisionError, []string{string(code)}, nil, "")
		if code != protocol.CodeEvidenceUnavailable {
			if err := s.record(res); err != nil { // the error result goes out unsigned
				s.log.Error("result document not kept", "error", err)
			}
		}
	}
	e := protocol.NewError(code)
	e.Fatal = true
	e.RetryAfter = retryAfter
	s.c.send(e, false)
	if res != nil {
		s.c.send(res, false)
	}
	s.state = protocol.StateDone
	s.c.send(&protocol.State{State: protocol.StateDone, Reason: protocol.DoneError}, false)
	info, _ := code.Info()
	status := info.CloseStatus
	if status == 0 {
		status = protocol.ClosePolicy
	}
	s.c.close(status, true)
}

// finish ends the session with a result. A spoof, refused or no_match is
// a failed attempt: counted here unless it was when it failed (a failed
// command, a passive spoof), before the result is kept, so a failing store
// gives no free attempts.
func (s *session) finish(d protocol.Decision, reasons []string, similarity *float64, idecID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	switch d {
	case protocol.DecisionSpoof, protocol.DecisionRefused, protocol.DecisionNoMatch:
		if !s.countFailure(s.attempts) {
			return
		}
	}
	res := s.result(d, reasons, similarity, idecID)
	if err := s.record(res); err != nil {
		s.log.Error("result document not kept", "error", err)
		s.failLocked(protocol.CodeEvidenceUnavailable, 0)
		return
	}
	s.end(string(d))
	s.c.send(res, false)
	s.state = protocol.StateDone
	s.c.send(&protocol.State{State: protocol.StateDone, Reason: protocol.DoneCompleted}, false)
	s.c.close(protocol.CloseNormal, true)
	s.log.Info("session decided", "decision", d, "reasons", reasons, "attempts", s.attempts)
}

// result builds the result message. s.mu is held and start was accepted.
func (s *session) result(d protocol.Decision, reasons []string, similarity *float64, idecID string) *protocol.Result {
	r := &protocol.Result{
		SessionID: s.id, Decision: d, Similarity: similarity, Reasons: reasons,
		IDECRequestID: idecID, ClientNonce: s.start.ClientNonce,
		FixedCommands: s.start.Commands != nil, DepartsFromRules: departures(s.start), Attempts: s.attempts,
		DecidedAt: s.srv.cfg.Clock().UTC().Truncate(time.Second),
	}
	if f := s.verif.finger; f != nil {
		r.Finger = &protocol.FingerResult{Position: s.start.Finger.Position, Quality: f.Quality,
			Impressions: f.Impressions, TemplateSHA256: f.TemplateSHA256}
		if x := s.verif.fingerIDEC; x != nil {
			sim := x.Similarity
			r.Finger.Similarity, r.Finger.IDECRequestID = &sim, x.IDECRequestID
		}
		if x := s.verif.idec; x != nil {
			// face_and_finger: the top-level answer is the face's.
			sim := x.Similarity
			r.Similarity, r.IDECRequestID = &sim, x.IDECRequestID
		}
	}
	return r
}

// ctxEnded handles the end of s.ctx: it says why, if the session did not
// end itself.
func (s *session) ctxEnded() {
	switch cause := context.Cause(s.ctx); {
	case errors.Is(cause, errShutdown):
		s.abort()
	case errors.Is(cause, errSessionTimeout):
		s.fail(protocol.CodeSessionTimeout, 0)
	}
	// errEnded, errClientGone: nothing left to say.
}

// abort ends the session because the gateway is stopping: aborted, then
// the close (going away).
func (s *session) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end("aborted") {
		s.c.send(&protocol.Aborted{Reason: protocol.AbortShutdown}, false)
		s.c.close(protocol.CloseGoingAway, true)
	}
}

// onMessage handles one message from the client, in the reader's
// goroutine.
func (s *session) onMessage(typ int, data []byte) {
	if typ == websocket.BinaryMessage {
		s.onFrame(data)
		return
	}
	if len(data) > s.srv.cfg.Limits.MaxMessageBytes {
		s.mu.Lock()
		s.sendError(protocol.NewError(protocol.CodeBadMessage))
		s.mu.Unlock()
		return
	}
	msg, err := protocol.DecodeClient(data)
	if err != nil {
		code := protocol.CodeOf(err)
		if info, _ := code.Info(); info.Fatal {
			s.fail(code, 0)
			return
		}
		s.log.Debug("message rejected", "error", err) // errors of DecodeClient never quote values
		s.mu.Lock()
		s.sendError(protocol.ErrorFor(err))
		s.mu.Unlock()
		return
	}
	switch m := msg.(type) {
	case *protocol.Start:
		s.onStart(m)
	case *protocol.Cancel:
		s.mu.Lock()
		if s.end("cancelled") {
			s.state = protocol.StateDone
			s.c.send(&protocol.State{State: protocol.StateDone, Reason: protocol.DoneCancelled}, false)
			s.c.close(protocol.CloseNormal, true)
		}
		s.mu.Unlock()
	case *protocol.EndOfFrames:
		s.onEndOfFrames()
	}
}
