package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/daemon"
	"github.com/biogate/biogate/liveness/challenge"
)

// Config is everything biogated reads at start. Each field has a YAML key,
// an environment variable (BIOGATED_ and the key in upper case) and a flag
// (the key with dashes); a flag beats the environment, which beats the
// file, which beats the default.
type Config struct {
	// Listen is the address of the HTTP and WebSocket listener.
	Listen string `yaml:"listen" help:"listen address, HOST:PORT (TLS is required unless it is loopback)"`
	// MetricsListen is the address of the listener that serves /metrics,
	// without authentication; "off" (or empty) serves none.
	MetricsListen string `yaml:"metrics_listen" help:"address of the /metrics listener, HOST:PORT; no authentication, so keep it loopback or firewalled (off: none)"`
	// HTTPIdleTimeout closes keep-alive HTTP connections idle this long.
	HTTPIdleTimeout time.Duration `yaml:"http_idle_timeout" help:"close keep-alive HTTP connections idle this long"`
	// Camera is the kiosk camera as a capture spec (v4l2:, gst:, file:,
	// dir:); empty: relay sessions only.
	Camera string `yaml:"camera" help:"kiosk camera spec (v4l2:PATH, gst:PIPELINE, file:PATH, dir:PATH); empty: relay only"`
	// IDEC is the IDEC base URL.
	IDEC string `yaml:"idec" help:"IDEC base URL, https://HOST:PORT"`
	// IDECTLS holds ca.pem, client.pem and client-key.pem.
	IDECTLS string `yaml:"idec_tls" help:"folder with ca.pem, client.pem and client-key.pem for IDEC"`
	// APIKeys is the file of API keys: KEY SCOPE[,SCOPE...] per line.
	APIKeys string `yaml:"api_keys" help:"file of API keys, one 'KEY SCOPE[,SCOPE...]' per line"`
	// Data keeps the daemon's keys and state.
	Data string `yaml:"data" help:"folder for the daemon's keys and state (required)"`
	// Evidence is the evidence store; empty: sqlite:DATA/evidence.db.
	Evidence string `yaml:"evidence" help:"evidence store, sqlite:PATH or postgres://... (default sqlite:DATA/evidence.db)"`
	// EvidenceKey is the file of the AES-256 key evidence images are
	// encrypted with; empty: DATA/evidence.key, created if absent.
	EvidenceKey string `yaml:"evidence_key" help:"file of the key evidence images are encrypted with (default DATA/evidence.key, created if absent)"`
	// SubjectKey is the file of the key IINs are hashed with for the
	// lockout; gateways sharing an evidence store must share it. Empty:
	// DATA/subject.key, created if absent.
	SubjectKey string `yaml:"subject_key" help:"file of the key IINs are hashed with for lockouts; shared by gateways sharing a store (default DATA/subject.key)"`
	// CheckpointWitness also sends each evidence checkpoint to a witness.
	CheckpointWitness string `yaml:"checkpoint_witness" help:"also send each evidence checkpoint to a witness: syslog (local), udp://HOST:PORT or tcp://HOST:PORT (remote syslog), or an http(s) URL to POST it to (default none)"`
	// Retention drops evidence images older than this (documents and
	// hashes stay, so the chain still verifies); 0 keeps them.
	// ReplayWindow is how long frame hashes are kept for the replay cue.
	ReplayWindow time.Duration `yaml:"replay_window" help:"keep and compare the hashes of sessions' frames this long, to refuse a recording relayed again (0: 720h; negative: off; never beyond --retention)"`
	Retention    time.Duration `yaml:"retention" help:"drop evidence images older than this; documents and hashes stay (0: keep)"`
	// DrainGrace is how long running sessions may finish on SIGTERM.
	DrainGrace time.Duration `yaml:"drain_grace" help:"on SIGTERM or SIGINT, /readyz fails at once, no session starts and running ones may finish this long before they are aborted (0: 25s; negative: abort at once)"`
	// KeyRotation is the document signing key's lifetime; 0 never rotates.
	KeyRotation time.Duration `yaml:"key_rotation" help:"rotate the document signing key this often (0: never); old public keys stay in the JWKS"`
	// SigningKey is a PKCS#11 URI of the document signing key on an HSM
	// or TPM; empty: the Ed25519 key file in DATA/keys.
	SigningKey string `yaml:"signing_key" help:"document signing key on a PKCS#11 token (HSM, TPM): 'pkcs11:token=LABEL;object=KEY?module-path=LIB.so&pin-source=file:PINFILE', made with 'biogate keys init --token URI' (default: the Ed25519 key file in DATA/keys)"`
	// SigningTimeout bounds each call on the signing key's token.
	SigningTimeout time.Duration `yaml:"signing_timeout" help:"with --signing-key: how long a signature may wait for the token before the session gets evidence_unavailable (0: 10s)"`
	// MaxAttempts failed attempts within Lockout lock an IIN out.
	MaxAttempts int `yaml:"max_attempts" help:"failed attempts (a failed command, a spoof, a no_match), across sessions, that lock an IIN out"`
	// Lockout is how long failures count and an IIN stays locked.
	Lockout time.Duration `yaml:"lockout" help:"how long failures count and a locked IIN stays locked"`
	// AllowFixedCommands lets a session name its liveness commands (tests
	// and demos only; the result says so).
	AllowFixedCommands bool `yaml:"allow_fixed_commands" help:"let sessions fix their liveness commands (tests and demos only)"`
	// Fingerprint polls USB for supported fingerprint readers and lists them
	// in /v1/devices.
	Fingerprint bool `yaml:"fingerprint" help:"poll USB for fingerprint readers (U.are.U 4000/4500, NB-1010-U, UPEK TouchChip) and list them in /v1/devices"`
	// FingerReader is the default reader of finger sessions.
	FingerReader string `yaml:"finger_reader" help:"default reader of finger sessions: usb: (the first USB reader, the default with --fingerprint), usb:BUSPATH, or a folder of images dir:PATH?ppi=N (tests, demos)"`
	// FingerMinQuality is the lowest quality an impression is kept at.
	FingerMinQuality int `yaml:"finger_min_quality" help:"lowest fingerprint quality (1-100) a finger session keeps an impression at (0: 20)"`
	// Models is the models folder ("" : $BIOGATE_MODELS, else
	// $BIOGATE_SHARED/models, else ../shared/models).
	Models string `yaml:"models" help:"models folder"`
	// BIN is the operator organisation's BIN, sent to IDEC.
	BIN string `yaml:"bin" help:"the operator organisation's BIN"`
	// TLSCert and TLSKey serve HTTPS; required unless Listen is loopback.
	TLSCert string `yaml:"tls_cert" help:"certificate for the listener (required unless loopback)"`
	TLSKey  string `yaml:"tls_key" help:"private key for the listener"`
	// Origins are the allowed WebSocket Origins, comma separated.
	Origins string `yaml:"origins" help:"allowed WebSocket origins, comma separated"`
	// MaxSessions caps concurrent sessions.
	MaxSessions int `yaml:"max_sessions" help:"concurrent sessions, from their start"`
	// MaxSessionsPerKey caps one API key's concurrent sessions; 0: half of
	// MaxSessions.
	MaxSessionsPerKey int `yaml:"max_sessions_per_key" help:"concurrent sessions of one API key (0: half of --max-sessions, at least 1)"`
	// MaxPending caps the connections waiting for their start; 0: 4 per
	// session. One API key may hold half of them.
	MaxPending int `yaml:"max_pending" help:"connections waiting for their start, one API key half of them (0: 4 x --max-sessions)"`
	// RatePerKey and RatePerIIN cap sessions per minute per API key and
	// per IIN; 0: no cap.
	RatePerKey int `yaml:"rate_per_key" help:"session requests per minute per API key (0: no cap)"`
	RatePerIIN int `yaml:"rate_per_iin" help:"sessions per minute per IIN (0: no cap)"`
	// SessionTimeout bounds one session.
	SessionTimeout time.Duration `yaml:"session_timeout" help:"bound on one session"`
	// MaxFPS is the highest relay frame rate a client may send, announced
	// in hello; 1-60.
	MaxFPS int `yaml:"max_fps" help:"highest relay frame rate a client may send, frames per second, announced in hello (1 to 60)"`
	// CommandTimeout is the time allowed for each liveness command,
	// announced in hello; 3-20 s.
	CommandTimeout time.Duration `yaml:"command_timeout" help:"time allowed for each liveness command, from its issue, announced in hello (3s to 20s)"`
	// OpenCVThreads is OpenCV's thread count for the whole process; 1 lets
	// concurrent sessions run side by side on the cores instead of
	// contending for one shared pool.
	OpenCVThreads int `yaml:"opencv_threads" help:"OpenCV threads for the process (0: OpenCV's default)"`
	// ModelSets is how many model sets are loaded, shared by all sessions
	// frame by frame; 0: one per core, at most MaxSessions.
	ModelSets int `yaml:"model_sets" help:"model sets (face detector and MiniFASNet, a few MiB each) that sessions share frame by frame: how many frames are analysed at once (0: one per core, at most --max-sessions)"`
	// AttestAndroidApps are the Android apps app attestation trusts,
	// comma separated, each PACKAGE:SHA256HEX[:SHA256HEX...].
	AttestAndroidApps string `yaml:"attest_android_apps" help:"Android apps trusted by app attestation (API keys with attestation=report|require), comma separated, each PACKAGE:SHA256 of a signing certificate (64 hex digits; more after further colons)"`
	// AttestIOSApps are the iOS apps App Attest trusts, comma separated,
	// each TEAMID.bundle.id.
	AttestIOSApps string `yaml:"attest_ios_apps" help:"iOS apps trusted by App Attest, comma separated, each TEAMID.bundle.id"`
	// AttestIOSDevelopment accepts App Attest's development environment.
	AttestIOSDevelopment bool `yaml:"attest_ios_development" help:"also accept App Attest keys of the development environment (apps run from Xcode; not for production)"`
	// AttestAndroidRoots and AttestIOSRoots replace the embedded roots.
	AttestAndroidRoots string `yaml:"attest_android_roots" help:"PEM file of roots replacing Google's embedded hardware attestation roots (tests)"`
	AttestIOSRoots     string `yaml:"attest_ios_roots" help:"PEM file of roots replacing Apple's embedded App Attestation root (tests)"`
	// AttestAndroidStatus is a copy of Google's attestation status list.
	AttestAndroidStatus string `yaml:"attest_android_status" help:"copy of Google's attestation status list (JSON from android.googleapis.com/attestation/status, read at start; refresh it and restart): chains with a revoked certificate are invalid (default: no revocation check)"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level" help:"debug, info, warn or error"`
}

