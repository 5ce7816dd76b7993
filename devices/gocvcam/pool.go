package gocvcam

import "sync"

// maxFreeBuffers bounds how many idle frame buffers a camera keeps. A
// consumer that holds more frames than this at once makes the camera
// allocate; buffers beyond the bound are left to the garbage collector.
const maxFreeBuffers = 4

// bufPool is a per-camera free list of frame buffers. Frames return their
// buffer through put when closed, possibly from another goroutine and
// possibly after the camera was closed, so it has its own lock. A plain
// list rather than a sync.Pool: a sync.Pool is emptied by every GC, which
// would reallocate a megabyte buffer per frame under memory pressure, and
// its reuse could not be asserted by a test.
type bufPool struct {
	mu     sync.Mutex
	free   [][]byte
	allocs uint64 // buffers made because none was free
	reuses uint64 // buffers taken from the free list
}

// get returns a buffer of length n, reused when one large enough is free.
func (p *bufPool) get(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.free) > 0 {
		b := p.free[len(p.free)-1]
		p.free[len(p.free)-1] = nil
		p.free = p.free[:len(p.free)-1]
		if cap(b) >= n {
			p.reuses++
			return b[:n]
		}
		// Too small: the frame size changed (new caps). Drop it.
	}
	p.allocs++
	return make([]byte, n)
}

// put returns a buffer to the free list. It is the release func of every
// frame the camera hands out.
func (p *bufPool) put(b []byte) {
	if cap(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxFreeBuffers {
		p.free = append(p.free, b[:cap(b)])
	}
}

// stats reports how many buffers were allocated and reused so far.
func (p *bufPool) stats() (allocs, reuses uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allocs, p.reuses
}
