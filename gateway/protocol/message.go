package protocol

import (
	"time"

	"github.com/biogate/biogate/outcome"
)

// Version is the protocol version this package reads and writes: the "v"
// field of every message. See docs/protocol.md for when it changes.
const Version = 1

// Type names a message: the "type" field of every message.
type Type string

// Client → gateway message types.
const (
	// TypeStart begins a verification (Start). Valid once, in state
	// waiting_start.
	TypeStart Type = "start"
	// TypeCancel stops the session (Cancel). Valid in any state before done.
	TypeCancel Type = "cancel"
	// TypeEndOfFrames says a relay client sends no more frames
	// (EndOfFrames). Relay mode only.
	TypeEndOfFrames Type = "end_of_frames"
)

// Gateway → client message types.
const (
	// TypeHello is the gateway's first message on a new socket (Hello).
	TypeHello Type = "hello"
	// TypeState reports a change of the session's state (State).
	TypeState Type = "state"
	// TypeQuality coaches the person in front of the camera (Quality);
	// throttled to QualityMaxPerSecond.
	TypeQuality Type = "quality"
	// TypeCommand reports a liveness command: issued, progress, passed or
	// failed (Command).
	TypeCommand Type = "command"
	// TypePassive reports the passive liveness outcome (Passive).
	TypePassive Type = "passive"
	// TypeFinger guides a fingerprint capture: place the finger, lift it,
	// an impression kept or refused (Finger).
	TypeFinger Type = "finger"
	// TypeSubmitting says the face or fingerprint is being sent to IDEC
	// (Submitting).
	TypeSubmitting Type = "submitting"
	// TypeResult is the verification's outcome (Result); sent exactly once
	// by every session that left waiting_start, unless it was aborted or
	// its client dropped.
	TypeResult Type = "result"
	// TypeError reports an error (ErrorMessage); Fatal says whether the
	// session ends.
	TypeError Type = "error"
	// TypeAborted says the daemon is shutting down (Aborted); the socket
	// closes next.
	TypeAborted Type = "aborted"
)

// Message is any protocol message. MessageType is the message's constant
// Type; it is defined on the value, so both T and *T are Messages.
type Message interface {
	MessageType() Type
}

// ClientMessage is a message a client sends: *Start, *Cancel or
// *EndOfFrames as DecodeClient returns them.
type ClientMessage interface {
	Message
	clientMessage()
}

// ServerMessage is a message the gateway sends.
type ServerMessage interface {
	Message
	serverMessage()
}

// CameraMode says where a session's frames come from.
type CameraMode string

// Camera modes.
const (
	// CameraKiosk: a camera attached to the gateway's machine (a branch or
	// self-service kiosk); Camera.Name may choose one.
	CameraKiosk CameraMode = "kiosk"
	// CameraRelay: the client sends the frames as binary messages (a mobile
	// app or a browser).
	CameraRelay CameraMode = "relay"
)

// Modalities of a start.
const (
	// ModalityFace: a face, from a kiosk camera or the relay, with
	// liveness.
	ModalityFace = string(outcome.ModalityFace)
	// ModalityFinger: a fingerprint from a reader attached to the gateway
	// (Start.Finger); kiosk only.
	ModalityFinger = string(outcome.ModalityFinger)
	// ModalityFaceAndFinger: both required: the face session first (Camera,
	// Commands as for ModalityFace), then, once IDEC matched the face, the
	// fingerprint (Finger) on the gateway's reader.
	ModalityFaceAndFinger = string(outcome.ModalityFaceAndFinger)
)

