package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/outcome"
)

// The interfaces the gateway declares, and their value types: pipeline/
// implements Pipeline over the vision packages, internal/relaycam the relay
// cameras, and internal/daemon wires them with the IDEC client, the kiosk
// cameras and the evidence store, so this package needs none of them.

// Pipeline runs capture and liveness on a camera for one session. It is
// implemented in package pipeline over the capture and liveness packages.
//
// Run reads cam (it does not close it: the session does) until liveness
// decides, ctx is done or the camera fails, and reports progress to ev from
// its own goroutine. It returns an error only when no verdict could be
// reached: wrapping ctx's error when cancelled, and the camera's
// devices.Err* sentinel when the camera failed (devices.ErrEndOfStream when
// a relay client ended its frames early, devices.ErrTimeout when no frame
// came in time). With an error, only the outcome's Capture counts are set.
type Pipeline interface {
	Run(ctx context.Context, cam devices.Camera, opt PipelineOptions, ev PipelineEvents) (PipelineOutcome, error)
}

// PipelineOptions are a session's choices for its pipeline.
type PipelineOptions struct {
	// Commands are fixed liveness commands, for tests and demonstrations
	// only (Config.AllowFixedCommands); nil draws them at random.
	Commands []outcome.Command
	// Preview asks for PipelineEvents.Preview pictures (kiosk mode: the
	// client cannot see the gateway's camera otherwise).
	Preview bool
	// Attempts is how many liveness attempts the session may use before
	// refusal: the failed attempts its IIN has left before the lockout
	// (at most Config.MaxAttempts); 0 leaves the pipeline's own number.
	Attempts int
	// CommandTimeout is the time allowed for each liveness command, as
	// hello announced it (Limits.CommandTimeoutMS); 0 leaves the
	// pipeline's own.
	CommandTimeout time.Duration
}

// PipelineEvents receives a pipeline's progress. Its methods are called
// from the pipeline's goroutine, never block, and turn into protocol
// messages on the session's bounded send queue; the session throttles
// quality to QualityMaxPerSecond and progress to ProgressMaxPerSecond.
type PipelineEvents interface {
	// Quality reports the hints (most pressing first) and the unified
	// quality score, 0-100, of the latest frame: one call per frame
	// analysed (counted in biogate_gateway_frames_analysed_total).
	Quality(hints []string, score float64)
	// Baseline says a baseline was taken: the session enters liveness.
	Baseline()
	// Command reports news of a liveness command.
	Command(CommandEvent)
	// Passive reports the passive liveness outcome, once.
	Passive(decision outcome.Liveness, pLive float64, frames int)
	// Preview offers a downscaled JPEG of the camera, width x height
	// pixels (at most protocol.PreviewMaxWidth wide), when
	// PipelineOptions.Preview is set; at most protocol.PreviewMaxPerSecond
	// are worth making. The session copies what it keeps: jpeg may be
	// reused after the call. Biometric data: never logged.
	Preview(jpeg []byte, width, height int)
}

// CommandEvent is news of one liveness command.
type CommandEvent struct {
	// Status is issued, progress, passed or failed.
	Status outcome.CommandStatus
	// Command is the command's name (turn_left, ...).
	Command outcome.Command
	// Attempt is 1-based; Index is 0-based, of Count commands.
	Attempt, Index, Count int
	// Timeout is the time allowed for the command (issued).
	Timeout time.Duration
	// Progress is the response so far, 0-1 (progress, passed).
	Progress float64
	// Reason says why the command failed (failed).
	Reason outcome.CommandReason
}

// Verdicts of PipelineOutcome, in the words of package outcome.
const (
	VerdictLive      = outcome.Live
	VerdictSpoof     = outcome.LivenessSpoof
	VerdictRefused   = outcome.LivenessRefused
	VerdictUndecided = outcome.Undecided
)

