package outcome

// Decision is the outcome of a verification session: sent in the
// protocol's result, signed into the document, counted in the evidence
// store's statistics.
type Decision string

const (
	// Match: live, and IDEC matched the face with the IIN's reference photo.
	Match Decision = "match"
	// NoMatch: live, and IDEC did not match.
	NoMatch Decision = "no_match"
	// Spoof: passive liveness saw a photo, print, screen or mask.
	Spoof Decision = "spoof"
	// Refused: every allowed attempt failed its commands, or the subject
	// is locked out (ReasonLockedOut).
	Refused Decision = "refused"
	// Error: the check could not finish (the reasons say why).
	Error Decision = "error"
)

// Decisions lists every Decision.
func Decisions() []Decision { return []Decision{Match, NoMatch, Spoof, Refused, Error} }

// Reason says why a session ended as it did: result.reasons in the
// protocol, reasons in the document and the evidence record. A failed
// session may also carry a protocol error code as its reason (the code
// the client was sent), which is not listed here.
type Reason string

const (
	// ReasonPassiveSpoof: passive liveness decided spoof: the fusion of
	// its cues (MiniFASNet first) said attack.
	ReasonPassiveSpoof Reason = "passive_spoof"
	// ReasonFlatPresentation: a cue decided spoof alone because what
	// moved during the commands moved like a flat thing (a photo, a
	// screen, an image warped in 2D), not a head.
	ReasonFlatPresentation Reason = "flat_presentation"
	// ReasonInjectionSuspected: a cue decided spoof alone because the
	// relayed stream is not what a camera sends (timing, noise, sizes).
	ReasonInjectionSuspected Reason = "injection_suspected"
	// ReasonReplayedFrames: a cue decided spoof alone because the frames
	// repeat those of an earlier session.
	ReasonReplayedFrames Reason = "replayed_frames"
	// ReasonAttemptsExhausted: every allowed attempt failed a command.
	ReasonAttemptsExhausted Reason = "attempts_exhausted"
	// ReasonPassiveUndecided: the commands passed but passive liveness
	// had too few frames to decide.
	ReasonPassiveUndecided Reason = "passive_undecided"
	// ReasonTimeout: the capture's time ran out before liveness decided.
	ReasonTimeout Reason = "timeout"
	// ReasonSourceEnded: the camera's recording or the relay's frames
	// ended before liveness decided.
	ReasonSourceEnded Reason = "source_ended"
	// ReasonBelowThreshold: IDEC's similarity was below its threshold.
	ReasonBelowThreshold Reason = "below_threshold"
	// ReasonUnknownIIN: IDEC does not know the IIN.
	ReasonUnknownIIN Reason = "unknown_iin"
	// ReasonNoReferencePhoto: IDEC has no reference photo for the IIN.
	ReasonNoReferencePhoto Reason = "no_reference_photo"
	// ReasonNoFace: IDEC found no face in the image sent.
	ReasonNoFace Reason = "no_face"
	// ReasonNoReferenceFinger: IDEC holds no fingerprint of that finger
	// for the IIN.
	ReasonNoReferenceFinger Reason = "no_reference_finger"
	// ReasonNoFinger: IDEC found no usable fingerprint in the sample sent.
	ReasonNoFinger Reason = "no_finger"
	// ReasonLockedOut: the subject is locked out after too many failed
	// sessions; the evidence store's statistics count these apart.
	ReasonLockedOut Reason = "locked_out"
)

// Reasons lists every Reason.
func Reasons() []Reason {
	return []Reason{ReasonPassiveSpoof, ReasonFlatPresentation, ReasonInjectionSuspected, ReasonReplayedFrames, ReasonAttemptsExhausted, ReasonPassiveUndecided, ReasonTimeout,
		ReasonSourceEnded, ReasonBelowThreshold, ReasonUnknownIIN, ReasonNoReferencePhoto, ReasonNoFace, ReasonNoReferenceFinger, ReasonNoFinger, ReasonLockedOut}
}

// Liveness is a liveness verdict: the whole check's (live, spoof,
// refused, undecided) or the passive signals' alone (live, spoof,
// undecided).
type Liveness string

const (
	// Live: every command of an attempt passed and the passive signals say
	// live (for the passive decision: p(live) at or above its threshold).
	Live Liveness = "live"
	// LivenessSpoof: the passive signals say print, screen or mask.
	LivenessSpoof Liveness = "spoof"
	// LivenessRefused: every allowed attempt failed (never a passive
	// decision).
	LivenessRefused Liveness = "refused"
	// Undecided: the check ended (time, end of source) before deciding, or
	// the passive signals had too few frames.
	Undecided Liveness = "undecided"
)

