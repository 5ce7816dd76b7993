package daemon

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/biogate/biogate/gateway/evidence/checkpoint"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/liveness/challenge"
)

// Config is everything the daemon is assembled from: plain values, read
// from flags, a file or the environment by the caller (cmd/biogated) or
// set by a test. Zero values take the default in brackets. New validates
// it; errors name a setting by its biogated flag (--data), the name an
// operator knows.
type Config struct {
	// Listen is the HOST:PORT of the HTTP and WebSocket listener; port 0
	// picks a free one (Daemon.Addr says which) ["127.0.0.1:8080"]. TLS
	// is required unless HOST is loopback.
	Listen string
	// MetricsListen is the HOST:PORT of the listener that serves GET
	// /metrics, without authentication, and nothing else; port 0 picks a
	// free one (Daemon.MetricsAddr says which); "" serves no metrics. The
	// session listener never serves them.
	MetricsListen string
	// HTTPIdleTimeout closes keep-alive HTTP connections idle this long,
	// on both listeners [30s].
	HTTPIdleTimeout time.Duration
	// TLSCert and TLSKey are the files of the listener's certificate and
	// private key (PEM); both or neither.
	TLSCert, TLSKey string
	// Camera is the kiosk camera as a capture spec (v4l2:, gst:, file:,
	// dir:); empty: relay sessions only.
	Camera string
	// IDEC is the IDEC base URL, https://HOST:PORT (required).
	IDEC string
	// IDECTLS is the folder holding ca.pem, client.pem and client-key.pem
	// for IDEC's mutual TLS (required).
	IDECTLS string
	// APIKeysFile is the file of API keys, one "KEY SCOPE[,SCOPE...]" per
	// line. APIKeys holds the same lines in memory and is used instead
	// when it is not empty. One of the two is required.
	APIKeysFile, APIKeys string
	// Data is the folder of the daemon's keys and state (required; made,
	// 0700, if absent).
	Data string
	// Evidence is the evidence store's DSN, sqlite:PATH or postgres://...
	// ["sqlite:DATA/evidence.db"].
	Evidence string
	// EvidenceKey is the file of the AES-256 key evidence images are
	// encrypted with, created if absent ["DATA/evidence.key"].
	EvidenceKey string
	// SubjectKey is the file of the key IINs are hashed with for the
	// lockout, created if absent; gateways sharing an evidence store must
	// share it ["DATA/subject.key"].
	SubjectKey string
	// CheckpointWitness also sends every evidence checkpoint (written to
	// DATA/evidence-checkpoints.jsonl) to a witness: "syslog" for the
	// local syslog, udp://HOST:PORT or tcp://HOST:PORT for a remote one,
	// or an http(s) URL each is posted to; empty for none.
	CheckpointWitness string
	// Retention drops evidence images older than this (documents and
	// hashes stay, so the chain still verifies); 0 keeps them.
	Retention time.Duration
	// ReplayWindow is how long the hashes of sessions' frames are kept in
	// the evidence store and compared by the replay cue (a session whose
	// frames are those of an earlier session is a spoof,
	// replayed_frames); kept no longer than Retention when that is set.
	// 0 means DefaultReplayWindow, negative turns replay checks off.
	ReplayWindow time.Duration
	// DrainGrace is how long running sessions may go on after the daemon
	// is told to stop (its context ends: SIGTERM, SIGINT): /readyz fails
	// at once and no session starts (see gateway.Server.Drain); those
	// still running after it are aborted. 0 means DefaultDrainGrace,
	// negative aborts them at once.
	DrainGrace time.Duration
	// KeyRotation is the document signing key's lifetime; 0 never rotates.
	KeyRotation time.Duration
	// SigningKey is where the document signing key lives: "" for the
	// Ed25519 keyring in DATA/keys (made on the first start), or a PKCS#11
	// URI (RFC 7512, pkcs11:token=...;object=...?module-path=...&pin-source=...)
	// naming a key made on an HSM or TPM with biogate keys init: EdDSA or ES256,
	// the private key never leaving the token.
	SigningKey string
	// SigningTimeout bounds each call on SigningKey's token
	// [token.DefaultTimeout]: a token that stops answering gives the
	// session evidence_unavailable after it.
	SigningTimeout time.Duration
	// MaxAttempts failed attempts within Lockout, across sessions, lock an
	// IIN out [3] (gateway.Config.MaxAttempts).
	MaxAttempts int
	// Lockout is how long failures count and an IIN stays locked
	// [15 minutes].
	Lockout time.Duration
	// AllowFixedCommands lets a session name its liveness commands (tests
	// and demos only; the result says so).
	AllowFixedCommands bool
	// Fingerprint polls USB for supported fingerprint readers and lists
	// them in /v1/devices.
	Fingerprint bool
	// FingerReader is the default reader of finger sessions: "usb:" (the
	// first USB reader; the default with Fingerprint), "usb:BUSPATH", or
	// a folder "dir:PATH?ppi=N" (tests, demonstrations). "" with
	// Fingerprint off refuses finger sessions.
	FingerReader string
	// FingerMinQuality is the lowest quality a finger session keeps an
	// impression at [gateway.DefaultFingerMinQuality].
	FingerMinQuality int
	// Models is the models folder ("": $BIOGATE_MODELS, else
	// $BIOGATE_SHARED/models, else ../shared/models; see models.Dir).
	Models string
	// BIN is the operator organisation's BIN, sent to IDEC
	// ["000000000000"].
	BIN string
	// Origins are the allowed WebSocket Origins.
	Origins []string
	// MaxSessions caps concurrent sessions, counted from their accepted
	// start [protocol.DefaultMaxSessions, 16].
	MaxSessions int
	// MaxSessionsPerKey caps one API key's concurrent sessions
	// [MaxSessions/2, at least 1].
	MaxSessionsPerKey int
	// MaxPending caps the connections waiting for their start, one API
	// key half of them [protocol.PendingPerSession × MaxSessions].
	MaxPending int
	// RatePerKey caps the session requests (upgrades) of one API key per
	// minute, RatePerIIN the sessions of one IIN per minute (at start);
	// 0: no cap (biogated's defaults are 60 and 10).
	RatePerKey, RatePerIIN int
	// SessionTimeout bounds one session [the gateway's default].
	SessionTimeout time.Duration
	// MaxFPS is the highest relay frame rate a client may send, announced
	// in hello [protocol.DefaultLimits.MaxFPS]; 1 to MaxRelayFPS.
	MaxFPS int
	// CommandTimeout is the time allowed for each liveness command,
	// announced in hello [challenge.DefaultCommandTimeout]; between
	// challenge.MinCommandTimeout and challenge.MaxCommandTimeout.
	CommandTimeout time.Duration
	// OpenCVThreads is OpenCV's thread count for the whole process (a
	// process-wide setting); 0 leaves OpenCV's default.
	OpenCVThreads int
	// ModelSets is how many model sets (face detector, MiniFASNet) are
	// loaded; sessions share them frame by frame (pipeline.Pipeline), so
	// it bounds the frames analysed at once and the models' memory
	// [runtime.NumCPU(), at most MaxSessions].
	ModelSets int
	// Version is signed into every document [the module version and VCS
	// revision the binary was built from].
	Version string
	// AttestAndroidApps are the Android apps trusted by app attestation
	// (API keys with attestation=report or require), each
	// "PACKAGE:SHA256[:SHA256...]", the SHA-256 digests (hex) of the
	// certificates the app may be signed with.
	AttestAndroidApps []string
	// AttestIOSApps are the iOS apps trusted by App Attest, each
	// "TEAMID.bundle.id".
	AttestIOSApps []string
	// AttestIOSDevelopment also accepts App Attest's development
	// environment (apps run from Xcode).
	AttestIOSDevelopment bool
	// AttestAndroidRoots and AttestIOSRoots are PEM files of roots that
	// replace the embedded vendors' roots (tests, or a root published
	// after this build); empty keeps Google's and Apple's.
	AttestAndroidRoots, AttestIOSRoots string
	// AttestAndroidStatus is a copy of Google's attestation status list
	// (JSON, from android.googleapis.com/attestation/status; read at
	// start): chains with a revoked or suspended certificate are invalid.
	// Empty checks no revocation.
	AttestAndroidStatus string
}

