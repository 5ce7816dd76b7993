package challenge

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// WrongDirectionHold is how long the signal must stay past the opposite
// threshold before a command fails wrong_direction: one noisy sample (YuNet
// reads a yaw 7-10 degrees off on single frames of the shared clips:
// fsanet_webcam_turns at 2.73 s, mediapipe_smile_turn at 2.24 s) does not
// fail it. 100 ms is two frames at 10 fps, and about the gap between two
// frames at 6 fps, so a real opposite movement, which lasts longer than
// that, still fails at every rate phones send.
const WrongDirectionHold = 100 * time.Millisecond

// Baseline is the person's neutral pose and scale, in Sample units as the
// frames are delivered (not mirrored): the zero every movement is measured
// from.
type Baseline struct {
	// Yaw and Roll in degrees.
	Yaw, Roll float64
	// InterEye in pixels; must be at least 1.
	InterEye float64
}

// Thresholds say how far a movement must go, and how it is read. Config
// documents each value and where its default comes from.
type Thresholds struct {
	// TurnDegrees: yaw change that counts as a turn; it also bounds the yaw
	// change under which roll and scale are read at all.
	TurnDegrees float64
	// TiltDegrees: roll change that counts as a tilt.
	TiltDegrees float64
	// CloserRatio: growth of the yaw-corrected inter-eye distance that
	// counts as moving closer (> 1).
	CloserRatio float64
	// ReturnFraction: a command passes when its signal has crossed the
	// threshold and then come back below ReturnFraction times it (0 < f < 1).
	ReturnFraction float64
	// Mirrored: the frames are mirrored (selfie); the signs of yaw and roll
	// are flipped before commands are read.
	Mirrored bool
}

// DefaultThresholds returns the defaults of Config's threshold fields.
func DefaultThresholds() Thresholds {
	return Thresholds{
		TurnDegrees:    DefaultTurnDegrees,
		TiltDegrees:    DefaultTiltDegrees,
		CloserRatio:    DefaultCloserRatio,
		ReturnFraction: DefaultReturnFraction,
	}
}

func (th Thresholds) validate() error {
	switch {
	case !(th.TurnDegrees > 0 && th.TurnDegrees < 90):
		return fmt.Errorf("TurnDegrees %v: want 0 < degrees < 90", th.TurnDegrees)
	case !(th.TiltDegrees > 0 && th.TiltDegrees < 90):
		return fmt.Errorf("TiltDegrees %v: want 0 < degrees < 90", th.TiltDegrees)
	case !(th.CloserRatio > 1 && th.CloserRatio < 4):
		return fmt.Errorf("CloserRatio %v: want 1 < ratio < 4", th.CloserRatio)
	case !(th.ReturnFraction > 0 && th.ReturnFraction < 1):
		return fmt.Errorf("ReturnFraction %v: want 0 < fraction < 1", th.ReturnFraction)
	}
	return nil
}

// State is where a Detector is in one command's movement.
type State int

// Detector states. Passed and WrongDirection are final.
const (
	// Idle: no usable sample yet, or the signal has been past a threshold
	// (either way) since the first one, so a pose held from before the
	// command cannot count; the detector arms once the signal is inside
	// both thresholds.
	Idle State = iota
	// Armed: watching for the movement.
	Armed
	// Crossed: the signal went past the threshold in the commanded
	// direction; waiting for the return toward the baseline.
	Crossed
	// Passed: crossed and came back below ReturnFraction of the threshold.
	Passed
	// WrongDirection: the signal went past the threshold the opposite way,
	// and stayed past it for WrongDirectionHold (on two samples at least),
	// before crossing in the commanded one.
	WrongDirection
)

// String returns the state's name as in the constants' comments.
func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Armed:
		return "armed"
	case Crossed:
		return "crossed"
	case Passed:
		return "passed"
	case WrongDirection:
		return "wrong_direction"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Final reports whether the state can no longer change.
func (s State) Final() bool { return s == Passed || s == WrongDirection }

// Detector follows one command's movement against a baseline, sample by
// sample. It knows nothing of time, face continuity or other commands: the
// Challenge adds those. Not safe for concurrent use.
type Detector struct {
	cmd   Command
	as    axisSign
	base  Baseline
	th    Thresholds
	state State

	peak    float64 // largest response seen while armed (threshold units)
	peakSeq uint64
	last    float64 // progress after the last usable sample

	opposite      bool      // the last usable sample was past the opposite threshold
	oppositeSince time.Time // time of the first of those samples
}

// ErrInvalidDetector: NewDetector was given an unknown command, a baseline
// without a usable inter-eye distance, or thresholds out of range.
var ErrInvalidDetector = errors.New("challenge: invalid detector")