// Start begins a verification. Start.Validate checks it.
type Start struct {
	// IIN of the person to verify, 12 digits. Personal data: never log it
	// unmasked.
	IIN string `json:"iin"`
	// Modality is ModalityFace, ModalityFinger or ModalityFaceAndFinger.
	Modality string `json:"modality"`
	// Consent is the person's recorded consent; nil if the client sent
	// none (consent_required).
	Consent *Consent `json:"consent,omitempty"`
	// ClientNonce is the client's value, 16-128 characters of
	// [A-Za-z0-9_-], echoed in the Result and signed into its document, so
	// the client can bind the result to its own request.
	ClientNonce string `json:"client_nonce"`
	// Camera says where the frames come from (face); absent with
	// ModalityFinger.
	Camera Camera `json:"camera"`
	// Finger chooses the finger and the reader (ModalityFinger,
	// ModalityFaceAndFinger).
	Finger *FingerStart `json:"finger,omitempty"`
	// Commands fixes the liveness commands instead of drawing them at
	// random; honoured only when the daemon runs with
	// --allow-fixed-commands, and then Result.FixedCommands is true. For
	// tests and demonstrations, never for real checks.
	Commands []string `json:"commands,omitempty"`
	// Attestation is the app's proof that it is the genuine app on a
	// genuine device, made for the challenge of hello's attestation
	// (AttestationChallenge); read only when hello announced one, else
	// ignored.
	Attestation *Attestation `json:"attestation,omitempty"`
}

// Attestation platforms.
const (
	// PlatformAndroid: Android hardware key attestation (CertChain).
	PlatformAndroid = "android"
	// PlatformIOS: Apple App Attest (Object, KeyID).
	PlatformIOS = "ios"
)

// MaxAttestationCerts bounds Attestation.CertChain.
const MaxAttestationCerts = 8

// Attestation is an app attestation. Binary values are base64 (standard
// alphabet, padded); the gateway verifies them (gateway/attest), and one
// that does not decode is an invalid attestation, not a bad message.
type Attestation struct {
	// Platform is PlatformAndroid or PlatformIOS.
	Platform string `json:"platform"`
	// CertChain (android) is the attested key's certificate chain as
	// KeyStore.getCertificateChain returns it: DER certificates, leaf
	// first, at most MaxAttestationCerts; the root may be left out.
	CertChain []string `json:"cert_chain,omitempty"`
	// Object (ios) is the attestation object DCAppAttestService.attestKey
	// returned.
	Object string `json:"object,omitempty"`
	// KeyID (ios) is the attested key's identifier; optional.
	KeyID string `json:"key_id,omitempty"`
}

// FingerStart chooses what a finger session captures.
type FingerStart struct {
	// Position is the finger to capture, a Finger* value ("right_index");
	// IDEC compares it with the reference of that finger.
	Position outcome.Finger `json:"position"`
	// Reader is a fingerprint reader's id as GET /v1/devices lists it
	// (kind fingerprint); empty for the daemon's default reader.
	Reader string `json:"reader,omitempty"`
	// Impressions is how many good impressions to take, of which the best
	// by quality is sent: 1-MaxImpressions, 0 for DefaultImpressions.
	Impressions int `json:"impressions,omitempty"`
}

// Finger positions, as package outcome names them.
const (
	FingerRightThumb  = outcome.RightThumb
	FingerRightIndex  = outcome.RightIndex
	FingerRightMiddle = outcome.RightMiddle
	FingerRightRing   = outcome.RightRing
	FingerRightLittle = outcome.RightLittle
	FingerLeftThumb   = outcome.LeftThumb
	FingerLeftIndex   = outcome.LeftIndex
	FingerLeftMiddle  = outcome.LeftMiddle
	FingerLeftRing    = outcome.LeftRing
	FingerLeftLittle  = outcome.LeftLittle
)

// Impressions of a finger session.
const (
	// DefaultImpressions is FingerStart.Impressions when 0.
	DefaultImpressions = 3
	// MaxImpressions bounds FingerStart.Impressions.
	MaxImpressions = 5
)

// Camera chooses the session's camera.
type Camera struct {
	// Mode is CameraKiosk or CameraRelay.
	Mode CameraMode `json:"mode"`
	// Name is a kiosk camera's id as GET /v1/devices lists it; empty for
	// the daemon's default camera. Must be empty in relay mode.
	Name string `json:"name,omitempty"`
}

// Consent is the person's consent to this check, as the calling app
// recorded it.
type Consent struct {
	// TextID identifies the consent text shown (the app's id and version
	// of the text).
	TextID string `json:"text_id"`
	// TextSHA256 is the SHA-256 of the exact text shown, 64 lowercase hex
	// digits.
	TextSHA256 string `json:"text_sha256"`
	// AcceptedAt is when the person accepted, RFC 3339 with a zone.
	AcceptedAt time.Time `json:"accepted_at"`
}

