package capture

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/devices"
)

// frames makes n tiny frames whose Close is counted in closed.
func frames(n int, closed *atomic.Int64) []*devices.Frame {
	out := make([]*devices.Frame, n)
	for i := range out {
		out[i] = devices.NewFrame(uint64(i), time.Now(), "test", devices.Gray8, 1, 1, 1, []byte{0}, func([]byte) { closed.Add(1) })
	}
	return out
}

func TestLiveQueueDropsOldestAndClosesIt(t *testing.T) {
	var closed atomic.Int64
	q := newFrameQueue(2, true)
	for _, f := range frames(5, &closed) {
		if !q.push(context.Background(), f) {
			t.Fatal("push refused")
		}
	}
	if got := q.dropped.Load(); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	if got := closed.Load(); got != 3 {
		t.Errorf("closed %d dropped frames, want 3", got)
	}
	q.finish(devices.ErrEndOfStream)
	var seqs []uint64
	for f := range q.ch {
		seqs = append(seqs, f.Seq)
		f.Close()
	}
	if len(seqs) != 2 || seqs[0] != 3 || seqs[1] != 4 {
		t.Errorf("queue kept %v, want the freshest [3 4]", seqs)
	}
}

// TestFiniteQueueWaitsInsteadOfDropping runs in a synctest bubble:
// synctest.Wait returns once the pusher is durably blocked, which proves it
// waits, where a wall-clock wait could only make that likely.
func TestFiniteQueueWaitsInsteadOfDropping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var closed atomic.Int64
		q := newFrameQueue(2, false)
		fs := frames(3, &closed)
		q.push(context.Background(), fs[0])
		q.push(context.Background(), fs[1])
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan bool)
		go func() { done <- q.push(ctx, fs[2]) }()
		synctest.Wait() // the pusher is blocked on the full queue
		select {
		case <-done:
			t.Fatal("push into a full finite queue returned before the consumer took a frame")
		default:
		}
		cancel()
		if ok := <-done; ok {
			t.Error("push returned true after cancellation")
		}
		if q.dropped.Load() != 0 || closed.Load() != 1 {
			t.Errorf("dropped %d, closed %d; want 0 dropped and the refused frame closed", q.dropped.Load(), closed.Load())
		}
		q.finish(nil)
		q.drain()
		if closed.Load() != 3 {
			t.Errorf("after drain %d closed, want 3", closed.Load())
		}
	})
}

func TestLatencyPercentiles(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	p := h.percentiles()
	if p.P50 < 50 || p.P50 > 51 || p.P90 < 90 || p.P90 > 91 || p.P99 < 99 || p.P99 > 100 {
		t.Errorf("percentiles %+v of 1..100 ms", p)
	}
	h.add(time.Hour) // clamps into the last bucket
	if q := h.quantile(1); q != 500 {
		t.Errorf("max %v, want the 500 ms cap", q)
	}
}