// PipelineOutcome is what liveness decided.
type PipelineOutcome struct {
	// Verdict is one of the Verdict* values.
	Verdict outcome.Liveness
	// Reasons explain the verdict; empty takes the verdict's reason in
	// livenessEndings.
	Reasons []outcome.Reason
	// Token is the JPEG sent to IDEC when Verdict is live: biometric data,
	// never logged.
	Token []byte
	// Quality is the token frame's unified quality, 0-100.
	Quality float64
	// CapturedAt is when the token frame was captured.
	CapturedAt time.Time
	// FixedCommands is true when the commands were fixed, not random.
	FixedCommands bool
	// Best is the whole best frame as JPEG, BestWidth x BestHeight pixels:
	// biometric data, kept (encrypted) in the evidence store.
	Best                  []byte
	BestWidth, BestHeight int
	// Attempts is the number of liveness attempts begun.
	Attempts int
	// Commands are the commands issued, attempt by attempt, in order.
	Commands []CommandRecord
	// Passive is the passive liveness outcome; Decision "" if none.
	Passive PassiveOutcome
	// Capture counts the camera frames the capture loop read and did not
	// analyse (biogate_gateway_capture_frames_dropped_total).
	Capture CaptureCounts
}

// CaptureCounts are the frames a capture loop read and did not analyse;
// with the frames analysed (PipelineEvents.Quality, one call per frame)
// they are every frame it read.
type CaptureCounts struct {
	// Dropped: its queue was full, the analysis busy with an earlier
	// frame; the oldest queued frame was dropped.
	Dropped int
	// Discarded: still queued when liveness ended (the decision was made,
	// or the time was up).
	Discarded int
	// Undecodable frames were skipped.
	Undecodable int
}

// CommandRecord is one issued command's outcome, for the result document.
type CommandRecord struct {
	// Attempt is 1-based; Index is 0-based within the attempt.
	Attempt, Index int
	// Command is the command's name (turn_left, ...).
	Command outcome.Command
	// Outcome is passed, failed or interrupted (the attempt ended before
	// the command did); Reason says why it failed.
	Outcome outcome.CommandOutcome
	Reason  outcome.CommandReason
	// Progress is the peak response, 0-1.
	Progress float64
	// JPEG is the frame of peak response of a passed command, Width x
	// Height: biometric data. Nil for other outcomes.
	JPEG          []byte
	Width, Height int
}

// PassiveOutcome is the passive liveness decision (live, spoof,
// undecided), its probability of live and the frames it used, and each
// cue's part in it, for the result document.
type PassiveOutcome struct {
	Decision outcome.Liveness
	PLive    float64
	Frames   int
	// Bias is where the fusion's logit starts; Cues are the cues' parts
	// in PLive, in fusion order (sigmoid of Bias plus the available
	// contributions).
	Bias float64
	Cues []CueOutcome
	// DecidedBy names the cue that decided spoof alone (one of Cues);
	// "" when the fusion decided.
	DecidedBy string
}

// CueOutcome is one passive liveness cue's part in the session's
// decision: its name, its evidence of live (0-1, 0.5 neutral), its weight
// and its term in the fused logit (0 when not Available).
type CueOutcome struct {
	Name                        string
	Score, Weight, Contribution float64
	Available                   bool
}

// FingerPipeline takes a finger session's impressions on a reader. It is
// implemented in package pipeline over package fingerprint.
//
// Run captures from reader (it does not close it: the session does) until
// opt.Impressions impressions were kept, ctx is done or the reader fails,
// and reports progress to ev from its own goroutine. It returns an error
// only when no impression could be sent: wrapping ctx's error when
// cancelled; the reader's devices.Err* sentinel when it failed
// (devices.ErrTimeout when no finger came within opt.IdleTimeout,
// devices.ErrEndOfStream when a folder ran out before one impression was
// kept); ErrNoUsableFinger after MaxRejects images in a row were refused.
// A reader that ends after some impressions were kept is not an error:
// the best of them is sent.
type FingerPipeline interface {
	Run(ctx context.Context, reader devices.FingerprintReader, opt FingerOptions, ev FingerEvents) (FingerOutcome, error)
}

// MaxRejects bounds the images in a row a finger session refuses for one
// impression before it ends with ErrNoUsableFinger: a person who cannot
// give a print after this many tries needs help, not more tries.
const MaxRejects = 10

// ErrNoUsableFinger: MaxRejects images in a row showed no usable finger.
var ErrNoUsableFinger = errors.New("gateway: no usable fingerprint")