// Cancel stops the session. Before done, the gateway answers with state
// done (reason cancelled) and closes the socket; no result is sent.
type Cancel struct{}

// EndOfFrames says a relay client sends no more frames: the gateway decides
// with the frames it has.
type EndOfFrames struct {
	// LastSeq is the sequence number of the last frame sent, so the gateway
	// can tell frames lost in transit; 0 if none was sent.
	LastSeq uint32 `json:"last_seq"`
}

// Hello is the gateway's first message on a socket.
type Hello struct {
	// SessionID names the session in logs, metrics, evidence and support
	// requests (a UUID).
	SessionID string `json:"session_id"`
	// Versions lists the protocol versions the gateway speaks.
	Versions []int `json:"versions"`
	// Limits are the limits in force for this session.
	Limits Limits `json:"limits"`
	// FixedCommandsAllowed reports whether Start.Commands is honoured.
	FixedCommandsAllowed bool `json:"fixed_commands_allowed"`
	// Attestation is set when the API key asks for app attestation: the
	// policy and the session's nonce. Absent when the key's policy is off.
	Attestation *AttestationOffer `json:"attestation,omitempty"`
}

// Attestation policies announced in hello: what the gateway does with a
// start whose attestation is absent or invalid.
const (
	// AttestationReport: verify and record in the document; never refuse.
	AttestationReport = "report"
	// AttestationRequire: refuse the start (attestation_required,
	// attestation_failed).
	AttestationRequire = "require"
)

// AttestationOffer announces app attestation in hello.
type AttestationOffer struct {
	// Policy is AttestationReport or AttestationRequire.
	Policy string `json:"policy"`
	// Nonce is the session's random nonce, 32 bytes in unpadded base64url;
	// the app attests AttestationChallenge(nonce, its client_nonce).
	Nonce string `json:"nonce"`
}

// Limits are the per-session limits the gateway enforces, in the units
// their names give. DefaultLimits holds the daemon's defaults.
type Limits struct {
	// MaxMessageBytes is the largest client text message.
	MaxMessageBytes int `json:"max_message_bytes"`
	// MaxFrameBytes is the largest JPEG of a relay frame (header excluded).
	MaxFrameBytes int `json:"max_frame_bytes"`
	// MaxFramePixels is the most pixels (width times height) a relay
	// frame's JPEG may declare; a larger one is refused unread.
	MaxFramePixels int `json:"max_frame_pixels"`
	// MaxFPS is the highest frame rate a relay client may send.
	MaxFPS int `json:"max_fps"`
	// SessionSeconds is the longest a session may last from the upgrade.
	SessionSeconds int `json:"session_seconds"`
	// StartSeconds is the longest the gateway waits for start after the
	// upgrade.
	StartSeconds int `json:"start_seconds"`
	// IdleSeconds is the longest the gateway waits, in relay mode, for the
	// next frame.
	IdleSeconds int `json:"idle_seconds"`
	// PingSeconds is the interval of the gateway's WebSocket pings.
	PingSeconds int `json:"ping_seconds"`
	// MaxAttempts is the number of failed attempts, across sessions,
	// within the lockout window that lock an IIN out; a session offers
	// the attempts its IIN has left, then refuses.
	MaxAttempts int `json:"max_attempts"`
	// CommandTimeoutMS is the time allowed for each liveness command, from
	// its issue, in milliseconds (each issued command repeats it as
	// timeout_ms).
	CommandTimeoutMS int `json:"command_timeout_ms"`
}

// SessionState is a state of the session state machine (docs/protocol.md
// draws it).
type SessionState string

// Session states, in the order a successful session goes through them.
const (
	// StateWaitingStart: the socket is open, the gateway waits for start.
	StateWaitingStart SessionState = "waiting_start"
	// StateCapturing: the camera runs; quality hints coach the person
	// until a good, steady face gives the liveness baseline.
	StateCapturing SessionState = "capturing"
	// StateLiveness: commands are issued and judged; quality hints go on.
	StateLiveness SessionState = "liveness"
	// StateFinger: a finger session's reader is claimed; finger messages
	// guide the person through the impressions (instead of capturing and
	// liveness).
	StateFinger SessionState = "finger"
	// StateSubmitting: liveness passed (or the impressions were taken);
	// the best frame (or impression) is with IDEC.
	StateSubmitting SessionState = "submitting"
	// StateDone: final; State.Reason says how the session ended.
	StateDone SessionState = "done"
)