// NewDetector returns a detector for cmd measured from base.
func NewDetector(cmd Command, base Baseline, th Thresholds) (*Detector, error) {
	as, ok := signal(cmd)
	if !ok {
		return nil, fmt.Errorf("%w: unknown command %q", ErrInvalidDetector, cmd)
	}
	if !(base.InterEye >= 1) || math.IsNaN(base.Yaw) || math.IsNaN(base.Roll) {
		return nil, fmt.Errorf("%w: baseline %+v", ErrInvalidDetector, base)
	}
	if err := th.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDetector, err)
	}
	if th.Mirrored && as.axis != axisScale {
		as.sign = -as.sign
	}
	return &Detector{cmd: cmd, as: as, base: base, th: th}, nil
}

// Command returns the command the detector follows.
func (d *Detector) Command() Command { return d.cmd }

// State returns the current state.
func (d *Detector) State() State { return d.state }

// Peak returns the largest response seen since the detector armed, in
// threshold units (see Response), and the Seq of its sample; ok is false if
// the signal never moved in the commanded direction.
func (d *Detector) Peak() (response float64, seq uint64, ok bool) {
	return d.peak, d.peakSeq, d.peak > 0
}

// Response returns how far s has moved in the commanded direction, in units
// of the command's threshold: 1 is the threshold, negative values are the
// opposite direction, -1 the opposite threshold. For turns and tilts it is
// the yaw or roll change over TurnDegrees or TiltDegrees; for move_closer it
// is ln(scale/baseline scale) / ln(CloserRatio), with scale the inter-eye
// distance divided by cos(yaw) (turning the head shortens the eye line;
// this undoes most of that). ok is false when s carries no usable signal: no
// face, no inter-eye distance, or, for tilts and move_closer, a head turned
// more than TurnDegrees from the baseline, where YuNet's roll and eye
// distance are no longer trustworthy.
func (d *Detector) Response(s Sample) (r float64, ok bool) {
	if s.Faces < 1 || !(s.InterEye >= 1) {
		return 0, false
	}
	dyaw := angleDiff(s.Yaw, d.base.Yaw)
	switch d.as.axis {
	case axisYaw:
		return d.as.sign * dyaw / d.th.TurnDegrees, true
	case axisRoll:
		if math.Abs(dyaw) > d.th.TurnDegrees {
			return 0, false
		}
		return d.as.sign * angleDiff(s.Roll, d.base.Roll) / d.th.TiltDegrees, true
	case axisScale:
		if math.Abs(dyaw) > d.th.TurnDegrees {
			return 0, false
		}
		return math.Log(scale(s.InterEye, s.Yaw)/scale(d.base.InterEye, d.base.Yaw)) / math.Log(d.th.CloserRatio), true
	}
	return 0, false
}

// Update feeds one sample and returns the command's progress (0-1: the
// fraction of the threshold reached in the commanded direction, 1 from the
// crossing on) and the state after it. Samples without a usable signal
// change nothing. Once the state is final, Update only reports it.
//
// When one sample both crosses back inside ReturnFraction and lies past the
// opposite threshold (a head swung from one side to the other between two
// frames of a slow source), the command passes: it was crossed and left.
// Past the opposite threshold before the crossing, it fails once the
// signal has stayed there for WrongDirectionHold (see State).
func (d *Detector) Update(s Sample) (progress float64, st State) {
	r, ok := d.Response(s)
	if !ok || d.state.Final() {
		return d.last, d.state
	}
	if d.state == Idle {
		if math.Abs(r) >= 1 {
			return 0, Idle
		}
		d.state = Armed
	}
	if r > d.peak {
		d.peak, d.peakSeq = r, s.Seq
	}
	switch d.state {
	case Armed:
		switch {
		case r >= 1:
			d.state = Crossed
		case r <= -1:
			if !d.opposite {
				d.opposite, d.oppositeSince = true, s.Time
			} else if s.Time.Sub(d.oppositeSince) >= WrongDirectionHold {
				d.state = WrongDirection
			}
		}
		if r > -1 {
			d.opposite = false
		}
	case Crossed:
		if r < d.th.ReturnFraction {
			d.state = Passed
		}
	}
	d.last = d.progress(r)
	return d.last, d.state
}

// progress maps a response to 0-1 for the current state.
func (d *Detector) progress(r float64) float64 {
	switch d.state {
	case Crossed, Passed:
		return 1
	case Armed:
		return min(1, max(0, r))
	}
	return 0
}

// scale is the inter-eye distance corrected for the head's turn; the
// correction stops at 60 degrees, beyond which the eye line is too short to
// mean anything (such samples are not read anyway).
func scale(interEye, yaw float64) float64 {
	c := math.Cos(min(60, math.Abs(yaw)) * math.Pi / 180)
	return interEye / c
}

// angleDiff returns a-b in degrees, wrapped into (-180, 180].
func angleDiff(a, b float64) float64 {
	d := math.Mod(a-b, 360)
	switch {
	case d > 180:
		d -= 360
	case d <= -180:
		d += 360
	}
	return d
}
