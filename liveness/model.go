package liveness

import (
	"fmt"

	"github.com/biogate/biogate/models"
)

// antiSpoof is MiniFASNet (models.AntiSpoof) as the primary FrameCue: its
// score is the model's Live.
type antiSpoof struct {
	spoof  *models.AntiSpoof // used, not owned
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