// defaultConfig is the configuration before the file, the environment and
// the flags.
func defaultConfig() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		MetricsListen:   "127.0.0.1:9464",
		HTTPIdleTimeout: 30 * time.Second,
		BIN:             "000000000000",
		MaxSessions:     16,
		RatePerKey:      60,
		RatePerIIN:      10,
		SessionTimeout:  120 * time.Second,
		CommandTimeout:  challenge.DefaultCommandTimeout,
		MaxFPS:          protocol.DefaultLimits.MaxFPS,
		OpenCVThreads:   1,
		MaxAttempts:     3,
		Lockout:         15 * time.Minute,
		LogLevel:        "info",
	}
}

// daemon is the daemon's configuration: the same settings, with the list
// of origins split at commas and a metrics listener "off" made empty. The log level stays here: it makes the
// logger handed to the daemon.
func (c Config) daemon() daemon.Config {
	return daemon.Config{
		Listen:             c.Listen,
		MetricsListen:      metricsListen(c.MetricsListen),
		HTTPIdleTimeout:    c.HTTPIdleTimeout,
		TLSCert:            c.TLSCert,
		TLSKey:             c.TLSKey,
		Camera:             c.Camera,
		IDEC:               c.IDEC,
		IDECTLS:            c.IDECTLS,
		APIKeysFile:        c.APIKeys,
		Data:               c.Data,
		Evidence:           c.Evidence,
		EvidenceKey:        c.EvidenceKey,
		SubjectKey:         c.SubjectKey,
		CheckpointWitness:  c.CheckpointWitness,
		Retention:          c.Retention,
		ReplayWindow:       c.ReplayWindow,
		DrainGrace:         c.DrainGrace,
		KeyRotation:        c.KeyRotation,
		SigningKey:         c.SigningKey,
		SigningTimeout:     c.SigningTimeout,
		MaxAttempts:        c.MaxAttempts,
		Lockout:            c.Lockout,
		AllowFixedCommands: c.AllowFixedCommands,
		Fingerprint:        c.Fingerprint,
		FingerReader:       c.FingerReader,
		FingerMinQuality:   c.FingerMinQuality,
		Models:             c.Models,
		BIN:                c.BIN,
		Origins:            splitList(c.Origins),
		MaxSessions:        c.MaxSessions,
		MaxSessionsPerKey:  c.MaxSessionsPerKey,
		MaxPending:         c.MaxPending,
		RatePerKey:         c.RatePerKey,
		RatePerIIN:         c.RatePerIIN,
		SessionTimeout:     c.SessionTimeout,
		CommandTimeout:     c.CommandTimeout,
		MaxFPS:             c.MaxFPS,
		OpenCVThreads:      c.OpenCVThreads,
		ModelSets:          c.ModelSets,

		AttestAndroidApps:    splitList(c.AttestAndroidApps),
		AttestIOSApps:        splitList(c.AttestIOSApps),
		AttestIOSDevelopment: c.AttestIOSDevelopment,
		AttestAndroidRoots:   c.AttestAndroidRoots,
		AttestIOSRoots:       c.AttestIOSRoots,
		AttestAndroidStatus:  c.AttestAndroidStatus,
	}
}

