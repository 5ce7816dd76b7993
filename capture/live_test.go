package capture

import (
	"context"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/devices/relay"
)

// TestLiveRelayDropsStaleFramesOnTime is TestLiveSourceDropsStaleFrames on
// a fake clock: a live relay camera fed at 60 frames/s for 1.5 s, scored at
// 25 frames/s (a 40 ms scorer), in a synctest bubble. Time passes only
// while every goroutine waits, so the scorer's 40 ms and the client's
// 16.7 ms are exact and the counts follow from them, not from the machine's
// load. The GStreamer version stays: its source runs on GStreamer's own
// threads and clock, outside any bubble.
func TestLiveRelayDropsStaleFramesOnTime(t *testing.T) {
	jpeg, err := os.ReadFile(face(t, "obama_small.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	l := newLoop(t, Config{MinQuality: 101, Timeout: time.Minute})
	synctest.Test(t, func(t *testing.T) {
		const n, fps = 90, 60
		cam, err := relay.New(relay.Config{ID: "test", Queue: 2, MaxFPS: 1000})
		if err != nil {
			t.Fatal(err)
		}
		defer cam.Close()
		var seqs []uint64
		l.cfg.OnFrame = func(r FrameReport) {
			seqs = append(seqs, r.Seq)
			time.Sleep(40 * time.Millisecond) // a scorer slower than the client
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			defer cam.End()
			var msg []byte
			for i := range uint32(n) {
				msg = relay.AppendMessage(msg[:0], relay.Header{Seq: i, CaptureMillis: time.Now().UnixMilli()}, jpeg)
				if err := cam.Push(msg); err != nil {
					t.Errorf("push %d: %v", i, err)
					return
				}
				time.Sleep(time.Second / fps)
			}
		})
		res, err := l.Run(context.Background(), cam)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		relayDropped := cam.Stats().Dropped
		t.Logf("scored %d, dropped %d by capture and %d by the relay, in %v", res.Frames, res.Dropped, relayDropped, res.Elapsed)
		if got := res.Frames + res.Dropped + int(relayDropped); got != n {
			t.Errorf("scored %d + dropped %d + %d = %d, want every one of the %d frames accounted for", res.Frames, res.Dropped, relayDropped, got, n)
		}
		// 1.5 s of frames at 40 ms each is 37.5 scored, plus what was queued
		// at the end (at most the two queues and the frame in hand).
		if res.Frames < 37 || res.Frames > 43 {
			t.Errorf("%d frames scored; want 37-43 at 25 frames/s over 1.5 s", res.Frames)
		}
		if res.Elapsed < 1500*time.Millisecond || res.Elapsed > 1700*time.Millisecond {
			t.Errorf("run took %v of fake time; want 1.5 s of frames and at most five 40 ms scorings after", res.Elapsed)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("sequence went back: %v", seqs)
			}
		}
		if seqs[len(seqs)-1] != n-1 {
			t.Errorf("last frame scored %d, want the freshest, %d", seqs[len(seqs)-1], n-1)
		}
		// A face, but no frame reaches an unreachable threshold.
		if res.Outcome != BestSoFar || res.Stop != StopEndOfStream {
			t.Errorf("outcome %s stop %s", res.Outcome, res.Stop)
		}
	})
}

// A live source that goes on after the loop stops (here at MaxFrames): the
// reader keeps taking frames into the full queue, dropping the oldest,
// until the loop has finished. Those frames came after the decision and
// count as discarded, so scored + dropped + discarded + bad is still
// every frame read.
func TestLiveFramesAfterTheStopAreAccountedFor(t *testing.T) {
	jpeg, err := os.ReadFile(face(t, "obama_small.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	l := newLoop(t, Config{MinQuality: 101, Timeout: time.Minute, MaxFrames: 5, QueueSize: 2})
	l.cfg.OnFrame = func(FrameReport) { time.Sleep(20 * time.Millisecond) } // a slow scorer
	rc, err := relay.New(relay.Config{ID: "test", Queue: 2, MaxFPS: 100000})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cam := &countingCamera{Camera: rc}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { // a client far faster than the scorer, until the test ends
		var msg []byte
		for i := uint32(0); ctx.Err() == nil; i++ {
			msg = relay.AppendMessage(msg[:0], relay.Header{Seq: i, CaptureMillis: time.Now().UnixMilli()}, jpeg)
			if rc.Push(msg) != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	res, err := l.Run(context.Background(), cam)
	read := int(cam.read.Load())
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read %d: scored %d, dropped %d, discarded %d, bad %d", read, res.Frames, res.Dropped, res.Discarded, res.BadFrames)
	if res.Stop != StopMaxFrames || res.Frames != 5 {
		t.Fatalf("stop %s after %d frames, want max_frames after 5", res.Stop, res.Frames)
	}
	if got := res.Frames + res.Dropped + res.Discarded + res.BadFrames; got != read {
		t.Errorf("scored %d + dropped %d + discarded %d + bad %d = %d, want the %d read",
			res.Frames, res.Dropped, res.Discarded, res.BadFrames, got, read)
	}
}
