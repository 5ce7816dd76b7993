package devices

import "sync"

// BufferPool is a bounded free list of frame buffers for a camera backend:
// Get hands out a buffer, and Put, the release func given to NewFrame,
// takes it back when the frame is closed. Frames are closed from any
// goroutine and possibly after their camera, so every method is safe for
// concurrent use.
//
// A plain list rather than a sync.Pool: a sync.Pool is emptied by every GC,
// which would reallocate a megabyte buffer per frame under memory pressure,
// and its reuse could not be asserted by a test.
type BufferPool struct {
	maxFree int
	maxCap  int

	mu     sync.Mutex
	free   [][]byte
	closed bool // Put drops buffers: the camera is gone
	stats  PoolStats
}

// PoolStats are a BufferPool's counters.
type PoolStats struct {
	// Allocs counts buffers made because none free was large enough.
	Allocs uint64
	// Reuses counts buffers taken from the free list.
	Reuses uint64
	// InUse is the number of buffers handed out by Get and not yet Put back.
	InUse int
	// Free is the number of idle buffers kept for reuse.
	Free int
}

// NewBufferPool makes a pool that keeps at most maxFree idle buffers (at
// least 1); buffers beyond that are left to the garbage collector, the
// smallest first. With maxCap > 0, a new buffer gets a quarter of headroom
// above the requested length, but no more capacity than maxCap bytes: for
// sizes that vary from frame to frame (JPEG), so that a slightly larger
// frame still reuses a buffer. With maxCap 0 buffers are made to the exact
// length (raw frames of one size).
func NewBufferPool(maxFree, maxCap int) *BufferPool {
	return &BufferPool{maxFree: max(1, maxFree), maxCap: max(0, maxCap)}
}

// Get returns a buffer of length n, reused when a free one is large enough,
// else newly made. The caller owns it until it hands it to Put (usually as
// the release func of the frame built over it).
func (p *BufferPool) Get(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.InUse++
	for i := len(p.free) - 1; i >= 0; i-- {
		if b := p.free[i]; cap(b) >= n {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free[last] = nil
			p.free = p.free[:last]
			p.stats.Reuses++
			return b[:n]
		}
	}
	p.stats.Allocs++
	c := n
	if p.maxCap > 0 {
		c = max(n, min(n+n/4, p.maxCap))
	}
	return make([]byte, n, c)
}

// Put returns a buffer from Get to the pool. It is meant as the release
// func of frames (NewFrame), so each buffer is put back once. A full free
// list keeps its larger buffers; after Close the buffer is dropped.
func (p *BufferPool) Put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.InUse--
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

// Close empties the free list and makes later Puts drop their buffer, so a
// closed camera's memory goes as soon as its last frame is closed. Buffers
// still out stay valid. Get still works after Close. It is idempotent.
func (p *BufferPool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	clear(p.free)
	p.free = nil
}

// Stats returns a snapshot of the counters.
func (p *BufferPool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Free = len(p.free)
	return s
}