// DoneReason says how a session reached StateDone.
type DoneReason string

// Done reasons.
const (
	// DoneCompleted: a result was sent and no fatal error.
	DoneCompleted DoneReason = "completed"
	// DoneCancelled: the client sent cancel.
	DoneCancelled DoneReason = "cancelled"
	// DoneError: a fatal error was sent (after start, followed by a result
	// with decision error).
	DoneError DoneReason = "error"
)

// State reports the session's new state.
type State struct {
	State SessionState `json:"state"`
	// Reason is set with StateDone.
	Reason DoneReason `json:"reason,omitempty"`
}

// Quality hints, most pressing first, as capture reports them.
const (
	HintNoFace        = "no_face"
	HintMultipleFaces = "multiple_faces"
	HintNoColour      = "no_colour"
	HintTooDark       = "too_dark"
	HintTooBright     = "too_bright"
	HintTooFar        = "too_far"
	HintTooClose      = "too_close"
	HintNotCentered   = "not_centered"
	HintBlurry        = "blurry"
	HintTurnToCamera  = "turn_to_camera"
)

// Quality coaches the person: what to change, most pressing first.
type Quality struct {
	// Hints are Hint* values, most pressing first; empty when the face is
	// good. Clients show the first one they know and ignore unknown ones.
	Hints []string `json:"hints"`
	// Score is the unified quality of the latest frame, 0-100.
	Score float64 `json:"score"`
}

// Liveness commands, as package outcome names them.
const (
	CommandTurnLeft   = outcome.TurnLeft
	CommandTurnRight  = outcome.TurnRight
	CommandTiltLeft   = outcome.TiltLeft
	CommandTiltRight  = outcome.TiltRight
	CommandMoveCloser = outcome.MoveCloser
)

// CommandStatus says what a Command message reports.
type CommandStatus = outcome.CommandStatus

// Command statuses, in the order one command meets them.
const (
	// CommandIssued: show the command to the person now.
	CommandIssued = outcome.CommandIssued
	// CommandProgress: the response to the command changed (Progress).
	CommandProgress = outcome.CommandProgress
	// CommandPassed: the command passed.
	CommandPassed = outcome.CommandPassed
	// CommandFailed: the command failed (Reason), and with it the attempt.
	CommandFailed = outcome.CommandFailed
)

// Reasons a command fails, as package outcome names them.
const (
	ReasonTimeout        = outcome.CommandTimeout
	ReasonWrongDirection = outcome.WrongDirection
	ReasonFaceLost       = outcome.FaceLost
	ReasonMultipleFaces  = outcome.MultipleFaces
	ReasonFaceJump       = outcome.FaceJump
)

// Command reports one liveness command. A failed command ends its attempt:
// if AttemptsLeft > 0 the next attempt begins with a new baseline and a
// command issued with Attempt+1 and Index 0; otherwise a result (refused)
// follows.
type Command struct {
	Status CommandStatus `json:"status"`
	// Command is a Command* value.
	Command outcome.Command `json:"command"`
	// Attempt is the attempt, 1-based; Index the command's position in it,
	// 0-based; Count the number of commands in the attempt.
	Attempt int `json:"attempt"`
	Index   int `json:"index"`
	Count   int `json:"count"`
	// TimeoutMS is the time allowed for the command (issued).
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// Progress is the response so far, 0-1 (progress, passed).
	Progress float64 `json:"progress,omitempty"`
	// Reason is a Reason* value (failed).
	Reason outcome.CommandReason `json:"reason,omitempty"`
	// AttemptsLeft is the number of attempts still allowed to the
	// session, its IIN's failed attempts left before the lockout (failed).
	AttemptsLeft int `json:"attempts_left,omitempty"`
}

// Passive decisions, as package outcome names them.
const (
	PassiveLive      = outcome.Live
	PassiveSpoof     = outcome.LivenessSpoof
	PassiveUndecided = outcome.Undecided
)

