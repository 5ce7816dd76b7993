package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
)

// Lockout and leases: failed attempts per subject (Failures) and one
// session per subject at a time (Holds), kept in the evidence store when
// there is one and in this process's memory otherwise.

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

// storeTimeout bounds one evidence call. Appends run on a context that

// subjectKey is the opaque key an IIN's failures are kept under.
func (s *Server) subjectKey(iin string) string {
	m := hmac.New(sha256.New, s.cfg.SubjectKey)
	m.Write([]byte(iin))
	return hex.EncodeToString(m.Sum(nil))
}

// memFailures keeps failures in memory (no Config.Evidence): they do not
// outlive the process.
type memFailures struct{ w *window }

func (m memFailures) Failure(_ context.Context, key string, at time.Time) error {
	m.w.add(key, at)
	return nil
}

// LockedFor applies evidence.Lockout, the rule the store applies too.
func (m memFailures) LockedFor(_ context.Context, key string, now time.Time, window time.Duration, max int) (time.Duration, error) {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	return evidence.Lockout(m.w.recent(sha256.Sum256([]byte(key)), now), now, window, max), nil
}

// verification is what a session learnt on its way to a result, for the
// document: the pipeline's outcome and IDEC's answer. Guarded by the

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
	if err := s.srv.holds.Release(ctx, s.held, s.id); err != nil {
		s.log.Error("session lease not released (it runs out by itself)", "error", err)
	}
	s.held = ""
}
