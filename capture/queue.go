package capture

import (
	"context"
	"sync/atomic"

	"github.com/biogate/biogate/devices"
)

// frameQueue sits between the camera's reader goroutine and the scoring
// loop. It is bounded. For a live source a full queue drops its oldest frame
// (closing it) so the loop always scores the freshest one; for a finite
// source (file, folder) the reader waits instead, so every frame is scored.
// There is exactly one producer and one consumer.
type frameQueue struct {
	ch      chan *devices.Frame
	live    bool
	dropped atomic.Int64 // frames dropped from a full queue
	// discarded counts frames read but never taken by the consumer: the
	// producer's last frame when ctx ended, and those drain closed.
	discarded atomic.Int64
	err       error // why the producer stopped; written before ch is closed
}

func newFrameQueue(size int, live bool) *frameQueue {
	return &frameQueue{ch: make(chan *devices.Frame, size), live: live}
}

// push hands f to the queue, which then owns it. It returns false, having
// closed f, if ctx ended first.
func (q *frameQueue) push(ctx context.Context, f *devices.Frame) bool {
	if !q.live {
		select {
		case q.ch <- f:
			return true
		case <-ctx.Done():
			f.Close()
			q.discarded.Add(1)
			return false
		}
	}
	for {
		select {
		case q.ch <- f:
			return true
		default:
		}
		// Full: drop the oldest. The consumer may have taken it meanwhile,
		// in which case there is room on the next try.
		select {
		case old := <-q.ch:
			old.Close()
			q.dropped.Add(1)
		default:
		}
	}
}

// finish records why the producer stopped and closes the queue. Only the
// producer calls it, once.
func (q *frameQueue) finish(err error) {
	q.err = err
	close(q.ch)
}

// drain closes every frame still queued, counting them as discarded. Call
// it after the producer has exited.
func (q *frameQueue) drain() {
	for f := range q.ch {
		f.Close()
		q.discarded.Add(1)
	}
}
