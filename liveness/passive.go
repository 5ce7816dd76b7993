package liveness

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/models"
)

// Defaults of PassiveConfig.
const (
	DefaultPassiveEveryN     = 1
	DefaultPassiveThreshold  = 0.5
	DefaultPassiveMinQuality = 20
	DefaultPassiveMinFrames  = 3
)

// PassiveConfig configures a Passive. Zero fields take the defaults.
type PassiveConfig struct {
	// EveryN scores every Nth counted frame (default 1: every frame).
	// Motion is followed on every counted frame regardless: it is cheap
	// and needs consecutive frames.
	EveryN int
	// Threshold is the fused p(live), in (0, 1), a session needs to be
	// live (default 0.5, MiniFASNet's own boundary: on the shared data
	// every genuine presentation scores at least 0.63 and every attack at
	// most 0.15, so any threshold between them makes no error; see
	// TestRealDataEvaluation).
	Threshold float64
	// MinQuality: frames whose capture unified quality score (0-100) is
	// below it do not count (default 20). capture scores 0 unless exactly
	// one face is in view, so a frame with two faces never counts. A
	// negative value counts every frame with a face.
	MinQuality float64
	// MinFrames: with fewer scored frames the session is undecided
	// (default 3). A single image is one presentation: use MinFrames 1.
	MinFrames int
	// Weights of the fusion (zero value: DefaultFusionWeights).
	Weights FusionWeights
}

func (c *PassiveConfig) setDefaults() error {
	if c.EveryN == 0 {
		c.EveryN = DefaultPassiveEveryN
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultPassiveThreshold
	}
	if c.MinQuality == 0 {
		c.MinQuality = DefaultPassiveMinQuality
	}
	if c.MinFrames == 0 {
		c.MinFrames = DefaultPassiveMinFrames
	}
	if c.Weights == (FusionWeights{}) {
		c.Weights = DefaultFusionWeights
	}
	switch {
	case c.EveryN < 1:
		return fmt.Errorf("liveness: EveryN %d below 1", c.EveryN)
	case !(c.Threshold > 0 && c.Threshold < 1):
		return fmt.Errorf("liveness: Threshold %v not in (0, 1)", c.Threshold)
	case math.IsNaN(c.MinQuality) || c.MinQuality > 100:
		return fmt.Errorf("liveness: MinQuality %v above 100 or NaN", c.MinQuality)
	case c.MinFrames < 1:
		return fmt.Errorf("liveness: MinFrames %d below 1", c.MinFrames)
	}
	return c.Weights.validate()
}

// Decision is the outcome of a passive session.
type Decision string

// Decisions.
const (
	// DecisionLive: the session's p(live) reached the threshold.
	DecisionLive Decision = "live"
	// DecisionSpoof: it did not.
	DecisionSpoof Decision = "spoof"
	// DecisionUndecided: fewer than MinFrames frames were scored.
	DecisionUndecided Decision = "undecided"
)

// FrameScore is what Observe says about one frame. All scores are in
// [0, 1] as evidence of live.
type FrameScore struct {
	// Scored is true when the frame was scored and counts in the session:
	// it had a subject face of enough quality and was an EveryNth counted
	// frame. The scores below are zero otherwise (Motion and
	// MotionAvailable excepted).
	Scored bool
	// Model is MiniFASNet's Live.
	Model float64
	// Screen and Print are the still cues (screen.go, print.go).
	Screen, Print float64
	// Motion is the session's motion cue so far (0.5 while not
	// MotionAvailable).
	Motion float64
	// Fused is the fused p(live) of this frame with the motion evidence so
	// far.
	Fused float64
	// MotionAvailable tells whether the session has seen enough movement
	// for the motion cue.
	MotionAvailable bool
}

// PassiveResult is a session's passive verdict.
type PassiveResult struct {
	// Frames is the number of scored frames.
	Frames int `json:"frames"`
	// Live is the median over scored frames of the fused p(live), each
	// fused with the session's final motion evidence (0 with no frames).
	Live float64 `json:"live"`
	// Decision compares Live with the threshold; Undecided below
	// MinFrames.
	Decision Decision `json:"decision"`
	// Model, Screen and Print are the medians of the frames' signals.
	Model  float64 `json:"model"`
	Screen float64 `json:"screen"`
	Print  float64 `json:"print"`
	// Motion is the session's motion cue (0.5 when not MotionAvailable).
	Motion float64 `json:"motion"`
	// MotionAvailable tells whether Motion counted in Live.
	MotionAvailable bool `json:"motion_available"`
}

// frameSignals are the per-frame signals a session keeps, with the still
// cues' raw measures (NaN when the face was too far outside the image).
type frameSignals struct{ model, screen, print, glare, chroma float64 }

// ErrClosed means a Passive was used after Close.
var ErrClosed = errors.New("liveness: closed")

// Passive scores the frames of one session with MiniFASNet and the passive
// cues. It keeps per-session state: Reset it (or make a new one) for the
// next session. Not safe for concurrent use. Close frees its native
// memory; the AntiSpoof stays the caller's.
type Passive struct {
	cfg    PassiveConfig
	spoof  *models.AntiSpoof
	still  *stillCues
	motion *motionTracker
	packed gocv.Mat // the frame, when Observe is given a non-continuous Mat

	counted int            // frames that counted (subject, quality)
	frames  []frameSignals // scored frames
	closed  bool
}

