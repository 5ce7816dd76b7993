package challenge

import "github.com/biogate/biogate/outcome"

// Command is a visual command given to the person, in the words of package
// outcome. Commands are named in the person's own frame of reference (see
// the package comment for how they map onto image signs).
type Command = outcome.Command

// The commands. Blink and smile are deliberately absent: YuNet's five
// landmarks have no eyelid points and its mouth corners do not follow a
// smile, so neither can be measured from a Sample.
const (
	// TurnLeft: turn the head to the person's own left (yaw increases in an
	// unmirrored frame: the nose moves toward the image's right).
	TurnLeft = outcome.TurnLeft
	// TurnRight: turn the head to the person's own right (yaw decreases).
	TurnRight = outcome.TurnRight
	// TiltLeft: left ear toward the left shoulder (roll increases: the
	// person's left eye, on the image's right, goes down).
	TiltLeft = outcome.TiltLeft
	// TiltRight: right ear toward the right shoulder (roll decreases).
	TiltRight = outcome.TiltRight
	// MoveCloser: bring the face closer to the camera (the inter-eye
	// distance grows against the baseline).
	MoveCloser = outcome.MoveCloser
)

// Commands returns every command this package can check, in a fixed order;
// it is the default for Config.Offered. The slice is the caller's.
func Commands() []Command {
	return []Command{TurnLeft, TurnRight, TiltLeft, TiltRight, MoveCloser}
}

// Valid reports whether c is one of the commands above.
func Valid(c Command) bool {
	_, ok := signal(c)
	return ok
}

// axis is the signal a command moves.
type axis int

const (
	axisYaw axis = iota + 1
	axisRoll
	axisScale
)

// signal returns the axis a command moves and the direction (+1: the signal
// grows, -1: it shrinks) in an unmirrored frame.
func signal(c Command) (axisSign, bool) {
	switch c {
	case TurnLeft:
		return axisSign{axisYaw, +1}, true
	case TurnRight:
		return axisSign{axisYaw, -1}, true
	case TiltLeft:
		return axisSign{axisRoll, +1}, true
	case TiltRight:
		return axisSign{axisRoll, -1}, true
	case MoveCloser:
		return axisSign{axisScale, +1}, true
	}
	return axisSign{}, false
}

type axisSign struct {
	axis axis
	sign float64
}

// Reason says why a command or an attempt failed, in the words of package
// outcome.
type Reason = outcome.CommandReason

// Failure reasons.
const (
	// ReasonTimeout: the command did not pass within Config.CommandTimeout.
	ReasonTimeout = outcome.CommandTimeout
	// ReasonWrongDirection: the person moved the opposite way past the
	// threshold (for move_closer: moved away past 1/CloserRatio).
	ReasonWrongDirection = outcome.WrongDirection
	// ReasonFaceLost: no face was seen for longer than Config.LostGrace.
	ReasonFaceLost = outcome.FaceLost
	// ReasonMultipleFaces: more than one face was in view.
	ReasonMultipleFaces = outcome.MultipleFaces
	// ReasonFaceJump: the face box jumped between consecutive samples by
	// more than Config.MaxJump box widths (another face took its place).
	ReasonFaceJump = outcome.FaceJump
)
