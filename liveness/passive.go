package liveness

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/outcome"
)

// Defaults of PassiveConfig.
const (
	DefaultPassiveEveryN     = 3
	DefaultPassiveThreshold  = 0.5
	DefaultPassiveMinQuality = 20
	DefaultPassiveMinFrames  = 3
)

// PassiveConfig configures a Passive. Zero fields take the defaults.
type PassiveConfig struct {
	// EveryN scores every Nth counted frame (default 3): MiniFASNet's two
	// networks are two thirds of a frame's time, and a session's verdict
	// is the median over dozens of frames, which a third of them gives
	// (every decision on the shared data is the same as with every frame:
	// pad-eval, the clips, the relay and attack tests). Session cues
	// (motion, replayed frames, the flat cue) see every counted frame
	// regardless. A single image is scored (its first counted frame is).
	EveryN int
	// Threshold is the fused p(live), in (0, 1), a session needs to be
	// live (default 0.5, MiniFASNet's own boundary: on the shared data
	// every genuine presentation scores at least 0.53 and every attack at
	// most 0.23, so any threshold between them makes no error; see
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

// Decision is the outcome of a passive session, in the words of package
// outcome (never outcome.LivenessRefused).
type Decision = outcome.Liveness

// Decisions.
const (
	// DecisionLive: the session's p(live) reached the threshold.
	DecisionLive = outcome.Live
	// DecisionSpoof: it did not.
	DecisionSpoof = outcome.LivenessSpoof
	// DecisionUndecided: fewer than MinFrames frames were scored.
	DecisionUndecided = outcome.Undecided
)

// ErrClosed means a Passive was used after Close.
var ErrClosed = errors.New("liveness: closed")

// Positions of the built-in cues: they come first, in this order, in every
// Passive's fusion, before any added cue.
const (
	frameModel  = iota // in the frame cues
	frameScreen        // in the frame cues
	framePrint         // in the frame cues
)

// slot is a cue with its place among the frame or the session cues.
type slot struct {
	cue     Cue
	frame   int        // index among the frame cues, -1 for a session cue
	session SessionCue // nil for a frame cue
}

// Passive scores the frames of one session with its cues and fuses them:
// MiniFASNet, the screen and print cues and the motion cue, then any cue
// added at NewPassive, in that order. It keeps per-session state: Reset it
// (or make a new one) for the next session. Not safe for concurrent use.
// Close frees its native memory; the AntiSpoof stays the caller's.
type Passive struct {
	cfg     PassiveConfig
	slots   []slot // every cue, in fusion order
	frameCs []FrameCue
	session []SessionCue
	still   *stillCues
	motion  *motionTracker // the motion cue's state
	packed  gocv.Mat       // the frame, when Observe is given a non-continuous Mat
	cf      CueFrame       // the frame being observed, reused

	counted int            // frames that counted (subject, quality)
	frames  []frameSignals // scored frames
	scores  []float64      // the frame cues' scores, len(frameCs) per scored frame
	closed  bool
}

// NewPassive validates cfg (zero fields take the defaults) and returns a
// Passive that scores with spoof, which it uses but does not own: spoof
// must stay open until the Passive is no longer used. extra cues, each a
// FrameCue or a SessionCue with its own name and weight, are fused after
// the built-in ones; the Passive uses them for its sessions (Reset resets
// the session cues) and does not close them.
func NewPassive(cfg PassiveConfig, spoof AntiSpoofer, extra ...Cue) (*Passive, error) {
	if spoof == nil {
		return nil, errors.New("liveness: nil AntiSpoof")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Passive{
		cfg:    cfg,
		still:  newStillCues(),
		motion: newMotionTracker(),
		frames: make([]frameSignals, 0, 64),
	}
	w := cfg.Weights
	cues := append([]Cue{antiSpoof{spoof: spoof, weight: w.Model}, screenGlare{w.Screen}, printChroma{w.Print},
		motionCoherence{m: p.motion, weight: w.Motion}}, extra...)
	if err := checkCues(cues); err != nil {
		return nil, err
	}
	for _, c := range cues {
		if fc, ok := c.(FrameCue); ok {
			p.slots = append(p.slots, slot{cue: c, frame: len(p.frameCs)})
			p.frameCs = append(p.frameCs, fc)
		} else {
			sc := c.(SessionCue)
			p.slots = append(p.slots, slot{cue: c, frame: -1, session: sc})
			p.session = append(p.session, sc)
		}
	}
	p.scores = make([]float64, 0, 64*len(p.frameCs))
	p.packed = gocv.NewMat()
	return p, nil
}

// Config returns the configuration in use, defaults filled in.
func (p *Passive) Config() PassiveConfig { return p.cfg }

// Observe scores one frame: img is the frame (CV_8UC3 BGR, not kept), an
// is its capture analysis and t its capture time (motion is measured on
// it; times must not go backwards within a session). A frame without a
// subject face, below MinQuality or colourless (capture's
// Quality.Colourless) does not count (Scored false, no
// error) and breaks the motion chain. Errors: ErrBadImage for an unusable
// img, ErrClosed, and the cues' errors (MiniFASNet's wrapped as
// "anti-spoofing"); the session stays usable after an error. Blocks for
// MiniFASNet (milliseconds) on a scored frame.
func (p *Passive) Observe(img gocv.Mat, an *capture.Analysis, t time.Time) (FrameScore, error) {
	return p.observe(img, an, t, 0, nil)
}

// ObserveFrame is Observe for a frame from a devices.Camera: img is f
// decoded, and the cues see f's time, number and relay metadata. f is read
// during the call only, not closed.
func (p *Passive) ObserveFrame(img gocv.Mat, f *devices.Frame, an *capture.Analysis) (FrameScore, error) {
	if f == nil {
		return FrameScore{}, errors.New("liveness: nil frame")
	}
	return p.observe(img, an, f.Time, f.Seq, f.Relay)
}

func (p *Passive) observe(img gocv.Mat, an *capture.Analysis, t time.Time, seq uint64, relay *devices.RelayMeta) (FrameScore, error) {
	if p.closed {
		return FrameScore{}, ErrClosed
	}
	if an == nil {
		return FrameScore{}, errors.New("liveness: nil analysis")
	}
	if err := checkImage(img); err != nil {
		return FrameScore{}, err
	}
	// A colourless face (a greyscale or infrared camera) is not scored:
	// MiniFASNet, trained on colour, calls real grey faces spoofs. A
	// session of such frames is undecided, a non-response the person is
	// told of (no_colour), never a match.
	face, ok := an.SubjectFace()
	if !ok || !finiteBox(face.Box) || an.Quality.Colourless() || (p.cfg.MinQuality > 0 && an.Quality.Score < p.cfg.MinQuality) {
		p.skip()
		return p.frameScore(FrameScore{}, nil), nil
	}
	px, err := view(img, &p.packed)
	if err != nil {
		p.skip()
		return FrameScore{}, err
	}
	cf := &p.cf
	*cf = CueFrame{Image: img, Face: face.Box, Analysis: an, Time: t, Seq: seq, Relay: relay, px: px, still: p.still}
	defer func() { *cf = CueFrame{} }() // keep no reference to the caller's frame
	for _, c := range p.session {
		c.ObserveFrame(cf)
	}
	p.counted++
	if (p.counted-1)%p.cfg.EveryN != 0 {
		return p.frameScore(FrameScore{}, nil), nil
	}
	start := len(p.scores)
	for _, c := range p.frameCs {
		s, err := c.ScoreFrame(cf)
		if err != nil {
			p.scores = p.scores[:start]
			return p.frameScore(FrameScore{}, nil), err
		}
		p.scores = append(p.scores, s)
	}
	m, ok := cf.m, cf.state == stillDone
	if !ok {
		m = stillMeasures{Glare: math.NaN(), Chroma: math.NaN()}
	}
	p.frames = append(p.frames, frameSignals{m.Glare, m.Chroma})
	return p.frameScore(FrameScore{Scored: true}, p.scores[start:]), nil
}

// skip tells the session cues that a frame did not count.
func (p *Passive) skip() {
	for _, c := range p.session {
		c.SkipFrame()
	}
}

// frameScore fills in the motion evidence so far and, for a scored frame
// whose frame cues gave scores, the cues and the fused score.
func (p *Passive) frameScore(fs FrameScore, scores []float64) FrameScore {
	fs.Motion, fs.MotionAvailable = p.motion.score()
	if fs.Scored {
		fs.Model, fs.Screen, fs.Print = scores[frameModel], scores[frameScreen], scores[framePrint]
		fs.Cues = p.cueScores(scores, make([]CueScore, 0, len(p.slots)))
		fs.Fused = FuseScores(p.cfg.Weights.Bias, fs.Cues)
	}
	return fs
}

// sessionScore is a session cue's CueScore now.
func (s slot) sessionScore() CueScore {
	v, ok := s.session.Score()
	return scoreOf(s.cue, v, ok)
}

// cueScores appends to dst every cue's CueScore, in fusion order: the
// frame cues' from scores (one per frame cue), the session cues' as they
// are now.
func (p *Passive) cueScores(scores []float64, dst []CueScore) []CueScore {
	for _, s := range p.slots {
		if s.frame >= 0 {
			dst = append(dst, scoreOf(s.cue, scores[s.frame], true))
		} else {
			dst = append(dst, s.sessionScore())
		}
	}
	return dst
}

// Result returns the session's verdict so far. It does not end the
// session: Observe may go on.
func (p *Passive) Result() PassiveResult {
	r := PassiveResult{Frames: len(p.frames), Decision: DecisionUndecided, Bias: p.cfg.Weights.Bias}
	r.Motion, r.MotionAvailable = p.motion.score()
	r.MotionRatio = p.motion.ratio()
	n := len(p.frameCs)
	for i, f := range p.frames {
		r.Measures = append(r.Measures, FrameMeasure{Model: p.scores[i*n+frameModel], Glare: f.glare, Chroma: f.chroma})
	}
	if len(p.frames) == 0 {
		for _, s := range p.slots {
			if s.frame >= 0 {
				r.Cues = append(r.Cues, CueScore{Name: s.cue.Name(), Score: 0.5, Weight: s.cue.Weight()})
			} else {
				r.Cues = append(r.Cues, s.sessionScore())
			}
		}
		p.deciders(&r)
		return r
	}
	fused := make([]float64, len(p.frames))
	buf := make([]CueScore, 0, len(p.slots))
	for i := range p.frames {
		buf = p.cueScores(p.scores[i*n:(i+1)*n], buf[:0])
		fused[i] = FuseScores(r.Bias, buf)
	}
	r.Live = median(fused)
	// Each frame cue's median: NaN frames (no evidence) left out, except
	// for the model, whose NaN must show.
	med := make([]float64, n)
	col := make([]float64, 0, len(p.frames))
	for j, c := range p.frameCs {
		_, prim := c.(primary)
		col = col[:0]
		for i := range p.frames {
			if v := p.scores[i*n+j]; prim || !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		med[j] = median(col)
	}
	r.Cues = p.cueScores(med, nil)
	r.Model, r.Screen, r.Print = med[frameModel], med[frameScreen], med[framePrint]
	if r.Frames >= p.cfg.MinFrames {
		r.Decision = DecisionSpoof
		if r.Live >= p.cfg.Threshold {
			r.Decision = DecisionLive
		}
	}
	p.deciders(&r)
	return r
}

// deciders lets the first Decider cue whose session score reached its
// DecideBelow decide spoof, with its reason; r.Cues are in slot order.
func (p *Passive) deciders(r *PassiveResult) {
	for i, s := range p.slots {
		d, ok := s.cue.(Decider)
		if !ok {
			continue
		}
		if c := r.Cues[i]; c.Available && c.Score <= d.DecideBelow() {
			r.Decision, r.DecidedBy, r.Reason = DecisionSpoof, c.Name, d.Reason()
			return
		}
	}
}

// Reset starts a new session with the same configuration and cues.
func (p *Passive) Reset() {
	p.counted = 0
	p.frames = p.frames[:0]
	p.scores = p.scores[:0]
	for _, c := range p.session {
		c.Reset()
	}
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
