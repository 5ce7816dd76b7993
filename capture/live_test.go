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