// FingerOptions are a finger session's choices for its pipeline.
type FingerOptions struct {
	// Position is the finger asked for.
	Position outcome.Finger
	// Impressions is how many impressions to keep (1-5).
	Impressions int
	// MinQuality is the lowest quality (0-100) an impression is kept at.
	MinQuality int
	// IdleTimeout bounds the wait for each finger on the reader.
	IdleTimeout time.Duration
}

// FingerEvents receives a finger pipeline's progress; like
// PipelineEvents, its methods never block and turn into protocol messages.
type FingerEvents interface {
	// Place asks for the finger: impression (1-based) of count.
	Place(impression, count int)
	// Lift says the reader has the finger: hold still, then lift it.
	Lift(impression, count int)
	// Captured reports an impression kept, with its quality (0-100) and
	// a hint if the print could still be better.
	Captured(impression, count, quality int, hint string)
	// Rejected reports an image not kept and why (a fingerprint hint).
	Rejected(impression, count, quality int, hint string)
}

// FingerOutcome is what a finger session sends to IDEC.
type FingerOutcome struct {
	// Record is the best impression as an ISO/IEC 19794-4 finger image
	// record (WSQ): biometric data, sent to IDEC and kept (encrypted) in
	// the evidence store.
	Record []byte
	// Width and Height are the best impression's size in pixels.
	Width, Height int
	// Quality is the best impression's quality, 0-100.
	Quality int
	// TemplateSHA256 is the SHA-256 (hex) of the best impression's
	// ISO/IEC 19794-2 minutiae record.
	TemplateSHA256 string
	// Impressions counts the impressions kept; Rejected the images not.
	Impressions, Rejected int
	// CapturedAt is when the best impression was captured.
	CapturedAt time.Time
	// Reader is the reader's backend ("usb", "dir"), for IDEC's device id.
	Reader string
}

// FingerReaders opens fingerprint readers by the id a start gives (""
// for the default reader). One session holds a reader at a time (a
// reader another session holds gives an error wrapping devices.ErrBusy).
// The session closes the reader it gets.
type FingerReaders interface {
	Open(ctx context.Context, id string) (devices.FingerprintReader, error)
}

// Verifier matches a face with the IIN's reference photo: *idec.Client.
type Verifier interface {
	Verify(ctx context.Context, req idec.Request) (idec.Result, error)
}

// Cameras opens kiosk cameras by the name a start message gives ("" is the
// default camera). The session closes the camera it gets.
type Cameras interface {
	Open(ctx context.Context, name string) (devices.Camera, error)
}

// Config configures a Server. Zero fields take the default in brackets.

// Device is one entry of GET /v1/devices: what a calling app needs to pick
// a kiosk camera, and never a device path.
type Device struct {
	// ID is the name a start message gives as camera.name.
	ID string `json:"id"`
	// Kind is "camera" or "fingerprint".
	Kind string `json:"kind"`
	// Backend is how the daemon reaches it (v4l2, gst, file, dir, usb).
	Backend string `json:"backend"`
	// Available is false while the device cannot be opened.
	Available bool `json:"available"`
}

// DeviceLister is implemented by Cameras that can list their devices; GET
// /v1/devices serves the list (empty without one).
type DeviceLister interface {
	Devices() []Device
}

// Evidence is what the gateway needs of the evidence store
// (evidence.Store): appending a signed document with its images to the
// hash chain, and the failures behind lockouts.
type Evidence interface {
	Failures
	Holds
	Append(ctx context.Context, seal func(prevHash string) (evidence.Record, error)) (evidence.Entry, error)
}

// Failures keeps the failed attempts per subject behind the lockout. The
// subject key is an HMAC of the IIN (Config.SubjectKey), never the IIN.
// The gateway applies evidence.Lockout to what Failures returns, so the
// in-memory failures and the store lock alike.
type Failures interface {
	// Failure records one failed attempt at a time.
	Failure(ctx context.Context, key string, at time.Time) error
	// Failures returns the subject's failed attempts after since.
	Failures(ctx context.Context, key string, since time.Time) ([]time.Time, error)
}