// Passive is the passive liveness outcome over the session's frames.
type Passive struct {
	// Decision is a Passive* value.
	Decision outcome.Liveness `json:"decision"`
	// PLive is the session's probability of a live face, 0-1.
	PLive float64 `json:"p_live"`
	// Frames is the number of frames scored.
	Frames int `json:"frames"`
}

// FingerStatus says what a Finger message reports.
type FingerStatus string

// Finger statuses, in the order one impression meets them.
const (
	// FingerPlace: ask the person to place the finger on the reader.
	FingerPlace FingerStatus = "place"
	// FingerLift: the reader has the finger: hold it still, then lift it.
	FingerLift FingerStatus = "lift"
	// FingerCaptured: the impression was kept (Quality); the next place
	// follows unless it was the last.
	FingerCaptured FingerStatus = "captured"
	// FingerRejected: the image was not kept (Hint says why); the person
	// places the finger again for the same impression.
	FingerRejected FingerStatus = "rejected"
)

// Fingerprint hints, as package fingerprint reports them: what the person
// can do about a print it did not keep, most pressing first.
const (
	HintNoFinger     = "no_finger"
	HintOffCentre    = "off_centre"
	HintTooSmall     = "too_small"
	HintPressHarder  = "press_harder"
	HintPressLighter = "press_lighter"
	HintDryOrWet     = "dry_or_wet"
)

// Finger guides a finger session.
type Finger struct {
	Status FingerStatus `json:"status"`
	// Position is the finger being captured.
	Position outcome.Finger `json:"position"`
	// Impression is the impression being taken, 1-based, of Count.
	Impression int `json:"impression"`
	Count      int `json:"count"`
	// Quality is the image's quality, 0-100 (captured, rejected).
	Quality int `json:"quality,omitempty"`
	// Hint is a Hint* fingerprint value (rejected; captured when the print
	// could still be better).
	Hint string `json:"hint,omitempty"`
}

// Submitting says the chosen frame is being sent to IDEC.
type Submitting struct {
	// RequestID is the gateway's id of the IDEC request (its idempotency
	// key), for support; the result's IDECRequestID is IDEC's own.
	RequestID string `json:"request_id"`
}

// Decision is the outcome of a verification, in the words of package
// outcome (the document signs the same values).
type Decision = outcome.Decision

// Decisions.
const (
	// DecisionMatch: live, and IDEC matched the face with the IIN's
	// reference photo.
	DecisionMatch = outcome.Match
	// DecisionNoMatch: live, and IDEC did not match.
	DecisionNoMatch = outcome.NoMatch
	// DecisionSpoof: passive liveness saw a photo, print, screen or mask.
	DecisionSpoof = outcome.Spoof
	// DecisionRefused: every allowed attempt failed its commands.
	DecisionRefused = outcome.Refused
	// DecisionError: the check could not finish (Reasons says why).
	DecisionError = outcome.Error
)

// Result is the verification's outcome, sent once.
type Result struct {
	SessionID string   `json:"session_id"`
	Decision  Decision `json:"decision"`
	// Similarity is IDEC's similarity, 0-1; nil unless IDEC answered.
	Similarity *float64 `json:"similarity,omitempty"`
	// Finger is what a finger session sent to IDEC; nil for a face, or
	// when no impression was kept.
	Finger *FingerResult `json:"finger,omitempty"`
	// Reasons explain the decision (docs/protocol.md lists them); clients
	// must accept reasons they do not know. Absent when empty.
	Reasons []string `json:"reasons,omitempty"`
	// IDECRequestID is IDEC's id of the request, when it answered.
	IDECRequestID string `json:"idec_request_id,omitempty"`
	// ClientNonce echoes Start.ClientNonce.
	ClientNonce string `json:"client_nonce"`
	// FixedCommands is true when the commands came from Start.Commands and
	// were not random: such a result proves nothing about liveness.
	FixedCommands bool `json:"fixed_commands"`
	// DepartsFromRules lists how the check departed from the rules, for
	// tests and demos: "fixed_commands" (not random), "fewer_than_3_commands".
	// Absent for a check under the rules.
	DepartsFromRules []string `json:"departs_from_rules,omitempty"`
	// Attempts is the number of liveness attempts begun.
	Attempts int `json:"attempts"`
	// DecidedAt is when the gateway decided, on its clock.
	DecidedAt time.Time `json:"decided_at"`
	// Document is the signed result document, a JWS in compact
	// serialisation (gateway/document); stored in the evidence store
	// before the result is sent. Empty without a signer, and in the error
	// result after evidence_unavailable (no document could be kept).
	Document string `json:"document,omitempty"`
}

