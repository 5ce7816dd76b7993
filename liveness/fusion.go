package liveness

import (
	"fmt"
	"math"
)

// FusionInput holds one frame's scores of the built-in cues, each in
// [0, 1] as evidence of live (see Fuse).
type FusionInput struct {
	// Model is MiniFASNet's Live (models.AntiSpoofScore.Live).
	Model float64
	// Screen is the screen-replay cue (screen.go).
	Screen float64
	// Print is the print cue (print.go).
	Print float64
	// Motion is the motion-coherence cue; it counts only when
	// MotionAvailable (a single image has none).
	Motion          float64
	MotionAvailable bool
}

// FusionWeights are the built-in cues' weights (Cue.Weight of CueModel,
// CueScreen, CuePrint and CueMotion) and the fusion's bias. The fused
// p(live) of a frame is sigmoid(Bias + the sum over the cues of Weight *
// logit(score)), added in fusion order (FuseScores); with the built-in cues
// alone it is
//
//	sigmoid(Bias + Model*logit(Model) + Screen*logit(Screen) + Print*logit(Print) + Motion*logit(Motion))
//
// with each input clamped away from 0 and 1 first (MiniFASNet to
// [0.001, 0.999], the cues to [0.02, 0.98]). A cue at 0.5 adds nothing, so
// a cue that has no evidence either way leaves the model's score as it is.
// The cues are mapped (see screen.go, print.go, motion.go) into [0.1, 0.5]:
// each may only lower p(live), by a logit of at most 2.2, and only beyond
// a level no genuine frame of the shared data reached, with a margin
// (ConservativeCurves). At the default weights the cues together move the
// fused logit by at most 3.3 down and never up, against 4.6 for MiniFASNet
// at 0.99: they cannot overturn a model that is sure.
type FusionWeights struct {
	// Bias shifts the fused logit. 0 keeps MiniFASNet's own calibration,
	// whose 0.5 is the upstream project's decision boundary.
	Bias float64
	// Model weighs logit(MiniFASNet Live). It must be positive: the model
	// is the primary signal.
	Model float64
	// Screen weighs the screen cue (specular glare of a screen's glass).
	Screen float64
	// Print weighs the print cue (chroma lost by reproduction).
	Print float64
	// Motion weighs the motion-coherence cue.
	Motion float64
}

// DefaultFusionWeights are the weights PassiveConfig takes when its Weights
// are zero. The figures behind them: biogate pad-eval's cross-validation
// (leave one source out: on every fold the cues earned weight 0, since
// MiniFASNet alone makes no error on the other sources), its --transform
// figures (the print cue made greyscale, desaturated and dark genuine
// faces fail) and TestRealDataEvaluation.
var DefaultFusionWeights = FusionWeights{
	// 0: at the default threshold of 0.5 the fused score with neutral cues
	// decides exactly as MiniFASNet does.
	Bias: 0,
	// 1: MiniFASNet keeps its own scale. On the shared data it alone puts
	// every attack below 0.25 and every genuine presentation above 0.5.
	Model: 1,
	// 1: glare far beyond any genuine face's (8 % clipped highlights and
	// more; genuine faces reach 3.7 %, the tablet replay 14 %) pulls a
	// score down, at most by a logit of 2.2; below it the cue is neutral.
	Screen: 1,
	// 0: chroma is not confident evidence (print.go): a monochrome or
	// colour-graded camera makes genuine faces greyer than prints. The
	// cue is reported, not counted.
	Print: 0,
	// 0.5: surroundings moving with the face far more rigidly than any
	// genuine session's (ratio below 0.56, genuine at least 0.76) nudge the
	// score down, at most by a logit of 1.1: a hand-held camera can make a
	// live face look rigid with its surroundings (motion.go).
	Motion: 0.5,
}

// validate reports an error unless every weight is finite, Model is
// positive and the cue weights are not negative (a negative weight would
// turn evidence of spoof into evidence of live).
func (w FusionWeights) validate() error {
	for _, v := range [...]float64{w.Bias, w.Model, w.Screen, w.Print, w.Motion} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("liveness: fusion weights %+v: not finite", w)
		}
	}
	if w.Model <= 0 {
		return fmt.Errorf("liveness: fusion weight Model %v: must be positive", w.Model)
	}
	if w.Screen < 0 || w.Print < 0 || w.Motion < 0 {
		return fmt.Errorf("liveness: fusion weights %+v: cue weights must not be negative", w)
	}
	return nil
}

// Clamps of the inputs before their logit: MiniFASNet's softmax reaches
// 1-1e-6 and more, and one frame must not outweigh everything else by an
// unbounded logit.
const (
	modelClamp = 0.001
	cueClamp   = 0.02
)