// Livenesses lists every Liveness verdict.
func Livenesses() []Liveness { return []Liveness{Live, LivenessSpoof, LivenessRefused, Undecided} }

// Command is a visual command the person is asked to perform.
type Command string

const (
	// TurnLeft: turn the head to the person's own left (yaw).
	TurnLeft Command = "turn_left"
	// TurnRight: turn the head to the person's own right.
	TurnRight Command = "turn_right"
	// TiltLeft: tilt the head toward the person's own left shoulder (roll).
	TiltLeft Command = "tilt_left"
	// TiltRight: tilt the head toward the right shoulder.
	TiltRight Command = "tilt_right"
	// MoveCloser: move closer to the camera (the eyes' distance grows).
	MoveCloser Command = "move_closer"
)

// Commands lists every Command.
func Commands() []Command { return []Command{TurnLeft, TurnRight, TiltLeft, TiltRight, MoveCloser} }

// CommandStatus is news of one command on its way: issued, progress, then
// passed or failed.
type CommandStatus string

const (
	// CommandIssued: the command is shown to the person now.
	CommandIssued CommandStatus = "issued"
	// CommandProgress: the response to the command changed.
	CommandProgress CommandStatus = "progress"
	// CommandPassed: the person did what the command asked.
	CommandPassed CommandStatus = "passed"
	// CommandFailed: the command failed (a CommandReason), and with it its
	// attempt.
	CommandFailed CommandStatus = "failed"
)

// CommandStatuses lists every CommandStatus.
func CommandStatuses() []CommandStatus {
	return []CommandStatus{CommandIssued, CommandProgress, CommandPassed, CommandFailed}
}

// CommandOutcome is how one command ended, as a document records it.
type CommandOutcome string

const (
	// CommandPending: not judged yet. Never signed: a command still
	// pending when its session ends is recorded as CommandInterrupted.
	CommandPending CommandOutcome = "pending"
	// CommandOutcomePassed: the person did what the command asked.
	CommandOutcomePassed CommandOutcome = "passed"
	// CommandOutcomeFailed: the command failed, and with it its attempt.
	CommandOutcomeFailed CommandOutcome = "failed"
	// CommandInterrupted: the session ended (spoof, error) before the
	// command was judged.
	CommandInterrupted CommandOutcome = "interrupted"
)

// CommandOutcomes lists every CommandOutcome.
func CommandOutcomes() []CommandOutcome {
	return []CommandOutcome{CommandPending, CommandOutcomePassed, CommandOutcomeFailed, CommandInterrupted}
}

// CommandReason says why a command failed.
type CommandReason string

const (
	// CommandTimeout: the movement did not come within the command's time.
	CommandTimeout CommandReason = "timeout"
	// WrongDirection: the opposite movement crossed its threshold first.
	WrongDirection CommandReason = "wrong_direction"
	// FaceLost: no face for too long.
	FaceLost CommandReason = "face_lost"
	// MultipleFaces: more than one face for too long.
	MultipleFaces CommandReason = "multiple_faces"
	// FaceJump: the face jumped between frames, as when the person or the
	// picture was swapped.
	FaceJump CommandReason = "face_jump"
)

// CommandReasons lists every CommandReason.
func CommandReasons() []CommandReason {
	return []CommandReason{CommandTimeout, WrongDirection, FaceLost, MultipleFaces, FaceJump}
}

// Departure names how a check departs from the rules (tests and
// demonstrations only); a document declares them.
type Departure string

const (
	// FixedCommands: the commands were fixed by the client instead of
	// drawn at random, so the check proves nothing about liveness.
	FixedCommands Departure = "fixed_commands"
	// FewerThan3Commands: fewer than 3 commands per attempt.
	FewerThan3Commands Departure = "fewer_than_3_commands"
)

// Departures lists every Departure.
func Departures() []Departure { return []Departure{FixedCommands, FewerThan3Commands} }

// IDEC is what one verification request to IDEC came to: the label of the
// biogate_idec_* metrics and the class of the IDEC client's errors.
type IDEC string

