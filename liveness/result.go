package liveness

import "github.com/biogate/biogate/outcome"

// FrameScore is what Observe says about one frame. All scores are in
// [0, 1] as evidence of live.
type FrameScore struct {
	// Scored is true when the frame was scored and counts in the session:
	// it had a subject face of enough quality and was an EveryNth counted
	// frame. The scores below are zero otherwise (Motion and
	// MotionAvailable excepted).
	Scored bool
	// Model is MiniFASNet's Live (the CueModel cue).
	Model float64
	// Screen and Print are the still cues (CueScreen, CuePrint).
	Screen, Print float64
	// Motion is the session's motion cue so far (0.5 while not
	// MotionAvailable).
	Motion float64
	// Fused is the fused p(live) of this frame with the session cues'
	// evidence so far: FuseScores(Bias, Cues).
	Fused float64
	// MotionAvailable tells whether the session has seen enough movement
	// for the motion cue.
	MotionAvailable bool
	// Cues are every cue's part in Fused, in fusion order (nil unless
	// Scored). Model, Screen, Print and Motion above repeat the built-in
	// cues' scores.
	Cues []CueScore
}

// PassiveResult is a session's passive verdict.
type PassiveResult struct {
	// Frames is the number of scored frames.
	Frames int `json:"frames"`
	// Live is the median over scored frames of the fused p(live), each
	// fused with the session cues' final evidence (0 with no frames).
	Live float64 `json:"live"`
	// Decision compares Live with the threshold; Undecided below
	// MinFrames. A Decider cue whose score reached its DecideBelow makes
	// it Spoof whatever Live says.
	Decision Decision `json:"decision"`
	// DecidedBy names the Decider cue that decided spoof alone, and
	// Reason is its reason; both empty when the fusion decided.
	DecidedBy string         `json:"decided_by,omitempty"`
	Reason    outcome.Reason `json:"reason,omitempty"`
	// Model, Screen and Print are the medians of the frames' signals.
	Model  float64 `json:"model"`
	Screen float64 `json:"screen"`
	Print  float64 `json:"print"`
	// Motion is the session's motion cue (0.5 when not MotionAvailable).
	Motion float64 `json:"motion"`
	// MotionAvailable tells whether Motion counted in Live.
	MotionAvailable bool `json:"motion_available"`
	// Bias is the fusion's bias (FusionWeights.Bias), where the fused
	// logit starts before the cues' contributions.
	Bias float64 `json:"fusion_bias"`
	// Cues are every cue's part in the session, in fusion order: a frame
	// cue's median frame score, a session cue's score, each with its
	// weight and contribution (see CueScore for how they add up to Live).
	Cues []CueScore `json:"cues"`
	// Measures are the scored frames' raw measures, in order: what
	// Calibration.Score needs to fuse the session again under other
	// weights and curves (evaluation; never in a signed document).
	Measures []FrameMeasure `json:"-"`
	// MotionRatio is the motion cue's raw measure (NaN before any
	// informative interval); it counts only when MotionAvailable.
	MotionRatio float64 `json:"-"`
}

// frameSignals are the still cues' raw measures of a scored frame, kept
// for the package's evaluation (NaN when the face was too far outside the
// image).
type frameSignals struct{ glare, chroma float64 }
