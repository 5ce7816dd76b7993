package protocol

import "time"

// Size limits of text messages.
const (
	// MaxClientMessageBytes is the largest text message a client may send;
	// DecodeClient rejects longer ones with ErrTooLarge. A start with a
	// full set of fields is under 1 KiB.
	MaxClientMessageBytes = 16 << 10
	// MaxServerMessageBytes is the largest text message DecodeServer
	// accepts: a result with its signed document (which holds a JPEG per
	// command) is the only large one.
	MaxServerMessageBytes = 16 << 20
)

// DefaultLimits are the daemon's default per-session limits; its flags may
// change them, and Hello carries the values in force.
var DefaultLimits = Limits{
	MaxMessageBytes: MaxClientMessageBytes,
	MaxFrameBytes:   512 << 10,
	MaxFramePixels:  1920 * 1080,
	MaxFPS:          15,
	SessionSeconds:  120,
	StartSeconds:    10,
	IdleSeconds:     15,
	PingSeconds:     20,
	MaxAttempts:     3,
	// challenge.DefaultCommandTimeout (a test checks they agree).
	CommandTimeoutMS: 6000,
}

// Defaults of the daemon-wide limits and pacing that docs/protocol.md
// documents; the gateway's Config takes them as its defaults.
const (
	// DefaultMaxSessions is the number of concurrent sessions (from their
	// accepted start on); one more gets busy. One API key may run half of
	// them (at least one); one more gets key_busy.
	DefaultMaxSessions = 16
	// PendingPerSession: a daemon keeps up to this many connections per
	// session slot waiting for their start (64 for 16 sessions), one API
	// key half of them; one more gets busy or key_busy right after hello.
	PendingPerSession = 4
	// DefaultPongWait: the socket is closed when nothing (not even a pong)
	// was read for this long.
	DefaultPongWait = 45 * time.Second
	// DefaultSendQueue is the number of messages queued for one client;
	// see slow_consumer.
	DefaultSendQueue = 32
	// QualityMaxPerSecond is the most quality messages sent per second
	// (one per 200 ms at most; the newest hints win).
	QualityMaxPerSecond = 5
	// ProgressMaxPerSecond is the most command progress messages sent per
	// second.
	ProgressMaxPerSecond = 10
	// DefaultConsentMaxAge is how old Consent.AcceptedAt may be.
	DefaultConsentMaxAge = 10 * time.Minute
	// ConsentClockSkew is how far in the future Consent.AcceptedAt may be,
	// for clocks of client and gateway that disagree a little.
	ConsentClockSkew = 30 * time.Second
	// MinCommands and MaxCommands bound the length of Start.Commands.
	// The rules require at least 3 commands, but a recorded clip holds only
	// the movements it holds, so a fixed list may be shorter; the result
	// then names the departure (Result.DepartsFromRules).
	MinCommands = 1
	MaxCommands = 8
)