// Holds lets one session per subject run at a time, across every gateway
// that shares them (evidence.Store), so that concurrent sessions cannot
// pass the lockout together. A holder is GATEWAY/SESSION: the gateway's
// Config.ID, then the session id.
type Holds interface {
	// Hold takes the subject's lease for holder until the time until, and
	// reports false when another holder's lease has not run out at now.
	Hold(ctx context.Context, key, holder string, now, until time.Time) (bool, error)
	// Release drops the subject's lease if holder still holds it.
	Release(ctx context.Context, key, holder string) error
	// ReleaseGateway drops every lease held by gateway's sessions (holders
	// gateway/...) and returns how many: New calls it, so the leases a
	// killed gateway left do not outlive its restart.
	ReleaseGateway(ctx context.Context, gateway string) (int, error)
}

// RelayCameras makes the camera of each relay session (Config.Relay): the
// daemon's is internal/relaycam, over devices/relay. Its methods are safe
// for concurrent use.
type RelayCameras interface {
	// NewCamera returns a camera fed with Push by the session cfg.ID,
	// configured from the session's limits. The session closes it.
	NewCamera(cfg RelayConfig) (RelayCamera, error)
	// MessageBytes is the largest binary message that carries a frame of
	// maxFrameBytes (the frame and its header): the socket's read limit.
	MessageBytes(maxFrameBytes int) int
}

// RelayConfig configures one session's relay camera.
type RelayConfig struct {
	// ID names the camera's frames: the session id.
	ID string
	// MaxFrameBytes is the largest JPEG accepted, in bytes.
	MaxFrameBytes int
	// MaxFramePixels is the most pixels a frame's JPEG may declare in its
	// frame header, checked before anything decodes it.
	MaxFramePixels int
	// MaxFPS is the highest sustained rate of accepted frames, per second.
	MaxFPS float64
	// IdleTimeout is how long a Read waits for a frame before it fails
	// with devices.ErrTimeout.
	IdleTimeout time.Duration
	// Clock stamps the frames' arrival and drives the rate limit.
	Clock func() time.Time
}

// RelayCamera is the camera of a relay session: the session's reader
// pushes the client's binary messages into it, the pipeline reads frames
// from it. Push, End and Disconnect are safe to call concurrently with
// Read.
type RelayCamera interface {
	devices.Camera
	// Push validates one binary message and queues its frame (copied: msg
	// may be reused). It never blocks. A rejected message queues nothing
	// and returns an error wrapping ErrFrameBadHeader, ErrFrameNotJPEG,
	// ErrFrameTooLarge, ErrFrameTooFast or ErrFrameStopped.
	Push(msg []byte) error
	// End says the client sent its last frame: Read returns the queued
	// frames, then devices.ErrEndOfStream.
	End()
	// Disconnect says the client went away: Read fails with
	// devices.ErrDisconnected.
	Disconnect()
	// Stats returns the camera's counters since NewCamera, for metrics.
	Stats() RelayStats
}

// Why a relay camera refused a frame message (RelayCamera.Push).
var (
	// ErrFrameBadHeader: too short, wrong magic or version, or a sequence
	// number that did not increase.
	ErrFrameBadHeader = errors.New("gateway: relay frame header rejected")
	// ErrFrameNotJPEG: the payload is not a JPEG.
	ErrFrameNotJPEG = errors.New("gateway: relay frame is not a JPEG")
	// ErrFrameTooLarge: the JPEG is over RelayConfig.MaxFrameBytes.
	ErrFrameTooLarge = errors.New("gateway: relay frame too large")
	// ErrFrameTooFast: the client sends over RelayConfig.MaxFPS.
	ErrFrameTooFast = errors.New("gateway: relay frames sent too fast")
	// ErrFrameStopped: the camera was ended, disconnected or closed.
	ErrFrameStopped = errors.New("gateway: relay camera no longer accepts frames")
)

// RelayStats are a relay camera's counters: every message pushed is
// received, and either rejected (by reason), or queued and then read,
// dropped or discarded.
type RelayStats struct {
	// Received counts the messages pushed.
	Received uint64
	// Rejected messages, by reason (the ErrFrame* errors).
	BadHeader, NotJPEG, TooLarge, TooFast, Stopped uint64
	// QueueFull counts frames dropped, oldest first, from a full queue.
	QueueFull uint64
	// Discarded counts frames still queued when the camera stopped.
	Discarded uint64
}
