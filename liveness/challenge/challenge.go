package challenge

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Challenge is the active liveness check of one session: it takes a
// baseline, issues random commands one at a time, follows each with a
// Detector, and watches that one face stays in view throughout.
//
// It is driven only by its inputs: Step with each analysed frame, Tick
// when no frame arrives, so a replay of the same samples gives the same
// events. Not safe for concurrent use: one goroutine feeds it.
type Challenge struct {
	cfg  Config
	th   Thresholds
	plan plan

	phase   phase
	started bool      // a sample has been taken
	last    time.Time // time of the last sample taken
	lastSeq uint64

	// Face continuity within an attempt (its baseline included).
	faceSeen bool
	lastFace time.Time // time of the last sample with the subject's face
	lastBox  box

	window  []Sample // baseline candidates: steady, with a face
	scratch []float64
	turned  bool // the steady face waiting for the baseline is not frontal

	attempt    int       // attempts begun
	cmds       []Command // the current attempt's commands
	index      int       // current command
	base       Baseline
	det        *Detector
	deadline   time.Time
	progress   float64 // last progress reported
	peak       float64 // the current command's peak reported so far
	lastIssued Command

	result Result
}

type phase int

const (
	phaseBaseline phase = iota // waiting for a steady face
	phaseCommand               // a command is current
	phaseDone                  // succeeded or refused
)

