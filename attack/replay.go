package attack

import (
	"fmt"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/outcome"
)

// maxReplayFrames bounds the memory a replayed clip takes.
const maxReplayFrames = 900

// Replayer replays a recorded clip's frames in real time, looping, deaf to
// the commands: the replay species. It is read-only after NewReplayer.
type Replayer struct {
	frames   [][]byte
	interval time.Duration // the clip's frame interval
	once     bool          // no loop: ErrEndOfFrames after the last frame
}

// NewReplayer decodes the clip at path once and keeps its frames as
// FrameWidth-wide JPEGs of the given quality.
func NewReplayer(path string, quality int) (*Replayer, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	defer vc.Close()
	fps := vc.Get(gocv.VideoCaptureFPS)
	if !(fps >= 1 && fps <= 240) {
		fps = 30
	}
	m := gocv.NewMat()
	defer m.Close()
	r := &Replayer{interval: time.Duration(float64(time.Second) / fps)}
	for len(r.frames) < maxReplayFrames && vc.Read(&m) {
		if m.Empty() {
			break
		}
		im, err := imageFromMat(m)
		if err != nil {
			return nil, fmt.Errorf("clip %s: %w", path, err)
		}
		if im.W != FrameWidth {
			h := max(8, im.H*FrameWidth/im.W)
			if im, err = resize(im, FrameWidth, h); err != nil {
				return nil, err
			}
		}
		b, err := EncodeJPEG(im, quality)
		if err != nil {
			return nil, err
		}
		r.frames = append(r.frames, b)
	}
	if len(r.frames) == 0 {
		return nil, fmt.Errorf("clip %s: no frames", path)
	}
	return r, nil
}

// Command implements Generator: a replay ignores the commands.
func (r *Replayer) Command(outcome.Command, time.Duration) {}

// Frame implements Generator: the clip's frame at elapsed time at, looped
// (or, from Once, ErrEndOfFrames after the last).
func (r *Replayer) Frame(at time.Duration) ([]byte, error) {
	i := int(at / r.interval)
	if r.once && i >= len(r.frames) {
		return nil, ErrEndOfFrames
	}
	return r.frames[i%len(r.frames)], nil
}

// Cut returns a replayer of the clip's part from..to (to 0: the clip's
// end), sharing r's frames; an error when the part holds no frame.
func (r *Replayer) Cut(from, to time.Duration) (*Replayer, error) {
	if from < 0 || (to != 0 && to <= from) {
		return nil, fmt.Errorf("attack: clip part %s-%s: want 0 <= from < to", from, to)
	}
	i := int((from + r.interval - 1) / r.interval)
	j := len(r.frames)
	if to != 0 {
		j = min(j, int(to/r.interval)+1)
	}
	if i >= j {
		return nil, fmt.Errorf("attack: clip part %s-%s: no frames (the clip has %d, %s apart)", from, to, len(r.frames), r.interval)
	}
	return &Replayer{frames: r.frames[i:j], interval: r.interval, once: r.once}, nil
}

// Once returns a replayer of the same frames played once: after the last
// frame, Frame returns ErrEndOfFrames (Run then sends end_of_frames), as a
// phone app relaying a recording of a genuine session would.
func (r *Replayer) Once() *Replayer {
	return &Replayer{frames: r.frames, interval: r.interval, once: true}
}

// Frames returns the number of frames kept.
func (r *Replayer) Frames() int { return len(r.frames) }
