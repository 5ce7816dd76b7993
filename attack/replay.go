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

// Frame implements Generator: the clip's frame at elapsed time at, looped.
func (r *Replayer) Frame(at time.Duration) ([]byte, error) {
	i := int(at/r.interval) % len(r.frames)
	return r.frames[i], nil
}

// Frames returns the number of frames kept.
func (r *Replayer) Frames() int { return len(r.frames) }