// Defaults of Config's zero values.
const (
	DefaultListen  = "127.0.0.1:8080"
	DefaultBIN     = "000000000000"
	DefaultLockout = 15 * time.Minute
	// DefaultHTTPIdleTimeout: a keep-alive HTTP connection idle this long
	// is closed.
	DefaultHTTPIdleTimeout = 30 * time.Second
	// MaxRelayFPS bounds --max-fps: a webcam's 30 fps, twice over.
	MaxRelayFPS = 60
)

// withDefaults fills the zero values and checks what can be checked
// without touching the system, in the order biogated always checked it.
func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.BIN == "" {
		c.BIN = DefaultBIN
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = protocol.DefaultMaxSessions
	}
	if c.ModelSets == 0 {
		c.ModelSets = max(1, min(runtime.NumCPU(), c.MaxSessions))
	}
	if c.Lockout == 0 {
		c.Lockout = DefaultLockout
	}
	if c.ReplayWindow == 0 {
		c.ReplayWindow = DefaultReplayWindow
	}
	if c.DrainGrace == 0 {
		c.DrainGrace = DefaultDrainGrace
	}
	if c.Retention > 0 && c.ReplayWindow > c.Retention {
		c.ReplayWindow = c.Retention // the hashes go with the images
	}
	if c.Version == "" {
		c.Version = version()
	}
	if c.HTTPIdleTimeout == 0 {
		c.HTTPIdleTimeout = DefaultHTTPIdleTimeout
	}
	if c.MaxFPS == 0 {
		c.MaxFPS = protocol.DefaultLimits.MaxFPS
	}
	if c.MaxFPS < 1 || c.MaxFPS > MaxRelayFPS {
		return c, fmt.Errorf("--max-fps %d: want 1 to %d", c.MaxFPS, MaxRelayFPS)
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = challenge.DefaultCommandTimeout
	}
	if c.CommandTimeout < challenge.MinCommandTimeout || c.CommandTimeout > challenge.MaxCommandTimeout {
		return c, fmt.Errorf("--command-timeout %s: want %s to %s", c.CommandTimeout, challenge.MinCommandTimeout, challenge.MaxCommandTimeout)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return c, fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	if !isLoopback(host) && (c.TLSCert == "" || c.TLSKey == "") {
		return c, fmt.Errorf("--listen %s is not loopback: --tls-cert and --tls-key are required", c.Listen)
	}
	if c.Data == "" {
		return c, errors.New("--data is required: it keeps the signing keys and the evidence")
	}
	if _, err := iin.ParseBIN(c.BIN); err != nil {
		return c, fmt.Errorf("--bin: %w", err)
	}
	if c.APIKeysFile == "" && c.APIKeys == "" {
		return c, errors.New("--api-keys is required")
	}
	if c.IDEC == "" || c.IDECTLS == "" {
		return c, errors.New("--idec and --idec-tls are required")
	}
	if c.CheckpointWitness != "" {
		if _, _, err := checkpoint.ParseWitness(c.CheckpointWitness); err != nil {
			return c, fmt.Errorf("--checkpoint-witness: %w", err)
		}
	}
	for _, v := range []struct {
		flag string
		n    int
	}{
		{"--model-sets", c.ModelSets}, {"--max-sessions", c.MaxSessions}, {"--max-sessions-per-key", c.MaxSessionsPerKey}, {"--max-pending", c.MaxPending},
		{"--rate-per-key", c.RatePerKey}, {"--rate-per-iin", c.RatePerIIN},
	} {
		if v.n < 0 {
			return c, fmt.Errorf("%s %d: negative", v.flag, v.n)
		}
	}
	if c.HTTPIdleTimeout < 0 {
		return c, fmt.Errorf("--http-idle-timeout %s: negative", c.HTTPIdleTimeout)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return c, fmt.Errorf("--metrics-listen %q: %w", c.MetricsListen, err)
		}
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
