package main

import (
	"context"
	"sync"
	"time"
)

// worker runs clients one after another until run ends or the budget of
// clients is spent. ctx is the harness's own (a signal), run the run's
// duration within it.
func (h *harness) worker(run, ctx context.Context, id int) {
	for run.Err() == nil {
		h.gate.RLock()
		if run.Err() != nil || h.n.Load() >= int64(h.prof.Sessions) {
			h.gate.RUnlock()
			return
		}
		p := h.pick()
		s := &Session{N: int(h.n.Add(1)), Kind: p.kind, IIN: p.iin}
		s.Offset = h.since(time.Now())
		runSession(ctx, h.gwHost, p, s)
		if p.done != nil {
			p.done(s)
		}
		h.gate.RUnlock()
		h.record(s)
		// A pause between clients, as people take; longer when the gateway
		// said it is full or could not be reached.
		h.mu.Lock()
		pause := time.Duration(h.rng.IntN(300)) * time.Millisecond
		h.mu.Unlock()
		if s.Outcome == "unavailable" || s.HTTPStatus == 503 || s.Fatal == "busy" || s.Fatal == "key_busy" {
			pause += 500 * time.Millisecond
		}
		sleep(ctx, pause)
	}
}

func (h *harness) record(s *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, s)
}

// pick chooses the next client's kind by the mix, falling back to a light
// kind when every heavy slot is taken or the kind's pool has no IIN free.
func (h *harness) pick() plan {
	h.mu.Lock()
	x := h.rng.IntN(totalWeight())
	vanishAfter := time.Duration(500+h.rng.IntN(9000)) * time.Millisecond
	light := lightKinds[h.rng.IntN(len(lightKinds))]
	h.mu.Unlock()
	kind := light
	for _, w := range mix {
		if x < w.weight {
			kind = w.kind
			break
		}
		x -= w.weight
	}
	if kind.heavy() {
		if p, ok := h.heavyPlan(kind, vanishAfter); ok {
			return p
		}
		kind = light
	}
	return h.lightPlan(kind)
}

var lightKinds = []Kind{KindBadIIN, KindGarbage, KindOversized, KindTooLarge, KindNotJPEG, KindBadKey}

func totalWeight() int {
	n := 0
	for _, w := range mix {
		n += w.weight
	}
	return n
}

// heavyPlan takes a heavy slot and an IIN for kind; ok is false when
// there is neither.
func (h *harness) heavyPlan(kind Kind, vanishAfter time.Duration) (plan, bool) {
	select {
	case h.heavy <- struct{}{}:
	default:
		return plan{}, false
	}
	p := plan{kind: kind, key: h.key, how: follow}
	from := KindGenuine
	switch kind {
	case KindGenuine, KindImpostor:
		p.frames, p.commands = h.clips.genuine, []string{"move_closer"}
		from = kind
	case KindVanish:
		p.frames, p.commands, p.how, p.vanishAfter = h.clips.genuine, []string{"move_closer"}, vanish, vanishAfter
	case KindAttack:
		p.frames, from = h.clips.attack, KindAttack
	case KindKiosk:
		if !h.kiosk.CompareAndSwap(false, true) {
			<-h.heavy
			return plan{}, false
		}
		p.kiosk, from = true, KindAttack
	case KindFinger, KindFingerImpostor:
		if h.reader == nil || !h.inUse.CompareAndSwap(false, true) {
			<-h.heavy
			return plan{}, false
		}
		p.finger, from = true, kind
	}
	release := func() {
		switch {
		case kind == KindKiosk:
			h.kiosk.Store(false)
		case kind.finger():
			h.inUse.Store(false)
		}
		<-h.heavy
	}
	pl := h.pools[from]
	id, ok := pl.take(time.Now())
	enrolment := h.enrolment[from]
	if !ok {
		release()
		return plan{}, false
	}
	p.iin = id
	p.done = func(s *Session) {
		// A client that did not see its session end leaves the gateway
		// running it for a while: the IIN rests before it is lent again.
		rest := time.Second
		switch s.Outcome {
		case "vanished", "cut", "hung":
			rest = 20 * time.Second
		}
		pl.give(id, time.Now().Add(rest))
		if s.Fatal == "locked_out" && !from.mayMatch() {
			// Spoofs and no-matches locked this IIN out, as they must: a
			// new person takes its place, so attacks keep reaching
			// liveness and IDEC all run long.
			pl.retire(id)
			h.replace(pl, enrolment)
		}
		release()
	}
	return p, true
}

// lightPlan is an invalid-input client, on a fresh IIN nobody enrolled.
func (h *harness) lightPlan(kind Kind) plan {
	p := plan{kind: kind, key: h.key, iin: h.ids.next()}
	switch kind {
	case KindBadIIN:
		p.how = sendBadIIN
	case KindGarbage:
		p.how = sendGarbage
	case KindOversized:
		p.how = sendOversized
	case KindTooLarge:
		p.how = sendTooLarge
	case KindNotJPEG:
		p.how = sendNotJPEG
	case KindBadKey:
		p.key = "not-a-key-" + nonce()
	}
	return p
}

// probe sends one fresh IIN from three clients at once; at most one may
// be accepted.
func (h *harness) probe(ctx context.Context) {
	h.gate.RLock()
	defer h.gate.RUnlock()
	id := h.ids.next()
	group := make([]*Session, 3)
	var wg sync.WaitGroup
	for i := range group {
		s := &Session{N: int(h.n.Add(1)), Kind: KindProbe, IIN: id, Offset: h.since(time.Now())}
		group[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			runSession(ctx, h.gwHost, plan{kind: KindProbe, key: h.key, iin: id, frames: h.clips.genuine,
				commands: []string{"move_closer"}, how: follow}, s)
		}()
	}
	wg.Wait()
	h.mu.Lock()
	h.probes = append(h.probes, group)
	h.mu.Unlock()
	for _, s := range group {
		h.record(s)
	}
}
