//go:build !matprofile

// gocv's matprofile build records every Mat in a profile, which allocates.

package capture

import "testing"

// maxAllocsPerFrame bounds Loop.score's Go allocations per frame in steady
// state. Measured: 0 (the BGR24 view, detection, measures and best-frame
// copy reuse their buffers; native memory is not counted). Half an
// allocation leaves room for a rare one while failing as soon as something
// allocates on every frame.
const maxAllocsPerFrame = 0.5

// TestAllocationsDoNotGrowWithFrames: scoring a frame allocates a small,
// fixed number of times, so a long capture does not build up garbage. The
// per-frame figure over 100 frames must not exceed the one over 10 frames.
func TestAllocationsDoNotGrowWithFrames(t *testing.T) {
	frames := prepareFrames(t, benchFrames, 640, 480)
	l := newBenchLoop(t)
	next := 0
	score := func(n int) func() {
		return func() {
			for range n {
				an, _, _, err := l.score(frames[next], nil)
				if err != nil || an.Subject < 0 {
					t.Fatalf("frame %d: subject %d, %v", next, an.Subject, err)
				}
				next = (next + 1) % len(frames)
			}
		}
	}
	// AllocsPerRun warms up with one run of its own, outside the count.
	per10 := testing.AllocsPerRun(10, score(10)) / 10
	per100 := testing.AllocsPerRun(3, score(100)) / 100
	t.Logf("allocations per frame: %.2f over 10 frames, %.2f over 100", per10, per100)

	const epsilon = 0.05 // AllocsPerRun truncates to whole allocations per run
	if per100 > per10+epsilon {
		t.Errorf("allocations per frame grow with frames: %.2f over 100 frames, %.2f over 10", per100, per10)
	}
	if per10 > maxAllocsPerFrame || per100 > maxAllocsPerFrame {
		t.Errorf("%.2f and %.2f allocations per frame, want at most %v", per10, per100, maxAllocsPerFrame)
	}
}
