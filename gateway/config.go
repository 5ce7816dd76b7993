package gateway

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// Config configures a Server. Zero fields take the default in brackets.
type Config struct {
	// Limits are the per-session limits announced in hello; zero fields
	// take protocol.DefaultLimits. Limits.MaxAttempts is overridden by
	// MaxAttempts.
	Limits protocol.Limits
	// SessionTimeout, when set, overrides Limits.SessionSeconds (rounded
	// up to whole seconds, the unit hello announces).
	SessionTimeout time.Duration
	// CommandTimeout, when set, overrides Limits.CommandTimeoutMS (whole
	// milliseconds): the time allowed for each liveness command, announced
	// in hello and handed to the pipeline (PipelineOptions.CommandTimeout).
	CommandTimeout time.Duration
	// MaxSessions caps concurrent sessions, counted from their accepted
	// start until their end; a start beyond it gets busy
	// [protocol.DefaultMaxSessions].
	MaxSessions int
	// MaxSessionsPerKey caps one API key's concurrent sessions; a start
	// beyond it gets key_busy [MaxSessions/2, at least 1; at most
	// MaxSessions].
	MaxSessionsPerKey int
	// MaxPending caps the connections waiting for their start (each gets
	// Limits.StartSeconds to send it); one more gets busy right after
	// hello [protocol.PendingPerSession × MaxSessions].
	MaxPending int
	// MaxPendingPerKey caps one API key's connections waiting for their
	// start; one more gets key_busy [MaxPending/2, at least 1; at most
	// MaxPending].
	MaxPendingPerKey int
	// SendQueue is the number of messages queued per client
	// [protocol.DefaultSendQueue].
	SendQueue int
	// PongWait: a socket from which nothing was read this long is closed
	// [protocol.DefaultPongWait].
	PongWait time.Duration
	// WriteTimeout bounds one write to a client [10s]; a client that does
	// not take a message in that time is dropped as slow.
	WriteTimeout time.Duration
	// AllowFixedCommands honours start.commands (tests and demos only).
	AllowFixedCommands bool
	// AllowedOrigins lists the origins allowed to open sessions
	// ("https://kiosk.example", scheme, host and port compared); empty
	// allows only requests without an Origin or from the gateway's own
	// origin (http, or https when the request came over TLS, and the
	// request's Host).
	AllowedOrigins []string
	// Keys are the API keys; required.
	Keys Keys
	// BIN is the operator's organisation, sent to IDEC; required.
	BIN iin.BIN
	// DeviceID names this gateway in IDEC's capture metadata ["biogated"].
	DeviceID string
	// MaxAttempts failed attempts within Lockout lock an IIN out [3],
	// whichever sessions and gateways (sharing Evidence) they happened in:
	// a liveness attempt whose command failed, a passive spoof, an IDEC
	// no_match, each counted the moment it fails. A session offers at most
	// the attempts its IIN has left. Also hello's max_attempts.
	MaxAttempts int
	// Lockout is how long failed attempts count and an IIN stays locked
	// [15m].
	Lockout time.Duration
	// RatePerKey and RatePerIIN cap sessions per minute per API key
	// (before the upgrade, 429) and per IIN (at start); 0: no cap.
	RatePerKey, RatePerIIN int
	// ConsentMaxAge is how old a consent may be
	// [protocol.DefaultConsentMaxAge].
	ConsentMaxAge time.Duration
	// Ready reports whether the daemon's dependencies (cameras, IDEC's
	// breaker) can serve; nil is always ready. Called by /readyz.
	Ready func() error
	// Logger receives session lines [discard].
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
	// Devices lists devices beside the cameras for GET /v1/devices (the
	// fingerprint readers); nil lists none.
	Devices DeviceLister
	// Signer signs every result's document (a *document.Keyring); nil:
	// results carry no document (tests of other parts; biogated always
	// sets one).
	Signer document.Signer
	// Evidence keeps every signed document with its images, and the
	// failures behind lockouts, so they hold across restarts and gateways
	// (an evidence.Store); nil keeps failures in this process's memory and
	// documents nowhere.
	Evidence Evidence
	// ID names this gateway among those sharing Evidence: the leases of
	// its sessions are held as ID/SESSION, and New releases every lease
	// held under ID, left by this gateway before it was killed. Keep it
	// across restarts and give every gateway its own (letters, digits,
	// '-', '_', '.'; at most 64) [random: leases of a killed gateway run
	// out by themselves].
	ID string
	// SubjectKey keys the HMAC-SHA256 that turns an IIN into the opaque key
	// its failures are kept under [random: failures do not outlive the
	// process]. Gateways sharing an evidence store share this key.
	SubjectKey []byte
	// Version is the software version signed into documents ["dev"].
	Version string
	// JWKS, when set, serves GET /.well-known/jwks.json: the public keys
	// that verify the documents.
	JWKS http.Handler
	// UI, when set, serves the kiosk page and its assets at every GET path
	// the gateway does not serve itself ("/", ...). It needs no API key;
	// the page's sessions do.
	UI http.Handler
	// Relay makes the cameras of relay sessions (internal/relaycam over
	// devices/relay); nil refuses relay sessions with camera_unavailable.
	Relay RelayCameras
	// Readers opens the fingerprint readers of finger sessions, and
	// Fingers takes their impressions (package pipeline); with either nil,
	// finger sessions are refused with reader_unavailable.
	Readers FingerReaders
	Fingers FingerPipeline
	// FingerMinQuality is the lowest quality (0-100) a finger session
	// keeps an impression at [20].
	FingerMinQuality int
	// Clock is the time for consent checks, lockouts and rate limits
	// [time.Now]. Timeouts run on the runtime's timers.
	Clock func() time.Time
	// Attester verifies the app attestations of relay sessions whose key
	// asks for them (a gateway/attest.Verifiers); required when a key
	// does (Keys.Attesting), else unused.
	Attester Attester
}

