// Command biogate-soak runs biogated for a while against the IDEC emulator
// while its dependencies fail in turn, and checks afterwards that nothing
// was lost and nothing leaked (issue 20).
//
//	biogate-soak --bin DIR --work DIR [--short] [--store sqlite|postgres
//	             --evidence DSN --pg-dir DIR] [--usb-replay DIR] [--shared DIR]
//	             [--json]
//
// It starts the IDEC emulator and biogated as child processes (in their own
// process groups, killed when the harness dies), enrols a few persons, and
// runs a mix of sessions a few at a time: genuine relayed clips that match,
// a live person claiming someone else's IIN, print and replay attacks
// relayed and on the daemon's kiosk camera (a clip that ends), invalid
// input (bad IINs, garbage text, oversized and non-JPEG frames, a bad API
// key) and clients that vanish mid-session; probes send one IIN from three
// clients at once. On a schedule it injects faults, each logged with its
// time: IDEC latency, 503s, resets and timeouts (the emulator restarted
// with its --fault-* flags for a window), the emulator killed and
// restarted, PostgreSQL stopped and started again (PostgreSQL store), the
// daemon restarted with SIGTERM and once with SIGKILL on the same data
// folder; with --usb-replay, finger sessions on a replayed USB reader
// (genuine and impostor), and the reader unplugged for a window. At the
// end it checks the invariants (see check.go), prints the report and exits
// 1 when one is broken.
//
// Everything listens on and talks to 127.0.0.1 only (the gateway address
// passes internal/loopback's check), and the run is bounded in time and
// sessions: it stops by itself. hack/soak.sh builds the binaries, starts a
// throwaway PostgreSQL when asked, and runs it.
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
	"path/filepath"
	"syscall"
	"time"

	"github.com/biogate/biogate/internal/loopback"
)

// Bounds on a run: the harness must stop by itself.
const (
	// MaxDuration bounds --duration.
	MaxDuration = 30 * time.Minute
	// MaxRunSessions bounds --sessions.
	MaxRunSessions = 10000
	// MaxConcurrency bounds --concurrency.
	MaxConcurrency = 16
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

// run parses args, runs the soak and prints the report; it returns the
// exit code: 0 when every invariant held, 1 when one broke or the run
// failed, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, asJSON, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "biogate-soak: %v\n", err)
		return exitUsage
	}
	rep, err := Run(ctx, cfg, stderr)
	if rep != nil {
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				fmt.Fprintf(stderr, "biogate-soak: %v\n", err)
				return exitFailure
			}
		} else {
			rep.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "biogate-soak: %v\n", err)
		return exitFailure
	}
	if !rep.Passed {
		return exitFailure
	}
	return exitOK
}

// Config is one soak run.
type Config struct {
	// Bin holds the biogated, idec-emulator and biogate binaries.
	Bin string
	// Work is the run's folder (logs, PKI, gallery, the daemon's data);
	// it must be absent or empty.
	Work string
	// Shared is the shared data folder (clips, faces, models).
	Shared string
	// Store is "sqlite" (the data folder's evidence.db) or "postgres".
	Store string
	// Evidence is the PostgreSQL DSN, on loopback (postgres only).
	Evidence string
	// PGDir is hack/pg.sh's folder of that server, so the harness can stop
	// and start it (postgres only).
	PGDir string
	// Short runs the one-minute CI profile instead of the ten-minute one.
	Short bool
	// Duration is how long sessions are started; 0: the profile's.
	Duration time.Duration
	// Sessions bounds the sessions started; 0: the profile's.
	Sessions int
	// Concurrency is the clients at once; 0: the profile's.
	Concurrency int
	// Seed makes the mix and the IINs repeatable; 0: from the clock.
	Seed uint64
	// DiskFull keeps the daemon's data folder (SQLite) on a small tmpfs
	// the harness mounts (root only) and fills it up mid-run.
	DiskFull bool
	// USBReplay is a libfprint recording of a USB fingerprint reader
	// (shared/data/usb/NAME): biogated runs under umockdev-run with that
	// reader, finger sessions join the mix, and the reader is unplugged
	// for a window. Empty: face sessions only.
	USBReplay string
}

