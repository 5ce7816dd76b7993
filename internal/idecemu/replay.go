package idecemu

import (
	"container/list"
	"context"
	"sync"
)

// answer is a response as sent: status and body (always JSON).
type answer struct {
	status int
	body   []byte
}

// replayCache remembers the answers to recent request ids, least recently
// used dropped first, so that a retry gets the answer of the first attempt
// (the same idec_request_id) and a reused id with another body is refused.
// A second attempt arriving while the first is still running waits for it.
// Safe for concurrent use.
type replayCache struct {
	max int

	mu  sync.Mutex
	m   map[string]*replayEntry
	lru *list.List // of *replayEntry, most recent at the front
}

type replayEntry struct {
	id   string
	hash [32]byte
	done chan struct{} // closed when the first attempt finished
	ans  *answer       // nil while running, or when its outcome is not kept
	elem *list.Element
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, m: make(map[string]*replayEntry), lru: list.New()}
}

// begin looks up request id with body digest hash. It returns exactly one
// of: a recorded answer to replay; conflict, when the id was used with
// another body; or a finish function, when the caller is to process the
// request and must call finish once with the answer to record (nil to
// record nothing, so a retry is processed again). It waits while another
// attempt with the same id and body runs, until ctx ends (ctx's error).
func (c *replayCache) begin(ctx context.Context, id string, hash [32]byte) (replay *answer, conflict bool, finish func(*answer), err error) {
	for {
		c.mu.Lock()
		e, ok := c.m[id]
		if !ok {
			e = &replayEntry{id: id, hash: hash, done: make(chan struct{})}
			e.elem = c.lru.PushFront(e)
			c.m[id] = e
			c.evict()
			c.mu.Unlock()
			return nil, false, func(a *answer) { c.finish(e, a) }, nil
		}
		if e.hash != hash {
			c.mu.Unlock()
			return nil, true, nil, nil
		}
		if e.ans != nil {
			c.lru.MoveToFront(e.elem)
			a := e.ans
			c.mu.Unlock()
			return a, false, nil, nil
		}
		done := e.done
		c.mu.Unlock()
		select {
		case <-done: // recorded, or dropped: look again
		case <-ctx.Done():
			return nil, false, nil, ctx.Err()
		}
	}
}

func (c *replayCache) finish(e *replayEntry, a *answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[e.id] == e { // not evicted meanwhile
		if a != nil {
			e.ans = a
		} else {
			c.lru.Remove(e.elem)
			delete(c.m, e.id)
		}
	}
	close(e.done)
}

// evict drops the least recently used entries beyond max; c.mu is held. A
// running entry dropped this way is simply not recorded.
func (c *replayCache) evict() {
	for c.lru.Len() > c.max {
		e := c.lru.Remove(c.lru.Back()).(*replayEntry)
		delete(c.m, e.id)
	}
}