// New validates cfg, fills in its defaults and draws every attempt's
// commands from cfg.Rand.
func New(cfg Config) (*Challenge, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Challenge{
		cfg:    cfg,
		th:     cfg.thresholds(),
		window: make([]Sample, 0, 64),
		result: Result{Random: len(cfg.Fixed) == 0},
	}
	if !c.result.Random {
		c.result.Departures = append(c.result.Departures, DepartureFixedCommands)
	}
	if cfg.Count < MinCount {
		c.result.Departures = append(c.result.Departures, DepartureFewCommands)
	}
	if c.result.Random {
		if c.plan, err = newPlan(cfg.Rand, cfg.Offered, cfg.Attempts); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Done reports whether the challenge has ended (succeeded or refused).
func (c *Challenge) Done() bool { return c.phase == phaseDone }

// Result returns the outcome so far, as a copy the caller owns.
func (c *Challenge) Result() Result {
	r := c.result
	r.Departures = slices.Clone(c.result.Departures)
	r.Commands = make([][]CommandResult, len(c.result.Commands))
	for i, a := range c.result.Commands {
		r.Commands[i] = slices.Clone(a)
	}
	return r
}

// Step feeds one sample and appends the events it causes to dst, which it
// returns (so a caller can reuse one slice: evs = c.Step(s, evs[:0])).
//
// A sample whose Time is not after the previous sample's is ignored, as is
// every sample once Done. Before an attempt begins, the challenge waits for
// a face that holds steady for BaselineTime; a lost, doubled or jumping face
// there only restarts the wait and costs no attempt. Once a command is
// issued, the deadline, the face's continuity and the command's movement
// are checked, in that order.
func (c *Challenge) Step(s Sample, dst []Event) []Event {
	if c.phase == phaseDone || (c.started && !s.Time.After(c.last)) {
		return dst
	}
	prevSeq, prevTime := c.lastSeq, c.last
	c.started, c.last, c.lastSeq = true, s.Time, s.Seq

	if c.phase == phaseCommand && s.Time.After(c.deadline) {
		return c.fail(dst, ReasonTimeout, s.Time, s.Seq)
	}
	c.unanalysed(prevSeq, prevTime, s)
	reason, face := c.track(s)
	if c.phase == phaseBaseline {
		if reason != "" {
			// No attempt yet: start the wait again (from this sample if it
			// shows a face).
			c.window = c.window[:0]
			c.faceSeen = face
			c.turned = false
		}
		if face {
			return c.addBaseline(s, dst)
		}
		return dst
	}
	if reason != "" {
		return c.fail(dst, reason, s.Time, s.Seq)
	}
	if !face {
		return dst
	}
	return c.follow(s, dst)
}

// Tick checks the current command's deadline at now, for when no sample
// arrives (a stalled camera), and appends the events it causes to dst.
// now must be on the samples' clock (frames' capture times), never read
// from the wall clock by this package.
func (c *Challenge) Tick(now time.Time, dst []Event) []Event {
	if c.phase == phaseCommand && now.After(c.deadline) {
		return c.fail(dst, ReasonTimeout, now, c.lastSeq)
	}
	return dst
}

// box is a face box's centre and width, and the head's yaw.
type box struct{ cx, cy, w, yaw float64 }

// turnShift is how far a face box's centre moves sideways, in box widths,
// per unit of sin(yaw) when the head turns: YuNet's box follows the visible
// face, which swings about the neck. Measured on the shared clips' turns
// between consecutive frames: fsanet_webcam_turns 0.49 (1.00 -> 1.07 s,
// yaw +12 -> +75), 0.51 (12.73 -> 12.80 s, +11 -> -34), 0.51 (13.27 ->
// 13.33 s, -34 -> +19), 0.72 (4.20 -> 4.27 s, -16 -> +42, the box also
// narrowing); intel_female_headturn 0.39 (0.75 -> 1.0 s).
const turnShift = 0.5

// jump is how far the box moved from a to b, in widths of the larger box:
// the smaller of the move as it is and the move once the sideways shift
// that the change of yaw explains (turnShift) is taken off. A head turning
// fast on a slow source moves its box by up to 0.67 widths between two
// samples (fsanet_webcam_turns at 4.27 s, 0.20 once the turn is taken
// off); another face taking its place moves it without a turn to match.
// The move as it is counts too because YuNet's box does not always follow
// the turn (mediapipe_smile_turn at 3.48 s: yaw -50 to -10, the box still).
func jump(a, b box) float64 {
	w := max(a.w, b.w)
	shift := turnShift * w * (math.Sin(b.yaw*math.Pi/180) - math.Sin(a.yaw*math.Pi/180))
	dx, dy := b.cx-a.cx, b.cy-a.cy
	return min(math.Hypot(dx, dy), math.Hypot(dx-shift, dy)) / w
}

// unanalysed accounts for frames the source numbered between the previous
// sample (prevSeq at prevTime) and s that never became samples: the
// capture loop dropped them while busy. They are unknown, not absent: when
// the previous sample showed the face, it is taken to have stayed until
// the last of them, one frame interval before s, so a gateway under load
// does not fail a person for face_lost. A gap the source left (no frames
// numbered) still counts as unseen. A relay client numbers its own
// frames, so it can skip numbers; that gains it nothing it could not get
// by sending frames.
func (c *Challenge) unanalysed(prevSeq uint64, prevTime time.Time, s Sample) {
	if !c.faceSeen || !c.lastFace.Equal(prevTime) || prevSeq == 0 || s.Seq <= prevSeq+1 {
		return
	}
	n := s.Seq - prevSeq // frame intervals between the two samples
	c.lastFace = s.Time.Add(-s.Time.Sub(prevTime) / time.Duration(min(n, 1<<20)))
}

// track checks that s continues the tracked face. face reports whether s
// shows a single face with landmarks (the tracking then moves on to it);
// reason is why continuity broke, if it did: more faces, a face unseen for
// longer than LostGrace (no sample with it, or no sample at all), or a box
// that jumped.
func (c *Challenge) track(s Sample) (reason Reason, face bool) {
	if s.Faces > 1 {
		return ReasonMultipleFaces, false
	}
	if s.Faces < 1 || !(s.BoxW > 0) || !(s.InterEye >= 1) {
		if c.faceSeen && s.Time.Sub(c.lastFace) > c.cfg.LostGrace {
			return ReasonFaceLost, false
		}
		return "", false
	}
	b := box{s.BoxX + s.BoxW/2, s.BoxY + s.BoxH/2, s.BoxW, s.Yaw}
	if c.faceSeen {
		switch {
		case s.Time.Sub(c.lastFace) > c.cfg.LostGrace:
			reason = ReasonFaceLost
		case jump(c.lastBox, b) > c.cfg.MaxJump:
			reason = ReasonFaceJump
		}
	}
	c.faceSeen, c.lastFace, c.lastBox = true, s.Time, b
	return reason, true
}

// Limits of a frontal face, for the baseline: the median yaw and roll of
// the baseline window must be within these many degrees of zero. They are
// the bands in which capture's quality scores yaw and roll in full (10 and
// 8 degrees), 0.4 of DefaultTurnDegrees and 0.67 of DefaultTiltDegrees. The
// frontal stretches of the shared clips have medians within 3 degrees of
// yaw and roll; a head turned by half a turn (12 degrees, yaw
// +10..+17 in mediapipe_smile_turn at 0.2-0.8 s) waits.
const (
	FrontalYaw  = 10
	FrontalRoll = 8
)

// addBaseline adds a face sample to the baseline window, dropping its
// oldest samples until it is steady; once it spans BaselineTime, the
// baseline is taken and the attempt begins, if the face is frontal (see
// FrontalYaw). A steady face turned or tilted further waits (Waiting
// reports it) until the person faces the camera: a baseline on a turned
// head would read the return to frontal as the opposite command.
func (c *Challenge) addBaseline(s Sample, dst []Event) []Event {
	c.window = append(c.window, s)
	for !c.steady() {
		c.window = append(c.window[:0], c.window[1:]...)
	}
	if s.Time.Sub(c.window[0].Time) < c.cfg.BaselineTime {
		return dst
	}
	base := Baseline{
		Yaw:      c.median(func(s Sample) float64 { return s.Yaw }),
		Roll:     c.median(func(s Sample) float64 { return s.Roll }),
		InterEye: c.median(func(s Sample) float64 { return s.InterEye }),
	}
	if c.turned = math.Abs(base.Yaw) > FrontalYaw || math.Abs(base.Roll) > FrontalRoll; c.turned {
		// Slide the window: the next sample may make it frontal.
		c.window = append(c.window[:0], c.window[1:]...)
		return dst
	}
	c.base = base
	c.window = c.window[:0]
	c.attempt++
	c.result.Attempts = c.attempt
	c.result.Commands = append(c.result.Commands, nil)
	if len(c.cfg.Fixed) > 0 {
		c.cmds = c.cfg.Fixed
	} else {
		c.cmds = c.plan.commands(c.attempt-1, c.cfg.Count, c.lastIssued)
	}
	dst = append(dst, Event{Kind: KindBaseline, Attempt: c.attempt, Time: s.Time, Seq: s.Seq})
	return c.issue(0, s, dst)
}

// Waiting reports whether the challenge is waiting for its baseline on a
// steady face that is not frontal (see addBaseline): the person should be
// told to look straight at the camera (the quality hint turn_to_camera).
// It is false once a face is lost or moves, and while a command is current.
func (c *Challenge) Waiting() bool { return c.phase == phaseBaseline && c.turned }

// steady reports whether the window holds still: its yaw varies by less
// than half of TurnDegrees, its roll by less than TiltDegrees and
// its yaw-corrected eye distance by less than CloserRatio. A person looking
// at the camera, not one still turning into place. Roll and scale get the
// whole threshold: on a smiling, talking face YuNet's roll and eye distance
// vary by 9 degrees and 16 % within 0.8 s (mediapipe_smile_turn at
// 0.72-1.48 s), while its yaw varies by 12.
func (c *Challenge) steady() bool {
	if len(c.window) < 2 {
		return true
	}
	return c.spread(func(s Sample) float64 { return s.Yaw }) <= c.th.TurnDegrees/2 &&
		c.spread(func(s Sample) float64 { return s.Roll }) <= c.th.TiltDegrees &&
		c.spread(func(s Sample) float64 { return math.Log(scale(s.InterEye, s.Yaw)) }) <= math.Log(c.th.CloserRatio)
}

// spread is the range of get over the window.
func (c *Challenge) spread(get func(Sample) float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.window {
		v := get(s)
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi - lo
}

func (c *Challenge) median(get func(Sample) float64) float64 {
	c.scratch = c.scratch[:0]
	for _, s := range c.window {
		c.scratch = append(c.scratch, get(s))
	}
	slices.Sort(c.scratch)
	n := len(c.scratch)
	if n%2 == 1 {
		return c.scratch[n/2]
	}
	return (c.scratch[n/2-1] + c.scratch[n/2]) / 2
}

// issue makes command i of the attempt current at sample s.
func (c *Challenge) issue(i int, s Sample, dst []Event) []Event {
	cmd := c.cmds[i]
	det, err := NewDetector(cmd, c.base, c.th)
	if err != nil {
		// Config and baseline were checked: this is a bug, not an input.
		panic(fmt.Sprintf("challenge: %v", err))
	}
	// The detector starts from the pose at the issue (the baseline's last
	// sample, or the one that passed the previous command): a head already
	// turned then must come back before its movement counts, and one that
	// starts moving right after is read from the next sample on, however
	// far it has got by then on a slow source.
	det.Update(s)
	c.phase, c.index, c.det = phaseCommand, i, det
	c.deadline = s.Time.Add(c.cfg.CommandTimeout)
	c.progress, c.peak = 0, 0
	c.lastIssued = cmd
	a := &c.result.Commands[c.attempt-1]
	*a = append(*a, CommandResult{Command: cmd, Outcome: OutcomePending, Issued: s.Time})
	return append(dst, Event{Kind: KindIssued, Command: cmd, Attempt: c.attempt, Index: i, Time: s.Time, Seq: s.Seq})
}

// current returns the current command's entry in the result.
func (c *Challenge) current() *CommandResult {
	a := c.result.Commands[c.attempt-1]
	return &a[len(a)-1]
}

// follow feeds a face sample to the current command's detector.
func (c *Challenge) follow(s Sample, dst []Event) []Event {
	p, st := c.det.Update(s)
	peak, peakSeq, _ := c.det.Peak()
	cur := c.current()
	cur.Peak, cur.PeakSeq = peak, peakSeq
	newPeak := peak > c.peak && peakSeq == s.Seq
	if newPeak || math.Abs(p-c.progress) >= 0.05 {
		dst = append(dst, Event{Kind: KindProgress, Command: c.det.Command(), Progress: p, Peak: newPeak,
			Attempt: c.attempt, Index: c.index, Time: s.Time, Seq: s.Seq})
		c.progress = p
	}
	c.peak = peak
	switch st {
	case Passed:
		cur.Outcome, cur.Ended = OutcomePassed, s.Time
		dst = append(dst, Event{Kind: KindPassed, Command: c.det.Command(), Progress: 1,
			Attempt: c.attempt, Index: c.index, Time: s.Time, Seq: peakSeq})
		if c.index+1 < len(c.cmds) {
			return c.issue(c.index+1, s, dst)
		}
		c.phase, c.det = phaseDone, nil
		c.result.Passed = true
		return append(dst, Event{Kind: KindSucceeded, Attempt: c.attempt, Time: s.Time, Seq: s.Seq})
	case WrongDirection:
		return c.fail(dst, ReasonWrongDirection, s.Time, s.Seq)
	}
	return dst
}

// fail ends the current command and its attempt.
func (c *Challenge) fail(dst []Event, reason Reason, t time.Time, seq uint64) []Event {
	cur := c.current()
	cur.Outcome, cur.Reason, cur.Ended = OutcomeFailed, reason, t
	dst = append(dst,
		Event{Kind: KindFailed, Command: cur.Command, Reason: reason, Attempt: c.attempt, Index: c.index, Time: t, Seq: seq},
		Event{Kind: KindAttemptFailed, Reason: reason, Attempt: c.attempt, Time: t, Seq: seq})
	c.det, c.faceSeen = nil, false
	c.window = c.window[:0]
	if c.attempt >= c.cfg.Attempts {
		c.phase = phaseDone
		c.result.Refused = true
		return append(dst, Event{Kind: KindRefused, Reason: reason, Attempt: c.attempt, Time: t, Seq: seq})
	}
	c.phase = phaseBaseline
	return dst
}
