package devices

import (
	"sync"
	"testing"
	"time"
)

func TestBufferPoolReusesExactSize(t *testing.T) {
	p := NewBufferPool(4, 0)
	want := func(step string, s PoolStats) {
		t.Helper()
		if got := p.Stats(); got != s {
			t.Fatalf("%s: %+v, want %+v", step, got, s)
		}
	}
	b := p.Get(100)
	if len(b) != 100 || cap(b) != 100 {
		t.Fatalf("len %d cap %d, want an exact 100", len(b), cap(b))
	}
	p.Put(b)
	for range 10 {
		b := p.Get(100)
		if len(b) != 100 {
			t.Fatalf("reused len %d", len(b))
		}
		p.Put(b)
	}
	want("one at a time", PoolStats{Allocs: 1, Reuses: 10, Free: 1})

	var held [][]byte
	for range 6 {
		held = append(held, p.Get(100))
	}
	want("six held", PoolStats{Allocs: 6, Reuses: 11, InUse: 6, Free: 0})
	for _, b := range held {
		p.Put(b)
	}
	want("six back", PoolStats{Allocs: 6, Reuses: 11, Free: 4})
}

func TestBufferPoolHeadroomWithinLimit(t *testing.T) {
	p := NewBufferPool(2, 1100)
	b := p.Get(800)
	if len(b) != 800 || cap(b) != 1000 {
		t.Fatalf("len %d cap %d, want 800 with a quarter of headroom", len(b), cap(b))
	}
	p.Put(b)
	// A larger frame within the headroom reuses the buffer.
	if b = p.Get(950); cap(b) != 1000 || p.Stats().Reuses != 1 {
		t.Fatalf("cap %d, stats %+v: 950 bytes did not reuse the 1000-byte buffer", cap(b), p.Stats())
	}
	p.Put(b)
	// Headroom stops at the limit; a request past it is still served.
	if c := cap(p.Get(1000)); c != 1000 {
		t.Fatalf("cap %d for 1000 bytes (free one was taken); want 1000", c)
	}
	if c := cap(p.Get(1000)); c != 1100 {
		t.Fatalf("cap %d for a new 1000-byte buffer under a limit of 1100", c)
	}
	if c := cap(p.Get(2000)); c != 2000 {
		t.Fatalf("cap %d for 2000 bytes past the limit", c)
	}
}

func TestBufferPoolFullListKeepsLarger(t *testing.T) {
	p := NewBufferPool(2, 0)
	a, b, c := p.Get(10), p.Get(30), p.Get(20)
	p.Put(a)
	p.Put(b)
	p.Put(c) // full: replaces the 10-byte buffer
	if s := p.Stats(); s.Free != 2 || s.InUse != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Both free buffers are at least 20 bytes: two 20-byte gets reuse.
	p.Get(20)
	p.Get(20)
	if s := p.Stats(); s.Reuses != 2 || s.Allocs != 3 {
		t.Fatalf("stats %+v: the smallest buffer was not the one dropped", s)
	}
}

func TestBufferPoolSkipsTooSmall(t *testing.T) {
	p := NewBufferPool(4, 0)
	p.Put(p.Get(10))
	b := p.Get(20) // the frame size grew
	if len(b) != 20 || p.Stats().Allocs != 2 {
		t.Fatalf("len %d stats %+v", len(b), p.Stats())
	}
}

func TestBufferPoolClose(t *testing.T) {
	p := NewBufferPool(4, 0)
	out := p.Get(10)
	p.Put(p.Get(10))
	p.Close()
	p.Close()
	if s := p.Stats(); s.Free != 0 || s.InUse != 1 {
		t.Fatalf("after Close %+v", s)
	}
	p.Put(out)
	if s := p.Stats(); s.Free != 0 || s.InUse != 0 {
		t.Fatalf("a buffer put back after Close was kept: %+v", s)
	}
}

// Frames close from other goroutines than the camera's; the counters stay
// consistent. Run with -race to check the locking.
func TestBufferPoolAsFrameRelease(t *testing.T) {
	p := NewBufferPool(3, 0)
	frames := make(chan *Frame, 8)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for f := range frames {
				f.Close()
				f.Close() // idempotent: the buffer goes back once
			}
		})
	}
	for i := range 1000 {
		buf := p.Get(64)
		buf[0] = byte(i)
		frames <- NewFrame(uint64(i), time.Time{}, "test", Gray8, 8, 8, 8, buf, p.Put)
	}
	close(frames)
	wg.Wait()
	s := p.Stats()
	if s.InUse != 0 || s.Allocs+s.Reuses != 1000 || s.Free > 3 {
		t.Fatalf("stats %+v after 1000 frames", s)
	}
}