// DefaultFingerMinQuality is Config.FingerMinQuality's default: below it
// an image is not kept and the person is asked again. It is the top of the
// lowest of the five bands MOSIP divides 0-100 into; on the shared FVC2002
// sets it refuses 18 of 320 prints (none of DB1's, 10 of DB3's), where the
// quality's error-versus-reject curve says the failed comparisons gather.
const DefaultFingerMinQuality = 20

// Attester verifies an app's attestation for a challenge; ev is nil when
// the app sent none. It is called with a session's lock held, so it must
// not block: gateway/attest verifies offline, against roots it holds. Safe
// for concurrent use.
type Attester interface {
	Verify(ev *attest.Evidence, challenge []byte) attest.Outcome
}

func (c Config) withDefaults() (Config, error) {
	d := protocol.DefaultLimits
	l := &c.Limits
	if c.SessionTimeout < 0 {
		return c, errors.New("gateway: negative SessionTimeout")
	}
	if c.SessionTimeout > 0 {
		l.SessionSeconds = seconds(c.SessionTimeout)
	}
	switch {
	case c.FingerMinQuality == 0:
		c.FingerMinQuality = DefaultFingerMinQuality
	case c.FingerMinQuality < 0 || c.FingerMinQuality > 100:
		return c, fmt.Errorf("gateway: FingerMinQuality %d outside 0-100", c.FingerMinQuality)
	}
	if c.CommandTimeout < 0 {
		return c, errors.New("gateway: negative CommandTimeout")
	}
	if c.CommandTimeout > 0 {
		l.CommandTimeoutMS = int(c.CommandTimeout / time.Millisecond)
	}
	for _, p := range []struct {
		v   *int
		def int
	}{
		{&l.MaxMessageBytes, d.MaxMessageBytes}, {&l.MaxFrameBytes, d.MaxFrameBytes}, {&l.MaxFramePixels, d.MaxFramePixels},
		{&l.MaxFPS, d.MaxFPS}, {&l.SessionSeconds, d.SessionSeconds}, {&l.StartSeconds, d.StartSeconds},
		{&l.IdleSeconds, d.IdleSeconds}, {&l.PingSeconds, d.PingSeconds}, {&l.CommandTimeoutMS, d.CommandTimeoutMS},
		{&c.MaxSessions, protocol.DefaultMaxSessions}, {&c.SendQueue, protocol.DefaultSendQueue},
		{&c.MaxAttempts, 3},
	} {
		if *p.v == 0 {
			*p.v = p.def
		}
		if *p.v < 0 {
			return c, fmt.Errorf("gateway: negative limit %d", *p.v)
		}
	}
	l.MaxAttempts = c.MaxAttempts
	if c.MaxPending < 0 || c.MaxSessionsPerKey < 0 || c.MaxPendingPerKey < 0 {
		return c, errors.New("gateway: negative cap")
	}
	if c.MaxPending == 0 {
		c.MaxPending = protocol.PendingPerSession * c.MaxSessions
	}
	c.MaxSessionsPerKey = perKey(c.MaxSessionsPerKey, c.MaxSessions)
	c.MaxPendingPerKey = perKey(c.MaxPendingPerKey, c.MaxPending)
	if l.MaxMessageBytes > protocol.MaxClientMessageBytes {
		return c, fmt.Errorf("gateway: MaxMessageBytes %d over %d", l.MaxMessageBytes, protocol.MaxClientMessageBytes)
	}
	if c.PongWait == 0 {
		c.PongWait = protocol.DefaultPongWait
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Lockout == 0 {
		c.Lockout = 15 * time.Minute
	}
	if c.ConsentMaxAge == 0 {
		c.ConsentMaxAge = protocol.DefaultConsentMaxAge
	}
	if c.DeviceID == "" {
		c.DeviceID = "biogated"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.ID == "" {
		c.ID = newUUID()
	}
	if !validID(c.ID) {
		return c, errors.New("gateway: ID: letters, digits, '-', '_' and '.' only, at most 64")
	}
	if len(c.SubjectKey) == 0 {
		c.SubjectKey = make([]byte, 32)
		rand.Read(c.SubjectKey) // never fails (crypto/rand, Go 1.24+)
	}
	switch {
	case c.Keys.Len() == 0:
		return c, errors.New("gateway: no API keys")
	case c.Keys.Attesting() && c.Attester == nil:
		return c, errors.New("gateway: an API key asks for app attestation but no Attester is set")
	case c.BIN.IsZero():
		return c, errors.New("gateway: BIN is required")
	case c.PongWait < 0 || c.WriteTimeout < 0 || c.Lockout < 0 || c.ConsentMaxAge < 0:
		return c, errors.New("gateway: negative duration")
	case c.RatePerKey < 0 || c.RatePerIIN < 0:
		return c, errors.New("gateway: negative rate")
	}
	return c, nil
}

// perKey is a per-key cap: n, at most all; 0 takes half of all, at least 1.
func perKey(n, all int) int {
	if n == 0 {
		return max(all/2, 1)
	}
	return min(n, all)
}

// validID: a gateway ID that cannot be mistaken within a lease's holder.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
