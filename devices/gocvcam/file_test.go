package gocvcam

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
)

func TestFileClips(t *testing.T) {
	c := steadyClip(t)
	// The MJPEG siblings are 640x480 at 30 fps over the same duration. A raw
	// MJPEG stream carries no timestamps and no rate, so FFmpeg assumes 25
	// fps unless the spec gives the real one.
	mjpegFrames := int(math.Round(c.summary.DurationS * 30))
	tests := []struct {
		name    string
		spec    string
		frames  int
		w, h    int
		fps     float64 // 0: only require a positive rate
		lastSec float64 // offset of the last frame from the first; 0: unchecked
	}{
		{"mp4", "file:" + c.mp4, c.summary.Frames, c.summary.Res[0], c.summary.Res[1], c.summary.FPS,
			float64(c.summary.Frames-1) / c.summary.FPS},
		{"mjpeg", "file:" + c.mjpeg, mjpegFrames, 640, 480, 0, 0},
		{"mjpeg with rate", "file:" + c.mjpeg + "?fps=30", mjpegFrames, 640, 480, 30,
			float64(mjpegFrames-1) / 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cam := open(t, tc.spec)
			info := cam.Info()
			id := strings.TrimSuffix(tc.spec[len("file:"):], "?fps=30")
			if info.Backend != "file" || info.ID != id || info.Live || info.Width != tc.w || info.Height != tc.h {
				t.Errorf("Info = %+v, want file %s %dx%d not live", info, id, tc.w, tc.h)
			}
			if tc.fps != 0 && info.FPS != tc.fps || info.FPS <= 0 {
				t.Errorf("Info.FPS = %v, want %v", info.FPS, tc.fps)
			}
			frames, err := readAll(t, cam)
			if len(frames) != tc.frames {
				t.Errorf("read %d frames, want %d", len(frames), tc.frames)
			}
			checkSequence(t, frames, tc.w, tc.h, id)
			if tc.lastSec != 0 && len(frames) > 0 {
				got := frames[len(frames)-1].time.Sub(frames[0].time).Seconds()
				if math.Abs(got-tc.lastSec) > 0.002 {
					t.Errorf("last frame at %.3f s, want %.3f s", got, tc.lastSec)
				}
			}
			checkEnded(t, cam, err)
		})
	}
}

// TestFileTimes checks that frame times are the container's: frame i of the
// 25 fps clip is i*40 ms after frame 0.
func TestFileTimes(t *testing.T) {
	c := steadyClip(t)
	cam := open(t, "file:"+c.mp4)
	frames, err := readAll(t, cam)
	if !errors.Is(err, devices.ErrEndOfStream) {
		t.Fatal(err)
	}
	for i, f := range frames {
		want := time.Duration(float64(i) / c.summary.FPS * float64(time.Second))
		if d := f.time.Sub(frames[0].time) - want; d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("frame %d at %v, want %v", i, f.time.Sub(frames[0].time), want)
		}
	}
}

func TestFileBadInput(t *testing.T) {
	c := steadyClip(t)
	mp4 := readShared(t, c.mp4)
	tests := []struct {
		name, path string
		noDevice   bool   // the error wraps ErrNoDevice (else it is a spec error)
		msg        string // the error says this
	}{
		{"missing", t.TempDir() + "/absent.mp4", true, "no such file"},
		{"folder", t.TempDir(), true, "is a folder"},
		{"empty", writeFile(t, "empty.mp4", nil), true, "empty file"},
		{"text", writeFile(t, "clip.mp4", []byte("this is not a video\n")), true, "not a video OpenCV can decode"},
		// FFmpeg opens it (the index is at the start) but decodes no frame.
		{"truncated 10 KB", writeFile(t, "cut.mp4", mp4[:10<<10]), true, "not a video OpenCV can decode"},
		{"bad option", t.TempDir() + "/x.mp4?fps=fast", false, "want a positive number"},
		{"unknown option", t.TempDir() + "/x.mp4?speed=2", false, `unknown option "speed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cam, err := devices.OpenCamera(context.Background(), "file:"+tc.path)
			if err == nil {
				cam.Close()
				t.Fatal("opened")
			}
			if errors.Is(err, devices.ErrNoDevice) != tc.noDevice || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q, want ErrNoDevice=%v with %q", err, tc.noDevice, tc.msg)
			}
		})
	}
}

// TestFileTruncatedMidway: a clip cut in the middle gives the frames before
// the cut, then a clean end.
func TestFileTruncatedMidway(t *testing.T) {
	c := steadyClip(t)
	mp4 := readShared(t, c.mp4)
	path := writeFile(t, "half.mp4", mp4[:len(mp4)/2])
	cam := open(t, "file:"+path)
	frames, err := readAll(t, cam)
	if len(frames) == 0 || len(frames) >= c.summary.Frames {
		t.Errorf("read %d frames from half a %d-frame clip", len(frames), c.summary.Frames)
	}
	checkSequence(t, frames, c.summary.Res[0], c.summary.Res[1], path)
	checkEnded(t, cam, err)
}

// TestFileNameWithQuestionMark: a path that exists is never split at '?'.
func TestFileNameWithQuestionMark(t *testing.T) {
	c := steadyClip(t)
	path := writeFile(t, "what?fps=1.mp4", readShared(t, c.mp4))
	cam := open(t, "file:"+path)
	if info := cam.Info(); info.ID != path || info.FPS != c.summary.FPS {
		t.Errorf("Info = %+v, want ID %s FPS %v", info, path, c.summary.FPS)
	}
}
