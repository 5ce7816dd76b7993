// Command biogated is the biogate daemon: it serves verification sessions
// over WebSocket to kiosks, field laptops and mobile apps (through the
// relay), runs capture and liveness on their frames, asks IDEC and streams
// every step back.
//
//	biogated [--config FILE] --listen ADDR [--camera SPEC] --idec URL --idec-tls DIR
//	         --api-keys FILE --data DIR [--allow-fixed-commands] [--evidence DSN]
//
// Every setting of the YAML file also has a flag and a BIOGATED_*
// environment variable (see Config). It shuts down on SIGTERM or SIGINT:
// running sessions get a final aborted message, then the models are freed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/biogate/biogate/cmd/biogated/pipeline"
	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"  // v4l2:, gst:, file:
	_ "github.com/biogate/biogate/devices/imagedir" // dir:
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/relaycam"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil))
}

// run starts the daemon and serves until ctx ends. ready, if not nil,
// receives the listener's address once it accepts connections (for tests).
func run(ctx context.Context, args []string, env func(string) string, stderr io.Writer, ready chan<- string) int {
	cfg, err := loadConfig(args, env)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "biogated: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	models.QuietNativeLogs()
	if err := serve(ctx, cfg, log, ready); err != nil {
		log.Error("biogated stopped", "err", err)
		return 1
	}
	return 0
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// serve wires the parts in order and tears them down in reverse.
func serve(ctx context.Context, cfg Config, log *slog.Logger, ready chan<- string) error {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", cfg.Listen, err)
	}
	if !isLoopback(host) && (cfg.TLSCert == "" || cfg.TLSKey == "") {
		return fmt.Errorf("--listen %s is not loopback: --tls-cert and --tls-key are required", cfg.Listen)
	}
	if cfg.Data == "" {
		return errors.New("--data is required: it keeps the signing keys and the evidence")
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	bin, err := iin.ParseBIN(cfg.BIN)
	if err != nil {
		return fmt.Errorf("--bin: %w", err)
	}

	if cfg.APIKeys == "" {
		return errors.New("--api-keys is required")
	}
	kf, err := os.Open(cfg.APIKeys)
	if err != nil {
		return fmt.Errorf("--api-keys: %w", err)
	}
	keys, err := gateway.ParseKeys(kf)
	kf.Close()
	if err != nil {
		return fmt.Errorf("--api-keys: %w", err)
	}
	log.Info("loaded", "part", "api keys", "keys", keys.Len())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if cfg.IDEC == "" || cfg.IDECTLS == "" {
		return errors.New("--idec and --idec-tls are required")
	}
	tlsMat, err := idechttp.LoadTLS(cfg.IDECTLS)
	if err != nil {
		return fmt.Errorf("--idec-tls: %w", err)
	}
	client, err := idechttp.New(idechttp.Config{URL: cfg.IDEC, TLS: tlsMat, Config: idec.Config{Registerer: reg, Logger: log.With("part", "idec")}})
	if err != nil {
		return fmt.Errorf("--idec: %w", err)
	}
	defer client.Close()
	log.Info("loaded", "part", "idec client")

	if cfg.OpenCVThreads > 0 {
		models.SetNumThreads(cfg.OpenCVThreads)
	}
	pipe, err := pipeline.New(models.Dir(cfg.Models), cfg.MaxSessions, liveness.Config{})
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	defer pipe.Close()
	log.Info("loaded", "part", "models", "sets", cfg.MaxSessions)

	rec, err := openRecords(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rec.close()

	var others gateway.DeviceLister
	if cfg.Fingerprint {
		quietStdLog(log.With("part", "libusb"))
		r, err := startReaders(log.With("part", "fingerprint"))
		if err != nil {
			return fmt.Errorf("--fingerprint: %w", err)
		}
		defer r.close()
		others = r
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

	gw, err := gateway.New(gateway.Config{
		AllowFixedCommands: cfg.AllowFixedCommands,
		AllowedOrigins:     splitList(cfg.Origins),
		Keys:               keys,
		BIN:                bin,
		MaxSessions:        cfg.MaxSessions,
		SessionTimeout:     cfg.SessionTimeout,
		MaxAttempts:        cfg.MaxAttempts,
		Lockout:            cfg.Lockout,
		Devices:            others,
		Relay:              relaycam.New(),
		Signer:             rec.keys,
		Evidence:           rec.store,
		SubjectKey:         rec.subjectKey,
		JWKS:               rec.keys.Handler(),
		UI:                 web.Handler(), // the kiosk page at /; its sessions need a key
		Version:            version(),
		Logger:             log.With("part", "gateway"),
		Registerer:         reg,
		Gatherer:           reg,
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

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: gw.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String(), "tls", cfg.TLSCert != "")
	retainDone := make(chan struct{})
	rctx, stopRetain := context.WithCancel(context.Background())
	go func() {
		defer close(retainDone)
		rec.retain(rctx, cfg.Retention, cfg.Lockout, log.With("part", "retention"))
	}()
	defer func() { stopRetain(); <-retainDone }()
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	gw.Shutdown(sctx) // sessions get aborted and end
	srv.Shutdown(sctx)
	<-errc
	log.Info("stopped")
	return nil
}

// kioskCamera opens the daemon's one kiosk camera, by the spec it was
// configured with; its name in sessions is "" or "default".
type kioskCamera struct{ spec string }

func (k kioskCamera) Open(ctx context.Context, name string) (devices.Camera, error) {
	if name != "" && name != "default" {
		return nil, fmt.Errorf("%w: no camera named %q", devices.ErrNoDevice, name)
	}
	return devices.OpenCamera(ctx, k.spec)
}

// Devices lists the kiosk camera for GET /v1/devices, available when its
// spec's backend is registered and, for paths, the file or node exists.
func (k kioskCamera) Devices() []gateway.Device {
	scheme, target, err := devices.ParseSpec(k.spec)
	avail := err == nil
	if avail && scheme != "gst" {
		path := target
		if i := strings.IndexByte(path, '?'); i >= 0 && scheme == "v4l2" {
			path = path[:i]
		}
		_, statErr := os.Stat(path)
		avail = statErr == nil || (scheme == "v4l2" && !strings.HasPrefix(path, "/"))
	}
	return []gateway.Device{{ID: "default", Kind: "camera", Backend: scheme, Available: avail}}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
