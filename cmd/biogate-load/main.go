// Command biogate-load measures how many concurrent relay sessions one
// biogated holds: it pre-encodes a clip's frames as 640x480 JPEG, runs N
// relay sessions that each loop the frames at a fixed rate, and reports
// event latency, backlog, errors, completions and memory per session.
//
//	biogate-load --gateway http://127.0.0.1:PORT [--metrics http://127.0.0.1:9464]
//	             --key KEY --sessions N --fps 10 --duration 20s --clip PATH [--iin IIN] [--json]
//
// It talks only to a loopback gateway and stops by itself: the sessions and
// the duration are bounded.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/biogate/biogate/devices/gocvcam" // file:
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/loopback"
)

// Bounds on a load run: the tool must stop by itself.
const (
	MaxSessions = 64
	MaxDuration = 120 * time.Second
	MaxFPS      = 30
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, checks them, runs the load and prints the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, asJSON, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "biogate-load: %v\n", err)
		return exitUsage
	}
	rep, err := Run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "biogate-load: %v\n", err)
		return exitFailure
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "biogate-load: %v\n", err)
			return exitFailure
		}
	} else {
		rep.WriteTable(stdout)
	}
	return exitOK
}

// Config is one load run.
type Config struct {
	// Gateway is the gateway's base URL, http://HOST:PORT; HOST must be
	// loopback.
	Gateway *url.URL
	// Metrics is the base URL of the gateway's metrics listener (biogated
	// --metrics-listen), http://HOST:PORT; HOST must be loopback.
	Metrics *url.URL
	// Key is the API key (relay scope).
	Key string
	// Sessions is the number of concurrent sessions, 1-MaxSessions.
	Sessions int
	// FPS is the frames per second each session sends.
	FPS float64
	// Duration is how long the load runs, at most MaxDuration.
	Duration time.Duration
	// Clip is the video file whose frames are sent.
	Clip string
	// IIN, if set, is used by every session; otherwise each session start
	// uses a fresh valid IIN, so that lockouts do not end the run.
	IIN string
}

func parseFlags(args []string, stderr io.Writer) (Config, bool, error) {
	fs := flag.NewFlagSet("biogate-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gw := fs.String("gateway", "", "the gateway, http://HOST:PORT; HOST must be loopback")
	metrics := fs.String("metrics", "http://127.0.0.1:9464", "the gateway's metrics listener (biogated --metrics-listen), http://HOST:PORT; HOST must be loopback")
	key := fs.String("key", os.Getenv("BIOGATE_API_KEY"), "API key with the relay scope (default $BIOGATE_API_KEY)")
	sessions := fs.Int("sessions", 4, fmt.Sprintf("concurrent relay sessions, 1-%d", MaxSessions))
	fps := fs.Float64("fps", 10, fmt.Sprintf("frames per second per session, up to %d", MaxFPS))
	dur := fs.Duration("duration", 20*time.Second, fmt.Sprintf("how long to run, up to %s", MaxDuration))
	clip := fs.String("clip", "", "video file whose frames are sent (re-encoded once as 640x480 JPEG)")
	person := fs.String("iin", "", "IIN every session uses; a gateway runs one session per IIN at a time, so the others are refused (default: a fresh valid IIN per session)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		return Config{}, false, err
	}
	if fs.NArg() > 0 {
		return Config{}, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := Config{Key: *key, Sessions: *sessions, FPS: *fps, Duration: *dur, Clip: *clip, IIN: *person}
	u, err := gatewayURL(*gw)
	if err != nil {
		return Config{}, false, err
	}
	cfg.Gateway = u
	if cfg.Metrics, err = loopback.GatewayURL(*metrics); err != nil {
		return Config{}, false, fmt.Errorf("--metrics: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, false, err
	}
	return cfg, *asJSON, nil
}

// validate checks the bounds; it never connects.
func (c Config) validate() error {
	switch {
	case c.Gateway == nil:
		return errors.New("--gateway is required")
	case c.Gateway.Scheme != "http" || !loopback.IsLoopback(c.Gateway.Hostname()):
		return fmt.Errorf("--gateway %s: %w", c.Gateway.Redacted(), ErrNotLoopback)
	case c.Metrics == nil:
		return errors.New("--metrics is required")
	case c.Metrics.Scheme != "http" || !loopback.IsLoopback(c.Metrics.Hostname()):
		return fmt.Errorf("--metrics %s: %w", c.Metrics.Redacted(), ErrNotLoopback)
	case c.Sessions < 1 || c.Sessions > MaxSessions:
		return fmt.Errorf("--sessions %d: want 1-%d", c.Sessions, MaxSessions)
	case !(c.FPS > 0 && c.FPS <= MaxFPS):
		return fmt.Errorf("--fps %g: want more than 0 and at most %d", c.FPS, MaxFPS)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("--duration %s: want more than 0 and at most %s", c.Duration, MaxDuration)
	case c.Clip == "":
		return errors.New("--clip is required")
	case c.Key == "":
		return errors.New("--key is required")
	}
	if c.IIN != "" {
		if _, err := iin.Parse(c.IIN); err != nil {
			return fmt.Errorf("--iin: %w", err)
		}
	}
	return nil
}

// ErrNotLoopback: the tool only loads gateways on this machine.
var ErrNotLoopback = loopback.ErrNotLoopback

// gatewayURL parses an http:// gateway address and refuses any host that is
// not loopback. It does not resolve names other than localhost.
func gatewayURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("--gateway is required")
	}
	u, err := loopback.GatewayURL(s)
	if err != nil {
		return nil, fmt.Errorf("--%w", err)
	}
	return u, nil
}