// NewPassive validates cfg (zero fields take the defaults) and returns a
// Passive that scores with spoof, which it uses but does not own: spoof
// must stay open until the Passive is no longer used.
func NewPassive(cfg PassiveConfig, spoof *models.AntiSpoof) (*Passive, error) {
	if spoof == nil {
		return nil, errors.New("liveness: nil AntiSpoof")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Passive{
		cfg:    cfg,
		spoof:  spoof,
		still:  newStillCues(),
		motion: newMotionTracker(),
		packed: gocv.NewMat(),
		frames: make([]frameSignals, 0, 64),
	}, nil
}

// Config returns the configuration in use, defaults filled in.
func (p *Passive) Config() PassiveConfig { return p.cfg }

// Observe scores one frame: img is the frame (CV_8UC3 BGR, not kept), an
// is its capture analysis and t its capture time (motion is measured on
// it; times must not go backwards within a session). A frame without a
// subject face, or below MinQuality, does not count (Scored false, no
// error) and breaks the motion chain. Errors: ErrBadImage for an unusable
// img, ErrClosed, and the AntiSpoof's errors (wrapped); the session stays
// usable after an error. Blocks for MiniFASNet (milliseconds) on a scored
// frame.
func (p *Passive) Observe(img gocv.Mat, an *capture.Analysis, t time.Time) (FrameScore, error) {
	if p.closed {
		return FrameScore{}, ErrClosed
	}
	if an == nil {
		return FrameScore{}, errors.New("liveness: nil analysis")
	}
	if err := checkImage(img); err != nil {
		return FrameScore{}, err
	}
	face, ok := an.SubjectFace()
	if !ok || !finiteBox(face.Box) || (p.cfg.MinQuality > 0 && an.Quality.Score < p.cfg.MinQuality) {
		p.motion.drop()
		return p.frameScore(FrameScore{}), nil
	}
	f, err := view(img, &p.packed)
	if err != nil {
		p.motion.drop()
		return FrameScore{}, err
	}
	p.motion.observe(f, face.Box, t)
	p.counted++
	if (p.counted-1)%p.cfg.EveryN != 0 {
		return p.frameScore(FrameScore{}), nil
	}
	s, err := p.spoof.Score(img, face.Box)
	if err != nil {
		return p.frameScore(FrameScore{}), fmt.Errorf("liveness: anti-spoofing: %w", err)
	}
	m, ok := p.still.measure(f, face.Box)
	fs := FrameScore{Scored: true, Model: s.Live, Screen: 0.5, Print: 0.5}
	if ok {
		fs.Screen, fs.Print = screenCue(m.Glare), printCue(m.Chroma)
	} else {
		m = stillMeasures{Glare: math.NaN(), Chroma: math.NaN()}
	}
	p.frames = append(p.frames, frameSignals{fs.Model, fs.Screen, fs.Print, m.Glare, m.Chroma})
	return p.frameScore(fs), nil
}

// frameScore fills in the motion evidence so far and the fused score.
func (p *Passive) frameScore(fs FrameScore) FrameScore {
	fs.Motion, fs.MotionAvailable = p.motion.score()
	if fs.Scored {
		fs.Fused = p.fuse(frameSignals{model: fs.Model, screen: fs.Screen, print: fs.Print}, fs.Motion, fs.MotionAvailable)
	}
	return fs
}

func (p *Passive) fuse(f frameSignals, motion float64, motionOK bool) float64 {
	return Fuse(p.cfg.Weights, FusionInput{Model: f.model, Screen: f.screen, Print: f.print,
		Motion: motion, MotionAvailable: motionOK})
}

// Result returns the session's verdict so far. It does not end the
// session: Observe may go on.
func (p *Passive) Result() PassiveResult {
	r := PassiveResult{Frames: len(p.frames), Decision: DecisionUndecided}
	r.Motion, r.MotionAvailable = p.motion.score()
	if len(p.frames) == 0 {
		return r
	}
	fused := make([]float64, len(p.frames))
	model := make([]float64, len(p.frames))
	screen := make([]float64, len(p.frames))
	prints := make([]float64, len(p.frames))
	for i, f := range p.frames {
		fused[i] = p.fuse(f, r.Motion, r.MotionAvailable)
		model[i], screen[i], prints[i] = f.model, f.screen, f.print
	}
	r.Live, r.Model, r.Screen, r.Print = median(fused), median(model), median(screen), median(prints)
	if r.Frames >= p.cfg.MinFrames {
		r.Decision = DecisionSpoof
		if r.Live >= p.cfg.Threshold {
			r.Decision = DecisionLive
		}
	}
	return r
}

// Reset starts a new session with the same configuration.
func (p *Passive) Reset() {
	p.counted = 0
	p.frames = p.frames[:0]
	p.motion.reset()
}

// Close frees the Passive's native memory. It is idempotent and always
// returns nil; Observe after Close returns ErrClosed. It does not close
// the AntiSpoof.
func (p *Passive) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.packed.Close()
	return nil
}