// FingerResult is what a finger session sent to IDEC, as its document
// signs it.
type FingerResult struct {
	Position outcome.Finger `json:"position"`
	// Quality is the sent impression's quality, 0-100.
	Quality int `json:"quality"`
	// Impressions is the number of impressions kept, of which the best was
	// sent.
	Impressions int `json:"impressions"`
	// TemplateSHA256 is the SHA-256 of the sent impression's ISO/IEC
	// 19794-2 minutiae record, 64 hex digits: the same finger gives
	// different templates, so it identifies this capture, not the person.
	TemplateSHA256 string `json:"template_sha256"`
	// Similarity and IDECRequestID are IDEC's answer on the fingerprint,
	// when it answered (Result's own are the face's in a face_and_finger
	// session, the fingerprint's in a finger session).
	Similarity    *float64 `json:"similarity,omitempty"`
	IDECRequestID string   `json:"idec_request_id,omitempty"`
}

// ErrorMessage reports an error. NewError fills it from the code's table
// entry.
type ErrorMessage struct {
	Code ErrorCode `json:"code"`
	// Message is English text a person can act on; never a device path, a
	// model name, a stack, an IIN or biometric data.
	Message string `json:"message"`
	// Fatal: the session ends and the socket closes after this message
	// (and, after start, a result with decision error).
	Fatal bool `json:"fatal"`
	// Field names the offending field of the client's message
	// ("consent.text_sha256"), when one is to blame.
	Field string `json:"field,omitempty"`
	// RetryAfter is the number of seconds to wait before trying again
	// (locked_out, rate_limited, busy).
	RetryAfter int `json:"retry_after,omitempty"`
}

// Aborted says the daemon is shutting down; the socket closes next with
// status 1001 and no result follows.
type Aborted struct {
	// Reason is "shutdown".
	Reason string `json:"reason"`
}

// AbortShutdown is the Aborted.Reason of a daemon shutting down.
const AbortShutdown = "shutdown"

// MessageType implements Message.
func (Start) MessageType() Type { return TypeStart }

// MessageType implements Message.
func (Cancel) MessageType() Type { return TypeCancel }

// MessageType implements Message.
func (EndOfFrames) MessageType() Type { return TypeEndOfFrames }

// MessageType implements Message.
func (Hello) MessageType() Type { return TypeHello }

// MessageType implements Message.
func (State) MessageType() Type { return TypeState }

// MessageType implements Message.
func (Quality) MessageType() Type { return TypeQuality }

// MessageType implements Message.
func (Command) MessageType() Type { return TypeCommand }

// MessageType implements Message.
func (Passive) MessageType() Type { return TypePassive }

// MessageType implements Message.
func (Finger) MessageType() Type { return TypeFinger }

// MessageType implements Message.
func (Submitting) MessageType() Type { return TypeSubmitting }

// MessageType implements Message.
func (Result) MessageType() Type { return TypeResult }

// MessageType implements Message.
func (ErrorMessage) MessageType() Type { return TypeError }

// MessageType implements Message.
func (Aborted) MessageType() Type { return TypeAborted }

func (Start) clientMessage()       {}
func (Cancel) clientMessage()      {}
func (EndOfFrames) clientMessage() {}

func (Hello) serverMessage()        {}
func (State) serverMessage()        {}
func (Quality) serverMessage()      {}
func (Command) serverMessage()      {}
func (Passive) serverMessage()      {}
func (Finger) serverMessage()       {}
func (Submitting) serverMessage()   {}
func (Result) serverMessage()       {}
func (ErrorMessage) serverMessage() {}
func (Aborted) serverMessage()      {}