const (
	// IDECMatch: IDEC matched the face with the reference photo, or the
	// fingerprint with the reference fingerprint.
	IDECMatch IDEC = "match"
	// IDECNoMatch: IDEC answered, below its threshold.
	IDECNoMatch IDEC = "no_match"
	// IDECInvalidRequest: IDEC refused the request as malformed (a bug on
	// our side, never retried).
	IDECInvalidRequest IDEC = "invalid_request"
	// IDECNoFace: IDEC found no face in the image.
	IDECNoFace IDEC = "no_face"
	// IDECUnknownIIN: IDEC does not know the IIN.
	IDECUnknownIIN IDEC = "unknown_iin"
	// IDECNoReferencePhoto: IDEC has no reference photo for the IIN.
	IDECNoReferencePhoto IDEC = "no_reference_photo"
	// IDECNoFinger: IDEC found no usable fingerprint in the sample.
	IDECNoFinger IDEC = "no_finger"
	// IDECNoReferenceFinger: IDEC has no fingerprint of that finger for
	// the IIN.
	IDECNoReferenceFinger IDEC = "no_reference_finger"
	// IDECUnavailable: IDEC could not be reached or answered 5xx, after
	// the retries.
	IDECUnavailable IDEC = "unavailable"
	// IDECTimeout: no answer within the deadline.
	IDECTimeout IDEC = "timeout"
	// IDECBadResponse: IDEC answered something that is not the contract.
	IDECBadResponse IDEC = "bad_response"
	// IDECBreakerOpen: the circuit breaker refused the call without
	// sending it.
	IDECBreakerOpen IDEC = "breaker_open"
	// IDECCanceled: the caller gave up (its context ended) first.
	IDECCanceled IDEC = "canceled"
)

// IDECs lists every IDEC outcome.
func IDECs() []IDEC {
	return []IDEC{IDECMatch, IDECNoMatch, IDECInvalidRequest, IDECNoFace, IDECUnknownIIN,
		IDECNoReferencePhoto, IDECNoFinger, IDECNoReferenceFinger, IDECUnavailable, IDECTimeout, IDECBadResponse, IDECBreakerOpen, IDECCanceled}
}

// Strings returns the words of vs as plain strings, in order (for joining
// into text, or for a layer that carries words it does not interpret).
func Strings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Finger names a finger, as the protocol and the document name it. Its
// Code is the ISO/IEC 19794 finger position.
type Finger string

// Fingers, in ISO/IEC 19794 order (codes 1-10).
const (
	RightThumb  Finger = "right_thumb"
	RightIndex  Finger = "right_index"
	RightMiddle Finger = "right_middle"
	RightRing   Finger = "right_ring"
	RightLittle Finger = "right_little"
	LeftThumb   Finger = "left_thumb"
	LeftIndex   Finger = "left_index"
	LeftMiddle  Finger = "left_middle"
	LeftRing    Finger = "left_ring"
	LeftLittle  Finger = "left_little"
)

// Fingers lists every Finger, in ISO/IEC 19794 order.
func Fingers() []Finger {
	return []Finger{RightThumb, RightIndex, RightMiddle, RightRing, RightLittle,
		LeftThumb, LeftIndex, LeftMiddle, LeftRing, LeftLittle}
}

// Code is f's ISO/IEC 19794 finger position, 1 (right thumb) to 10 (left
// little); 0 for a name that is not a finger.
func (f Finger) Code() int {
	for i, g := range Fingers() {
		if f == g {
			return i + 1
		}
	}
	return 0
}

// Modality is what a session verifies: the protocol's start.modality and
// the document's modality.
type Modality string

// Modalities lists every Modality.
func Modalities() []Modality { return []Modality{ModalityFace, ModalityFinger, ModalityFaceAndFinger} }

// Face reports whether m verifies a face; Finger whether it verifies a
// fingerprint.
func (m Modality) Face() bool { return m == ModalityFace || m == ModalityFaceAndFinger }

// Finger reports whether m verifies a fingerprint.
func (m Modality) Finger() bool { return m == ModalityFinger || m == ModalityFaceAndFinger }

// Modalities.
const (
	// ModalityFace: a face, with liveness, against the reference photo.
	ModalityFace Modality = "face"
	// ModalityFinger: a fingerprint from the kiosk's reader against the
	// reference fingerprint of that finger.
	ModalityFinger Modality = "finger"
	// ModalityFaceAndFinger: both required: the face first (with its
	// liveness), then, if IDEC matched it, the fingerprint; a match only
	// if both match.
	ModalityFaceAndFinger Modality = "face_and_finger"
)
