package liveness

import (
	"fmt"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

// AntiSpoofer scores the face at box in img (CV_8UC3 BGR, read during the
// call only) for presentation attacks: *models.AntiSpoof (MiniFASNet), or
// a pool of them that sessions share frame by frame.
type AntiSpoofer interface {
	Score(img gocv.Mat, box models.Rect) (models.AntiSpoofScore, error)
}

// antiSpoof is MiniFASNet (models.AntiSpoof) as the primary FrameCue: its
// score is the model's Live.
type antiSpoof struct {
	spoof  AntiSpoofer // used, not owned
	weight float64
}

func (c antiSpoof) Name() string    { return CueModel }
func (c antiSpoof) Weight() float64 { return c.weight }
func (antiSpoof) primary()          {}

// ScoreFrame runs MiniFASNet on the face (milliseconds). Errors are the
// AntiSpoof's, wrapped.
func (c antiSpoof) ScoreFrame(f *CueFrame) (float64, error) {
	s, err := c.spoof.Score(f.Image, f.Face)
	if err != nil {
		return 0, fmt.Errorf("liveness: anti-spoofing: %w", err)
	}
	return s.Live, nil
}