func metricsListen(s string) string {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return ""
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadConfig reads the file named by --config (if any), then the
// environment, then the flags, in that order of increasing precedence.
func loadConfig(args []string, env func(string) string) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("biogated", flag.ContinueOnError)
	file := fs.String("config", "", "YAML configuration file")
	// Flags are bound to a scratch copy; only those set on the command line
	// are applied, after the file and the environment.
	var flagged Config
	bindFlags(fs, &flagged)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
			return cfg, fmt.Errorf("config %s: %w", *file, err)
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	v, fv := reflect.ValueOf(&cfg).Elem(), reflect.ValueOf(&flagged).Elem()
	for i := 0; i < v.NumField(); i++ {
		if set[flagName(v.Type().Field(i))] {
			v.Field(i).Set(fv.Field(i))
		}
	}
	return cfg, nil
}

func flagName(f reflect.StructField) string {
	return strings.ReplaceAll(f.Tag.Get("yaml"), "_", "-")
}

func envName(f reflect.StructField) string {
	return "BIOGATED_" + strings.ToUpper(f.Tag.Get("yaml"))
}

// bindFlags makes one flag per Config field.
func bindFlags(fs *flag.FlagSet, c *Config) {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, p := t.Field(i), v.Field(i).Addr().Interface()
		name, help := flagName(f), f.Tag.Get("help")
		switch p := p.(type) {
		case *string:
			fs.StringVar(p, name, "", help)
		case *bool:
			fs.BoolVar(p, name, false, help)
		case *int:
			fs.IntVar(p, name, 0, help)
		case *time.Duration:
			fs.DurationVar(p, name, 0, help)
		default:
			panic("biogated: no flag for config field " + f.Name)
		}
	}
}

// applyEnv sets fields from BIOGATED_* variables.
func applyEnv(c *Config, env func(string) string) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		s := env(envName(f))
		if s == "" {
			continue
		}
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			*p = s
		case *bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%s: %w", envName(f), err)
			}
			*p = b
		case *int:
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s: %w", envName(f), err)
			}
			*p = n
		case *time.Duration:
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %w", envName(f), err)
			}
			*p = d
		}
	}
	return nil
}
