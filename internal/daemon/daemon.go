// Package daemon is the one place biogated is assembled: the models (the
// pipeline), the signing keyring, the image and subject keys, the evidence
// store, the IDEC client, the fingerprint readers, the kiosk camera, the
// gateway, the HTTP listener, the retention loop and readiness, started in
// that order and stopped in reverse.
//
// cmd/biogated parses its flags, file and environment into a Config and
// runs a Daemon; internal/gatewaytest runs the same assembly for other
// packages' tests. Nothing else imports it (internal/arch checks).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/relaycam"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/pipeline"
	"github.com/biogate/biogate/web"
)

// shutdownTimeout bounds the graceful part of a shutdown: running sessions
// get their aborted message and the listener drains.
const shutdownTimeout = 15 * time.Second

// DefaultDrainGrace is Config.DrainGrace's default: a liveness session
// takes 5-30 s, and Kubernetes waits 30 s by default before SIGKILL (the
// Helm chart gives the pod DrainGrace plus shutdownTimeout).
const DefaultDrainGrace = 25 * time.Second

// Daemon is biogated assembled from a Config. Run it once.
type Daemon struct {
	cfg   Config
	log   *slog.Logger
	ran   atomic.Bool
	ready chan struct{}
	addr  string // written before ready is closed
	maddr string // the metrics listener's; likewise
}

// New checks cfg and fills its defaults; it opens nothing (Run does). log
// receives the daemon's log lines; nil discards them.
func New(cfg Config, log *slog.Logger) (*Daemon, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Daemon{cfg: cfg, log: log, ready: make(chan struct{})}, nil
}

// Ready is closed once the listener accepts connections, the retention
// loop runs and Addr is known. It stays open if Run fails before.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Addr is the listener's address (HOST:PORT, the port chosen when Listen
// asked for 0) once Ready is closed, and "" before. Safe for concurrent
// use.
func (d *Daemon) Addr() string {
	select {
	case <-d.ready:
		return d.addr
	default:
		return ""
	}
}

// MetricsAddr is the metrics listener's address, like Addr; "" also when
// the daemon serves no metrics.
func (d *Daemon) MetricsAddr() string {
	select {
	case <-d.ready:
		return d.maddr
	default:
		return ""
	}
}

