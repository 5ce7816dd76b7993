package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/protocol"
)

// Lockout and leases: failed attempts per subject (Failures) and one
// session per subject at a time (Holds), kept in the evidence store when
// there is one and in this process's memory otherwise.
//
// A failed attempt is counted the moment it fails, never at the session's
// end, so that no way of ending a session (cancel, disconnect,
// end_of_frames, a gateway killed) can undo it: a liveness attempt whose
// command failed (events.Command), a passive spoof (events.Passive), an
// IDEC no_match (finish). Each attempt counts once. Config.MaxAttempts
// failed attempts within Config.Lockout, from any sessions on any gateways
// sharing the store, lock the IIN out (evidence.Lockout).

// memHolds keeps the leases in memory (no Config.Evidence): one gateway.
type memHolds struct {
	mu sync.Mutex
	m  map[string]memHold
}

type memHold struct {
	holder string
	until  time.Time
}

func (h *memHolds) Hold(_ context.Context, key, holder string, now, until time.Time) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[key]; ok && cur.holder != holder && now.Before(cur.until) {
		return false, nil
	}
	h.m[key] = memHold{holder, until}
	return true, nil
}

func (h *memHolds) Release(_ context.Context, key, holder string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[key].holder == holder {
		delete(h.m, key)
	}
	return nil
}

func (h *memHolds) ReleaseGateway(_ context.Context, gateway string) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k, v := range h.m {
		if strings.HasPrefix(v.holder, gateway+"/") {
			delete(h.m, k)
			n++
		}
	}
	return n, nil
}

// subjectKey is the opaque key an IIN's failures are kept under.
func (s *Server) subjectKey(iin string) string {
	m := hmac.New(sha256.New, s.cfg.SubjectKey)
	m.Write([]byte(iin))
	return hex.EncodeToString(m.Sum(nil))
}

// lockout applies evidence.Lockout to the subject's failed attempts at
// now: how long it stays locked out (0: not), and how many failed attempts
// it has left before it is.
func (s *Server) lockout(ctx context.Context, key string, now time.Time) (locked time.Duration, left int, err error) {
	window, maxAttempts := s.cfg.Lockout, s.cfg.MaxAttempts
	ts, err := s.failures.Failures(ctx, key, now.Add(-window))
	if err != nil {
		return 0, 0, err
	}
	n, _ := evidence.Recent(ts, now, window)
	return evidence.Lockout(ts, now, window, maxAttempts), max(maxAttempts-n, 0), nil
}

// memFailures keeps failures in memory (no Config.Evidence): they do not
// outlive the process.
type memFailures struct{ w *window }

func (m memFailures) Failure(_ context.Context, key string, at time.Time) error {
	m.w.add(key, at)
	return nil
}

func (m memFailures) Failures(_ context.Context, key string, since time.Time) ([]time.Time, error) {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	var ts []time.Time
	for _, t := range m.w.m[sha256.Sum256([]byte(key))] {
		if t.After(since) {
			ts = append(ts, t)
		}
	}
	return ts, nil
}

// countFailure records that the session's attempt (1-based) failed, once
// per attempt, the moment it is known. When the store cannot record it the
// session ends with evidence_unavailable, so a failing store gives no free
// attempts, and ok is false. s.mu is held.
func (s *session) countFailure(attempt int) (ok bool) {
	attempt = max(attempt, 1)
	if attempt <= s.counted {
		return true
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.failures.Failure(ctx, s.srv.subjectKey(s.start.IIN), s.srv.cfg.Clock()); err != nil {
		s.log.Error("failed attempt not counted", "error", err)
		s.failLocked(protocol.CodeEvidenceUnavailable, 0)
		return false
	}
	s.counted = attempt
	return true
}

// releaseLocked lets the next session for this IIN, and the next
// session of the key, start: it releases the IIN's lease and gives back
// the session's place (its session slot once started) before the result
// goes out, so a client that starts again at once is not refused. A
// pipeline still winding down keeps its model set a moment longer; the
// next session's pipeline waits for it. s.mu is held.
func (s *session) releaseLocked() {
	if s.placed {
		s.srv.leave(s.key.name, s.slot)
		s.placed, s.slot = false, false
	}
	if s.held == "" {
		return
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.holds.Release(ctx, s.held, s.holder()); err != nil {
		s.log.Error("session lease not released; retrying", "error", err)
		lease := time.Duration(s.srv.cfg.Limits.SessionSeconds)*time.Second + time.Minute
		s.srv.releaseLater(s.held, s.holder(), time.Now().Add(lease))
	}
	s.held = ""
}

// releaseRetry is how often a lease the store would not release is tried
// again.
const releaseRetry = 2 * time.Second

// releaseLater keeps trying to release a session's lease that the store
// refused (a database restarting, a disk full), until it succeeds, the
// lease would have run out by itself (until), or the gateway shuts down:
// otherwise the IIN would wait for the lease's end (minutes) before it
// could start again. The goroutine is counted with the sessions, so
// Shutdown waits for it.
func (srv *Server) releaseLater(key, holder string, until time.Time) {
	srv.mu.Lock()
	if srv.stopping {
		srv.mu.Unlock()
		return
	}
	srv.wg.Add(1)
	srv.mu.Unlock()
	go func() {
		defer srv.wg.Done()
		t := time.NewTicker(releaseRetry)
		defer t.Stop()
		for {
			select {
			case <-srv.ctx.Done():
				return
			case <-t.C:
			}
			if time.Now().After(until) {
				return
			}
			ctx, cancel := context.WithTimeout(srv.ctx, storeTimeout)
			err := srv.holds.Release(ctx, key, holder)
			cancel()
			if err == nil {
				srv.cfg.Logger.Info("session lease released after a retry")
				return
			}
		}
	}()
}

// holder names the session's leases: GATEWAY/SESSION.
func (s *session) holder() string { return s.srv.cfg.ID + "/" + s.id }
