package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/iin"
)

// iinSource hands out distinct valid IINs. It is safe for concurrent use.
type iinSource struct {
	mu sync.Mutex
	n  int
}

// newIINSource starts at start, so that runs with other seeds claim other
// IINs.
func newIINSource(start int) *iinSource { return &iinSource{n: start} }

// next returns a valid IIN not returned before by s.
func (s *iinSource) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.n++
		// Born 1990-1999, male or female, a serial from the counter; the
		// last digit is whichever check digit makes it valid (some
		// prefixes have none: skip them).
		prefix := fmt.Sprintf("%02d%02d%02d%d%04d", 90+s.n%10, 1+s.n%12, 1+s.n%28, 3+s.n%2, s.n%10000)
		for d := '0'; d <= '9'; d++ {
			if _, err := iin.Parse(prefix + string(d)); err == nil {
				return prefix + string(d)
			}
		}
	}
}

// invalidIIN returns an IIN whose check digit is wrong: invalid_iin.
func invalidIIN(valid string) string {
	last := valid[len(valid)-1]
	for d := byte('0'); d <= '9'; d++ {
		if d != last {
			if _, err := iin.Parse(valid[:len(valid)-1] + string(d)); err != nil {
				return valid[:len(valid)-1] + string(d)
			}
		}
	}
	return valid[:11] // too short: invalid too
}

// pool is a set of enrolled IINs lent to one client at a time, so that the
// harness itself never runs two sessions of one IIN at once (only the
// probes do, on purpose). An IIN whose client vanished or was cut rests
// for a while, since the gateway may still be running its session. It is
// safe for concurrent use.
type pool struct {
	name string
	mu   sync.Mutex
	ids  []string
	busy map[string]bool
	rest map[string]time.Time // not lent again before
	next int                  // round robin
}

func newPool(name string, ids []string) *pool {
	return &pool{name: name, ids: ids, busy: map[string]bool{}, rest: map[string]time.Time{}}
}

// take lends an IIN that is neither lent nor resting at now; ok is false
// when there is none.
func (p *pool) take(now time.Time) (id string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.ids {
		id := p.ids[p.next%len(p.ids)] // len > 0 in the loop
		p.next++
		if !p.busy[id] && !now.Before(p.rest[id]) {
			p.busy[id] = true
			return id, true
		}
	}
	return "", false
}

// give returns id, not to be lent again before until.
func (p *pool) give(id string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.busy, id)
	p.rest[id] = until
}

// retire takes id out of the pool for good (the gateway locked it out).
func (p *pool) retire(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = slices.DeleteFunc(p.ids, func(x string) bool { return x == id })
	delete(p.busy, id)
	delete(p.rest, id)
}

// add puts a newly enrolled IIN in the pool.
func (p *pool) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, id)
}