func parseFlags(args []string, stderr io.Writer) (Config, bool, error) {
	fs := flag.NewFlagSet("biogate-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.Bin, "bin", "", "folder with the biogated, idec-emulator and biogate binaries (required)")
	fs.StringVar(&c.Work, "work", "", "folder for the run's logs and state, absent or empty (required)")
	fs.StringVar(&c.Shared, "shared", "", "shared data folder (default $BIOGATE_SHARED, else ../shared)")
	fs.StringVar(&c.Store, "store", "sqlite", "evidence store: sqlite or postgres")
	fs.StringVar(&c.Evidence, "evidence", "", "postgres: the DSN of the store, on 127.0.0.1 (hack/pg.sh start prints one)")
	fs.StringVar(&c.PGDir, "pg-dir", "", "postgres: hack/pg.sh's folder of that server, to stop and start it mid-run")
	fs.BoolVar(&c.Short, "short", false, "about one minute: a few dozen sessions and one of each quick fault (CI)")
	fs.DurationVar(&c.Duration, "duration", 0, fmt.Sprintf("how long sessions are started (default 50s with --short, else 9m30s; at most %s)", MaxDuration))
	fs.IntVar(&c.Sessions, "sessions", 0, fmt.Sprintf("at most this many clients (default 800 with --short, else 8000; at most %d)", MaxRunSessions))
	fs.IntVar(&c.Concurrency, "concurrency", 0, fmt.Sprintf("clients at once (default 6 with --short, else 8; at most %d)", MaxConcurrency))
	fs.BoolVar(&c.DiskFull, "disk-full", false, "sqlite, as root: keep the daemon's data folder on a 256 MiB tmpfs and fill it up mid-run")
	fs.StringVar(&c.USBReplay, "usb-replay", "", "a recording of a USB fingerprint reader (shared/data/usb/nb1010): biogated runs under umockdev-run with it, finger sessions join the mix and the reader is unplugged for a while")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the session mix and the IINs (default: from the clock)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		return Config{}, false, err
	}
	if fs.NArg() > 0 {
		return Config{}, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.Shared == "" {
		c.Shared = os.Getenv("BIOGATE_SHARED")
	}
	if c.Shared == "" {
		c.Shared = filepath.Join("..", "shared")
	}
	if err := c.validate(); err != nil {
		return Config{}, false, err
	}
	return c, *asJSON, nil
}

// validate checks the flags; it never connects.
func (c Config) validate() error {
	switch {
	case c.Bin == "":
		return errors.New("--bin is required")
	case c.Work == "":
		return errors.New("--work is required")
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("--duration %s: want at most %s", c.Duration, MaxDuration)
	case c.Sessions < 0 || c.Sessions > MaxRunSessions:
		return fmt.Errorf("--sessions %d: want at most %d", c.Sessions, MaxRunSessions)
	case c.Concurrency < 0 || c.Concurrency > MaxConcurrency:
		return fmt.Errorf("--concurrency %d: want at most %d", c.Concurrency, MaxConcurrency)
	}
	switch c.Store {
	case "sqlite":
		if c.Evidence != "" || c.PGDir != "" {
			return errors.New("--evidence and --pg-dir go with --store postgres")
		}
		if c.DiskFull && os.Geteuid() != 0 {
			return errors.New("--disk-full mounts a tmpfs: run as root")
		}
	case "postgres":
		if c.Evidence == "" || c.PGDir == "" {
			return errors.New("--store postgres needs --evidence and --pg-dir")
		}
		u, err := url.Parse(c.Evidence)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("--evidence: want a postgres:// DSN")
		}
		if !loopback.IsLoopback(u.Hostname()) {
			return fmt.Errorf("--evidence: %w", loopback.ErrNotLoopback)
		}
		if c.DiskFull {
			return errors.New("--disk-full goes with --store sqlite")
		}
	default:
		return fmt.Errorf("--store %q: want sqlite or postgres", c.Store)
	}
	return nil
}