// Run opens every part in order, serves until ctx ends, then shuts down in
// reverse: the gateway drains (/readyz fails, no session starts, running
// ones may finish within DrainGrace), sessions still running get a final
// aborted message, the listener drains (within 15 s), retention stops, the store closes, the readers and
// the models are freed. It returns only when every goroutine it started
// has exited: nil after a shutdown by ctx, else the error that stopped it
// (a part that would not open, or the listener failing).
func (d *Daemon) Run(ctx context.Context) error {
	if d.ran.Swap(true) {
		return errors.New("daemon: Run called twice")
	}
	cfg, log := d.cfg, d.log
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	bin, err := iin.ParseBIN(cfg.BIN)
	if err != nil {
		return fmt.Errorf("--bin: %w", err)
	}
	keys, err := cfg.apiKeys()
	if err != nil {
		return err
	}
	log.Info("loaded", "part", "api keys", "keys", keys.Len())
	attester, err := cfg.attester(keys)
	if err != nil {
		return err
	}
	if attester != nil {
		log.Info("loaded", "part", "app attestation", "android_apps", len(cfg.AttestAndroidApps), "ios_apps", len(cfg.AttestIOSApps))
	} else {
		log.Info("skipped", "part", "app attestation", "why", "no --attest-android-apps or --attest-ios-apps")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(buildCollectors...)

	tlsMat, err := idechttp.LoadTLS(cfg.IDECTLS)
	if err != nil {
		return fmt.Errorf("--idec-tls: %w", err)
	}
	client, err := idechttp.New(idechttp.Config{URL: cfg.IDEC, TLS: tlsMat,
		Config: idec.Config{Registerer: reg, Logger: log.With("part", "idec")}})
	if err != nil {
		return fmt.Errorf("--idec: %w", err)
	}
	defer client.Close()
	log.Info("loaded", "part", "idec client")

	if cfg.OpenCVThreads > 0 {
		models.SetNumThreads(cfg.OpenCVThreads)
	}
	// The evidence store opens below, before any session: the cues of a
	// session see it (New validates cues made before, without it).
	var history *frameHistory
	pipe, err := pipeline.New(models.Dir(cfg.Models), cfg.ModelSets,
		liveness.Config{Cues: func() []liveness.Cue { return sessionCues(history) }})
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	defer pipe.Close()
	log.Info("loaded", "part", "models", "sets", cfg.ModelSets)

	rec, err := openRecords(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rec.close()
	if cfg.ReplayWindow > 0 {
		history = &frameHistory{store: rec.store, window: cfg.ReplayWindow, log: log.With("part", "replay")}
	} else {
		log.Warn("replay checks off: a recorded session relayed again is not recognised")
	}

	var others gateway.DeviceLister
	var usb *readers
	if cfg.Fingerprint || strings.HasPrefix(cfg.FingerReader, "usb:") {
		quietStdLog(log.With("part", "libusb"))
		r, err := startReaders(log.With("part", "fingerprint"))
		if err != nil {
			return fmt.Errorf("--fingerprint: %w", err)
		}
		defer r.close()
		others, usb = r, r
		log.Info("loaded", "part", "fingerprint readers", "found", len(r.m.Readers()))
	} else {
		log.Info("skipped", "part", "fingerprint readers", "why", "no --fingerprint")
	}

	var cams gateway.Cameras
	if cfg.Camera != "" {
		scheme, _, err := devices.ParseSpec(cfg.Camera)
		if err != nil {
			return fmt.Errorf("--camera: %w", err)
		}
		cams = kioskCamera{spec: cfg.Camera}
		log.Info("loaded", "part", "kiosk camera", "backend", scheme)
	} else {
		log.Info("skipped", "part", "kiosk camera", "why", "no --camera: relay sessions only")
	}

	var (
		fingerReader gateway.FingerReaders
		fingerPipe   gateway.FingerPipeline
	)
	if spec := cfg.FingerReader; spec != "" || usb != nil {
		if spec == "" {
			spec = "usb:"
		}
		fingerReader, fingerPipe = &fingerReaders{usb: usb, spec: spec, held: map[string]bool{}}, pipeline.Fingers{}
		log.Info("loaded", "part", "finger sessions", "reader", strings.SplitN(spec, ":", 2)[0])
	} else {
		log.Info("skipped", "part", "finger sessions", "why", "no --fingerprint or --finger-reader")
	}

	fleet := newFleetKeys(rec.keys.Keys, rec.store, rec.gatewayID, rec.subjectKey, log.With("part", "fleet keys"))

	// The one gateway.New of the project.
	gw, err := gateway.New(gateway.Config{
		AllowFixedCommands: cfg.AllowFixedCommands,
		AllowedOrigins:     cfg.Origins,
		Keys:               keys,
		BIN:                bin,
		MaxSessions:        cfg.MaxSessions,
		MaxSessionsPerKey:  cfg.MaxSessionsPerKey,
		MaxPending:         cfg.MaxPending,
		RatePerKey:         cfg.RatePerKey,
		RatePerIIN:         cfg.RatePerIIN,
		SessionTimeout:     cfg.SessionTimeout,
		CommandTimeout:     cfg.CommandTimeout,
		Limits:             protocol.Limits{MaxFPS: cfg.MaxFPS},
		MaxAttempts:        cfg.MaxAttempts,
		Lockout:            cfg.Lockout,
		Devices:            others,
		Relay:              relaycam.New(),
		Readers:            fingerReader,
		Fingers:            fingerPipe,
		FingerMinQuality:   cfg.FingerMinQuality,
		Signer:             rec.keys,
		Attester:           attester,
		Evidence:           rec.store,
		SubjectKey:         rec.subjectKey,
		ID:                 rec.gatewayID,
		JWKS:               document.JWKSHandler(fleet.Keys),
		UI:                 web.Handler(), // the kiosk page at /; its sessions need a key
		Version:            cfg.Version,
		Logger:             log.With("part", "gateway"),
		Registerer:         reg,
		Ready: func() error {
			if client.BreakerState() == idec.BreakerOpen {
				return errors.New("IDEC circuit breaker open")
			}
			return rec.ready()
		},
	}, pipe, client, cams)
	if err != nil {
		return err
	}
	if cfg.AllowFixedCommands {
		log.Warn("fixed liveness commands allowed: for tests and demos only")
	}

	// Two listeners: sessions and their pages; /metrics, unauthenticated,
	// apart (loopback by default), so the session listener never shows
	// them.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	servers, listeners := []*http.Server{d.httpServer(gw.Handler())}, []net.Listener{ln}
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		servers = append(servers, d.httpServer(mux))
		listeners = append(listeners, mln)
		d.maddr = mln.Addr().String()
		if host, _, _ := net.SplitHostPort(cfg.MetricsListen); !isLoopback(host) {
			log.Warn("metrics served without authentication beyond loopback: firewall them", "addr", d.maddr)
		}
		log.Info("listening", "part", "metrics", "addr", d.maddr)
	} else {
		log.Info("skipped", "part", "metrics", "why", "no --metrics-listen")
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if i == 0 && cfg.TLSCert != "" {
				errc <- srv.ServeTLS(listeners[i], cfg.TLSCert, cfg.TLSKey)
			} else {
				errc <- srv.Serve(listeners[i])
			}
		}()
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", cfg.TLSCert != "")
	retainDone := make(chan struct{})
	rctx, stopRetain := context.WithCancel(context.Background())
	go func() {
		defer close(retainDone)
		rec.retain(rctx, cfg.Retention, cfg.ReplayWindow, cfg.Lockout, log.With("part", "retention"))
	}()
	defer func() { stopRetain(); <-retainDone }()
	fleetDone := make(chan struct{})
	fctx, stopFleet := context.WithCancel(context.Background())
	go func() {
		defer close(fleetDone)
		fleet.Run(fctx)
	}()
	defer func() { stopFleet(); <-fleetDone }()
	d.addr = ln.Addr().String()
	close(d.ready)

	serving := len(servers)
	var failed error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case failed = <-errc: // a listener failed: the daemon stops
		serving--
	}
	if failed == nil && cfg.DrainGrace > 0 {
		log.Info("draining", "grace", cfg.DrainGrace)
		dctx, cancel := context.WithTimeout(context.Background(), cfg.DrainGrace)
		if err := gw.Drain(dctx); err != nil {
			log.Warn("sessions still running after the grace period are aborted", "error", err)
		}
		cancel()
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	gw.Shutdown(sctx) // sessions left get aborted and end
	for _, srv := range servers {
		srv.Shutdown(sctx)
	}
	for range serving {
		<-errc
	}
	if failed != nil {
		return failed
	}
	log.Info("stopped")
	return nil
}

// httpServer serves h with the daemon's HTTP timeouts: a request's header
// within 10 s, a keep-alive connection closed when idle HTTPIdleTimeout.
func (d *Daemon) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: d.cfg.HTTPIdleTimeout}
}

// apiKeys parses the API keys, from memory or from the file.
func (c Config) apiKeys() (gateway.Keys, error) {
	if c.APIKeys != "" {
		keys, err := gateway.ParseKeys(strings.NewReader(c.APIKeys))
		if err != nil {
			return keys, fmt.Errorf("--api-keys: %w", err)
		}
		return keys, nil
	}
	kf, err := os.Open(c.APIKeysFile)
	if err != nil {
		return gateway.Keys{}, fmt.Errorf("--api-keys: %w", err)
	}
	defer kf.Close()
	keys, err := gateway.ParseKeys(kf)
	if err != nil {
		return keys, fmt.Errorf("--api-keys: %w", err)
	}
	return keys, nil
}

// version is the module version and VCS revision the binary was built
// from, signed into every document.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}