// Fuse returns the fused p(live) of the built-in cues' scores in under w:
// the fusion Passive makes of a frame with no added cue. A NaN cue counts
// as neutral (0.5); a NaN Model gives NaN, which Evaluate never accepts.
func Fuse(w FusionWeights, in FusionInput) float64 {
	cues := [...]CueScore{
		scoreOf(antiSpoof{weight: w.Model}, in.Model, true),
		scoreOf(screenGlare{w.Screen}, in.Screen, true),
		scoreOf(printChroma{w.Print}, in.Print, true),
		scoreOf(motionCoherence{weight: w.Motion}, in.Motion, in.MotionAvailable),
	}
	return FuseScores(w.Bias, cues[:])
}

// logit returns log(p/(1-p)) with p clamped to [eps, 1-eps]; NaN gives NaN.
func logit(p, eps float64) float64 {
	if math.IsNaN(p) {
		return math.NaN()
	}
	p = math.Min(1-eps, math.Max(eps, p))
	return math.Log(p / (1 - p))
}

// cueLogit is logit for a cue: clamped to [cueClamp, 1-cueClamp], and 0
// (neutral) for NaN.
func cueLogit(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	return logit(p, cueClamp)
}

// FrameMeasure is one scored frame's raw measures: MiniFASNet's Live and
// the still cues' measures before their curves (NaN when too little of the
// face was in the image).
type FrameMeasure struct {
	Model  float64
	Glare  float64 // the screen cue's measure (screen.go)
	Chroma float64 // the print cue's measure (print.go)
}

// Calibration is everything the fusion of the built-in cues has that data
// could tune: the weights and the curves that map the cues' raw measures to
// their scores. Passive fuses with its PassiveConfig.Weights and the
// package's curves (DefaultCalibration); a Calibration lets an evaluation
// fuse recorded sessions again under other choices (Score), as
// CrossValidate does.
type Calibration struct {
	Weights FusionWeights `json:"weights"`
	// Screen maps the glare fraction, Print the chroma, Motion the motion
	// ratio to each cue's score.
	Screen Curve `json:"screen_curve"`
	Print  Curve `json:"print_curve"`
	Motion Curve `json:"motion_curve"`
}

// DefaultCalibration is the calibration Passive uses with default weights:
// DefaultFusionWeights and the package's cue curves.
func DefaultCalibration() Calibration {
	return Calibration{Weights: DefaultFusionWeights, Screen: screenCurve, Print: printCurve, Motion: motionCurve}
}

// ModelOnly is MiniFASNet alone: every other cue at weight 0.
func ModelOnly() Calibration {
	c := DefaultCalibration()
	c.Weights = FusionWeights{Model: 1}
	return c
}

// Score fuses a recorded session under c as Passive fuses it: each frame's
// cues through c's curves and weights (the motion cue with the session's
// final ratio, when available), the median of the frames' fused p(live).
// Under DefaultCalibration it is exactly the Live Passive reported (added
// cues aside: a Recording holds the built-in cues only). 0 for no frames.
func (c Calibration) Score(rec Recording) float64 {
	if len(rec.Frames) == 0 {
		return 0
	}
	w := c.Weights
	motion := c.Motion.At(rec.MotionRatio)
	fused := make([]float64, len(rec.Frames))
	for i, f := range rec.Frames {
		cues := [...]CueScore{
			scoreOf(antiSpoof{weight: w.Model}, f.Model, true),
			scoreOf(screenGlare{w.Screen}, c.Screen.At(f.Glare), true),
			scoreOf(printChroma{w.Print}, c.Print.At(f.Chroma), true),
			scoreOf(motionCoherence{weight: w.Motion}, motion, rec.MotionAvailable),
		}
		fused[i] = FuseScores(w.Bias, cues[:])
	}
	return median(fused)
}

// Recording is one scored presentation with the raw measures of its
// frames: enough to fuse it again under another Calibration without
// running the models.
type Recording struct {
	// Presentation is the presentation as scored (Score: Passive's Live).
	Presentation
	// Group is the source it belongs to (a person or a clip): a
	// cross-validation holds out every presentation of a group together.
	Group string
	// Frames are the scored frames' measures (PassiveResult.Measures).
	Frames []FrameMeasure
	// MotionRatio and MotionAvailable are the motion cue's raw measure
	// and whether it counted (PassiveResult).
	MotionRatio     float64
	MotionAvailable bool
}

// NewRecording records a passive result as a presentation of species ("" for
// bona fide) from source, in group.
func NewRecording(r PassiveResult, species, source, group string) Recording {
	return Recording{
		Presentation: Presentation{Species: species, Score: r.Live, Source: source, NoResponse: r.Decision == DecisionUndecided},
		Group:        group, Frames: r.Measures, MotionRatio: r.MotionRatio, MotionAvailable: r.MotionAvailable,
	}
}
