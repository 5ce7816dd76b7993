package gateway

import (
	"sync"

	"github.com/biogate/biogate/gateway/protocol"
)

// capacity counts the connections of each stage, overall and per API key:
// pending from the upgrade until their start is accepted (they cost a
// socket and a few goroutines, no model set), running from then until the
// session's goroutines are gone (each holds one of MaxSessions model
// sets). A connection that waits for start holds no session slot, so idle
// sockets cannot keep honest sessions out. It is safe for concurrent use.
type capacity struct {
	maxPending, maxKeyPending int
	maxRunning, maxKeyRunning int

	mu         sync.Mutex
	pending    int
	running    int
	keyPending map[string]int // by key name; no entry at zero
	keyRunning map[string]int
}

func newCapacity(cfg Config) *capacity {
	return &capacity{
		maxPending: cfg.MaxPending, maxKeyPending: cfg.MaxPendingPerKey,
		maxRunning: cfg.MaxSessions, maxKeyRunning: cfg.MaxSessionsPerKey,
		keyPending: map[string]int{}, keyRunning: map[string]int{},
	}
}

// A refusal says which cap refused: its error code for the client and its
// reason for the refusals metric.
type refusal struct {
	code   protocol.ErrorCode // busy or key_busy
	reason string
}

var (
	refusedPending     = &refusal{protocol.CodeBusy, "pending"}
	refusedKeyPending  = &refusal{protocol.CodeKeyBusy, "key_pending"}
	refusedSessions    = &refusal{protocol.CodeBusy, "sessions"}
	refusedKeySessions = &refusal{protocol.CodeKeyBusy, "key_sessions"}
)

// open counts a new connection of key as pending, or refuses it when the
// pending connections are at their cap, overall or for key.
func (c *capacity) open(key string) *refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.pending >= c.maxPending:
		return refusedPending
	case c.keyPending[key] >= c.maxKeyPending:
		return refusedKeyPending
	}
	c.pending++
	c.keyPending[key]++
	return nil
}

// start turns a pending connection of key into a running session, or
// refuses it when the sessions are at their cap, overall or for key (the
// connection stays pending).
func (c *capacity) start(key string) *refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.running >= c.maxRunning:
		return refusedSessions
	case c.keyRunning[key] >= c.maxKeyRunning:
		return refusedKeySessions
	}
	c.running++
	c.keyRunning[key]++
	c.pending--
	dec(c.keyPending, key)
	return nil
}

// close forgets a connection of key opened by open: a running session if
// started, else a pending one.
func (c *capacity) close(key string, started bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if started {
		c.running--
		dec(c.keyRunning, key)
		return
	}
	c.pending--
	dec(c.keyPending, key)
}

func dec(m map[string]int, key string) {
	if m[key] <= 1 {
		delete(m, key)
		return
	}
	m[key]--
}

// enter counts a new connection of key as pending, or counts and returns
// the refusal.
func (s *Server) enter(key string) *refusal {
	if r := s.caps.open(key); r != nil {
		s.countRefusal(r)
		return r
	}
	s.m.pending.Inc()
	return nil
}

// begin gives key's pending connection a session slot, or counts and
// returns the refusal.
func (s *Server) begin(key string) *refusal {
	if r := s.caps.start(key); r != nil {
		s.countRefusal(r)
		return r
	}
	s.m.pending.Dec()
	s.m.active.Inc()
	return nil
}

// leave forgets a connection enter counted: its slot if begin gave it one.
func (s *Server) leave(key string, started bool) {
	s.caps.close(key, started)
	if started {
		s.m.active.Dec()
	} else {
		s.m.pending.Dec()
	}
}

func (s *Server) countRefusal(r *refusal) {
	s.m.refused.WithLabelValues(r.reason).Inc()
	if r.code == protocol.CodeBusy {
		s.m.busy.Inc()
	}
}
