package checkpoint

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// httpTimeout bounds one POST to an HTTP witness.
const httpTimeout = 10 * time.Second

// HTTPWitness posts each checkpoint line to a URL (body: the compact JWS,
// Content-Type application/jose) from its own goroutine, Run, so that a slow
// or absent witness never delays an append. Its queue is bounded: when it
// is full the oldest line is dropped and counted. Dropping the oldest loses
// little, because each checkpoint anchors the whole chain up to its
// position. Lines still queued when Run ends are not sent (the file has
// them).
type HTTPWitness struct {
	url     string
	client  *http.Client
	queue   chan string
	onError func(error)

	dropped, failed, sent atomic.Uint64
	failing               atomic.Bool
}

// NewHTTPWitness returns a witness posting to url, queueing at most queue
// lines (at least 1). onError, if not nil, hears when posting starts
// failing (once, until a post succeeds again) and when it recovers (nil).
func NewHTTPWitness(url string, queue int, onError func(error)) *HTTPWitness {
	return &HTTPWitness{url: url, client: &http.Client{Timeout: httpTimeout}, queue: make(chan string, max(queue, 1)), onError: onError}
}

// Witness implements Witness: it queues the line and never blocks.
func (w *HTTPWitness) Witness(line string) error {
	for {
		select {
		case w.queue <- line:
			return nil
		default:
		}
		select {
		case <-w.queue:
			w.dropped.Add(1)
		default:
		}
	}
}

// Run posts queued lines until ctx ends, and returns then.
func (w *HTTPWitness) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case line := <-w.queue:
			err := w.post(ctx, line)
			if err != nil {
				w.failed.Add(1)
			} else {
				w.sent.Add(1)
			}
			if was := w.failing.Swap(err != nil); was != (err != nil) && w.onError != nil && ctx.Err() == nil {
				w.onError(err)
			}
		}
	}
}

func (w *HTTPWitness) post(ctx context.Context, line string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, strings.NewReader(line+"\n"))
	if err != nil {
		return fmt.Errorf("checkpoint: witness: %w", err)
	}
	req.Header.Set("Content-Type", "application/jose")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("checkpoint: witness: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("checkpoint: witness: %s answered %s", w.url, resp.Status)
	}
	return nil
}

// HTTPStats counts an HTTP witness's lines.
type HTTPStats struct {
	Sent    uint64 // accepted by the witness (2xx)
	Failed  uint64 // not accepted: an error or another status
	Dropped uint64 // dropped from a full queue, never posted
}

// Stats returns the counts so far.
func (w *HTTPWitness) Stats() HTTPStats {
	return HTTPStats{Sent: w.sent.Load(), Failed: w.failed.Load(), Dropped: w.dropped.Load()}
}
