package liveness

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// Names of the built-in cues, as they appear in CueScore.Name. They are
// stable: results, pad-eval reports and signed documents carry them.
const (
	// CueModel is MiniFASNet (models.AntiSpoof), the primary signal.
	CueModel = "model"
	// CueScreen is the screen-replay cue: specular glare (screen.go).
	CueScreen = "screen"
	// CuePrint is the print cue: chroma lost by reproduction (print.go).
	CuePrint = "print"
	// CueMotion is the motion-coherence cue (motion.go), a session cue.
	CueMotion = "motion"
)

// Cue is one liveness signal in the fusion: a name and a weight. A cue is
// also a FrameCue (it scores single frames) or a SessionCue (it scores the
// sequence of a session's frames); Passive rejects any other, and uses a
// cue that is both as a FrameCue.
//
// Its score is evidence of live in [0, 1]: 1 looks live, 0 looks like an
// attack, 0.5 says nothing either way. The fusion adds Weight times the
// score's logit (clamped to [0.02, 0.98], see Fuse) to the fused logit, so
// a cue at 0.5 leaves the fused score as it is.
//
// A cue belongs to one Passive, which calls it from one goroutine: it may
// keep per-session state and buffers without locking.
type Cue interface {
	// Name identifies the cue in results: short, lower case, unique
	// among a Passive's cues, and stable once published.
	Name() string
	// Weight is the cue's weight on its logit in the fusion: finite and
	// not negative (0 reports the cue without letting it count).
	Weight() float64
}

// FrameCue is a cue scored on every scored frame; the session keeps the
// median of its scores.
type FrameCue interface {
	Cue
	// ScoreFrame returns the cue's score for one scored frame. NaN means
	// no evidence on this frame (neutral, not counted). An error fails
	// the frame (Passive.Observe returns it, wrapped as the cue wrapped
	// it: say which cue in the text); the session stays usable.
	ScoreFrame(f *CueFrame) (float64, error)
}

// SessionCue is a cue that looks at the whole sequence of a session's
// frames, such as motion: its score belongs to the session, and every
// frame of the session is fused with the latest one.
type SessionCue interface {
	Cue
	// ObserveFrame sees every frame that counts (a subject face of enough
	// quality), scored or not, in time order.
	ObserveFrame(f *CueFrame)
	// SkipFrame says that a frame did not count: the sequence is broken
	// between the frames before and after it.
	SkipFrame()
	// Score returns the session's score so far and whether the cue has
	// enough evidence for it to count (available).
	Score() (score float64, available bool)
	// Reset forgets the session.
	Reset()
}

// Decider is a cue calibrated to be confident about one kind of attack: it
// may decide spoof alone. When its session score (CueScore.Score) is
// available and at most DecideBelow, the session is a spoof with the cue's
// Reason, whatever the fusion says (PassiveResult.DecidedBy names it); above
// that it is fused like any other cue. The first deciding cue in fusion
// order names the session's reason.
//
// A Decider's DecideBelow must be chosen so that no genuine presentation
// reaches it, on data it was not chosen on: its errors are not averaged
// away by the other cues.
type Decider interface {
	Cue
	// Reason is the outcome reason of the spoof the cue decides: one of
	// outcome.Reasons(), other than outcome.ReasonPassiveSpoof (the
	// fusion's own).
	Reason() outcome.Reason
	// DecideBelow is the session score at or below which the cue
	// decides, in [0, 0.5).
	DecideBelow() float64
}

// CueFrame is one frame as a cue sees it. Everything in it is valid only
// during the call it is passed to: a cue must not keep the CueFrame, its
// Image or its Analysis (Relay excepted, which is immutable), nor close the
// Image.
type CueFrame struct {
	// Image is the frame, CV_8UC3 BGR, open and non-empty.
	Image gocv.Mat
	// Face is the subject's face box in Image: finite, of positive size,
	// possibly partly outside the image.
	Face models.Rect
	// Analysis is capture's analysis of the frame.
	Analysis *capture.Analysis
	// Time is the frame's capture time (devices.Frame.Time): it does not
	// go backwards within a session.
	Time time.Time
	// Seq is the frame's number at its source (devices.Frame.Seq; 0 when
	// the frame was observed without one).
	Seq uint64
	// Relay is what the relay socket knows about the frame (client
	// capture time and number, arrival, message size); nil unless the
	// frame came through the relay.
	Relay *devices.RelayMeta

	px    frame      // Image's pixels, packed
	still *stillCues // the Passive's buffer for the still measures
	m     stillMeasures
	state stillState
}

// stillState says whether a CueFrame's still measures were taken.
type stillState uint8

