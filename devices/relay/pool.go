package relay

import "sync"

// bufPool is a per-camera free list of JPEG buffers. Frames return their
// buffer through put when closed, from any goroutine and possibly after the
// camera was closed, so it has its own lock. A plain list rather than a
// sync.Pool: a sync.Pool is emptied by every GC, and its reuse could not be
// asserted by a test.
type bufPool struct {
	mu      sync.Mutex
	free    [][]byte
	maxFree int
	limit   int  // no buffer grows past this capacity (MaxFrameBytes)
	closed  bool // put drops buffers: the camera is gone
	allocs  uint64
	inUse   int // buffers handed out and not yet put back
}

// get returns a buffer of length n, reused when a free one is large
// enough. JPEG sizes vary from frame to frame, so a new buffer gets a
// quarter of headroom (within the limit).
func (p *bufPool) get(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inUse++
	for i, b := range p.free {
		if cap(b) >= n {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free[last] = nil
			p.free = p.free[:last]
			return b[:n]
		}
	}
	p.allocs++
	return make([]byte, n, max(n, min(n+n/4, p.limit)))
}

// put returns a buffer to the free list. It is the release func of every
// frame the camera hands out. A full list keeps its larger buffers.
func (p *bufPool) put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inUse--
	if p.closed || cap(b) == 0 {
		return
	}
	b = b[:cap(b)]
	if len(p.free) < p.maxFree {
		p.free = append(p.free, b)
		return
	}
	small := 0
	for i := range p.free {
		if cap(p.free[i]) < cap(p.free[small]) {
			small = i
		}
	}
	if cap(p.free[small]) < cap(b) {
		p.free[small] = b
	}
}

// close empties the free list and makes later puts drop their buffer.
func (p *bufPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	clear(p.free)
	p.free = nil
}

// stats reports how many buffers were allocated and how many are out.
func (p *bufPool) stats() (allocs uint64, inUse int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allocs, p.inUse
}
