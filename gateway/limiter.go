package gateway

import (
	"crypto/sha256"
	"sync"
	"time"
)

// window counts events per subject over a sliding window. Subjects are kept
// as SHA-256 digests, so no IIN or API key sits in memory as text here. It
// is safe for concurrent use.
type window struct {
	span time.Duration
	mu   sync.Mutex
	m    map[[sha256.Size]byte][]time.Time
}

func newWindow(span time.Duration) *window {
	return &window{span: span, m: map[[sha256.Size]byte][]time.Time{}}
}

// recent returns subject's events within the window ending at now, pruned.
// w.mu is held.
func (w *window) recent(d [sha256.Size]byte, now time.Time) []time.Time {
	ev := w.m[d]
	i := 0
	for i < len(ev) && !ev[i].After(now.Add(-w.span)) {
		i++
	}
	ev = ev[i:]
	if len(ev) == 0 {
		delete(w.m, d)
	} else {
		w.m[d] = ev
	}
	return ev
}

// sweep drops expired subjects once the map grows, so memory stays bounded
// by the subjects active within the window. w.mu is held.
func (w *window) sweep(now time.Time) {
	if len(w.m) < 1024 {
		return
	}
	for d := range w.m {
		w.recent(d, now)
	}
}

// add records an event.
func (w *window) add(subject string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweep(now)
	d := sha256.Sum256([]byte(subject))
	w.m[d] = append(w.recent(d, now), now)
}

// allow records an event and reports true if fewer than limit happened
// within the window; otherwise it records nothing and says how long to
// wait. limit 0 always allows.
func (w *window) allow(subject string, limit int, now time.Time) (bool, time.Duration) {
	if limit <= 0 {
		return true, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweep(now)
	d := sha256.Sum256([]byte(subject))
	ev := w.recent(d, now)
	if len(ev) >= limit {
		return false, ev[len(ev)-limit].Add(w.span).Sub(now)
	}
	w.m[d] = append(ev, now)
	return true, 0
}

// seconds rounds d up to whole seconds, at least 1: retry_after.
func seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