const (
	stillPending stillState = iota
	stillDone
	stillOutside // too little of the face inside the image
)

// stillMeasures returns the frame's still measures, taken once however
// many cues ask; ok is false when too little of the face is in the image.
func (f *CueFrame) stillMeasures() (stillMeasures, bool) {
	if f.state == stillPending {
		f.state = stillOutside
		if m, ok := f.still.measure(f.px, f.Face); ok {
			f.m, f.state = m, stillDone
		}
	}
	return f.m, f.state == stillDone
}

// CueScore is one cue's part in a fused score: Passive reports one per cue,
// in fusion order, for each scored frame (FrameScore.Cues) and for the
// session (PassiveResult.Cues).
//
// The fused p(live) is sigmoid(Bias + the sum of the Contributions), added
// in order (FuseScores): exactly the fused score of a frame. For a session
// of one frame it is exactly PassiveResult.Live; for a longer session Live
// is the median of its frames' fused scores, while a frame cue's session
// Score is the median of its own frame scores, so the contributions explain
// Live without adding up to it exactly.
type CueScore struct {
	// Name is the cue's name (CueModel, CueScreen, CuePrint, CueMotion or
	// an added cue's).
	Name string `json:"name"`
	// Score is the cue's evidence of live in [0, 1] (0.5 neutral): on a
	// frame, its frame score; for a session, the median of its frame
	// scores or the session cue's score. 0.5 when not Available.
	Score float64 `json:"score"`
	// Weight is the cue's weight in the fusion.
	Weight float64 `json:"weight"`
	// Available is false when the cue had no evidence (a NaN frame score,
	// a session cue not yet available): it then adds nothing.
	Available bool `json:"available"`
	// Contribution is the cue's term in the fused logit: Weight times the
	// logit of Score clamped (to [0.001, 0.999] for the model, [0.02,
	// 0.98] for the other cues); 0 when not Available. Positive pushes
	// towards live, negative towards attack.
	Contribution float64 `json:"contribution"`
}

// FuseScores returns sigmoid(bias + the sum of the available cues'
// Contributions, in order): the fused p(live) those cues make. It is the
// fusion Passive uses, so FuseScores(r.Bias, fs.Cues) == fs.Fused exactly.
func FuseScores(bias float64, cues []CueScore) float64 {
	z := bias
	for _, c := range cues {
		if c.Available {
			z += c.Contribution
		}
	}
	return 1 / (1 + math.Exp(-z))
}

// primary is implemented by the model cue alone: its logit is clamped
// closer to 0 and 1, and a NaN score makes the fused score NaN instead of
// counting as neutral (a broken model must not pass as "no evidence").
type primary interface{ primary() }

// scoreOf makes a cue's CueScore for a score.
func scoreOf(c Cue, score float64, available bool) CueScore {
	s := CueScore{Name: c.Name(), Weight: c.Weight(), Score: 0.5}
	if _, ok := c.(primary); ok {
		s.Score, s.Available = score, true
		s.Contribution = s.Weight * logit(score, modelClamp)
		return s
	}
	if !available || math.IsNaN(score) {
		return s
	}
	s.Score, s.Available = score, true
	s.Contribution = s.Weight * cueLogit(score)
	return s
}

// checkCues reports an error unless every cue is a FrameCue or a
// SessionCue with a non-empty, unique name and a finite, non-negative
// weight.
func checkCues(cues []Cue) error {
	seen := map[string]bool{}
	for _, c := range cues {
		if c == nil {
			return errors.New("liveness: nil cue")
		}
		n, w := c.Name(), c.Weight()
		switch c.(type) {
		case FrameCue, SessionCue:
		default:
			return fmt.Errorf("liveness: cue %q is neither a FrameCue nor a SessionCue", n)
		}
		if n == "" || seen[n] {
			return fmt.Errorf("liveness: cue name %q empty or used twice", n)
		}
		seen[n] = true
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fmt.Errorf("liveness: cue %q: weight %v not finite and non-negative", n, w)
		}
		if d, ok := c.(Decider); ok {
			if r := d.Reason(); r == outcome.ReasonPassiveSpoof || !slices.Contains(outcome.Reasons(), r) {
				return fmt.Errorf("liveness: cue %q: reason %q is not a reason of package outcome other than %s", n, r, outcome.ReasonPassiveSpoof)
			}
			if b := d.DecideBelow(); !(b >= 0 && b < 0.5) {
				return fmt.Errorf("liveness: cue %q: DecideBelow %v not in [0, 0.5)", n, b)
			}
		}
	}
	return nil
}
