// Command biogate-attack drives relay sessions against a loopback gateway
// as an attacker's modified phone app would: a still photo warped in
// software to follow the liveness commands live (warp, print, screen), the
// photo not moving (still), or a recorded clip replayed (replay). It
// reports what the gateway decided; see package attack.
//
//	biogate-attack --gateway http://127.0.0.1:PORT --key KEY --iin IIN
//	               --species warp --photo PATH [--seed N] [--fps F]
//	               [--sessions N] [--timeout 90s] [--json] [--out DIR]
//	biogate-attack ... --species replay --clip PATH
//
// It talks only to a loopback gateway and stops by itself.
package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/models"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	// maxSessions bounds a run: the tool must stop by itself.
	maxSessions = 100
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is a run, as the flags give it.
type config struct {
	gateway, key, iin string
	species           attack.Species
	photo, clip       string
	seed              uint64
	fps               float64
	sessions          int
	timeout           time.Duration
	json              bool
	out, models       string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("biogate-attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.gateway, "gateway", "", "the gateway, http://HOST:PORT; HOST must be loopback")
	fs.StringVar(&c.key, "key", os.Getenv("BIOGATE_API_KEY"), "API key with the relay scope (default $BIOGATE_API_KEY)")
	fs.StringVar(&c.iin, "iin", "", "the IIN the sessions claim")
	species := fs.String("species", "warp", "warp, print, screen, still or replay")
	fs.StringVar(&c.photo, "photo", "", "the photo (warp, print, screen, still)")
	fs.StringVar(&c.clip, "clip", "", "the recorded clip (replay)")
	seed := fs.String("seed", "", "random seed of the first session (session i uses seed+i; default random, printed)")
	fs.Float64Var(&c.fps, "fps", 0, "frames per second, 1-15 (default: drawn from 8-15 per session; replay 10)")
	fs.IntVar(&c.sessions, "sessions", 1, fmt.Sprintf("sessions run one after another, 1-%d", maxSessions))
	fs.DurationVar(&c.timeout, "timeout", 90*time.Second, "end a session without a result after this long")
	fs.BoolVar(&c.json, "json", false, "print one JSON object per session")
	fs.StringVar(&c.out, "out", "", "write the frames sent to DIR/session-N/")
	fs.StringVar(&c.models, "models", "", "models folder (default $BIOGATE_MODELS, else the shared models)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.species, err = attack.ParseSpecies(*species); err != nil {
		return config{}, fmt.Errorf("--species: %w", err)
	}
	if _, err := attack.GatewayURL(c.gateway); err != nil {
		return config{}, fmt.Errorf("--gateway: %w", err)
	}
	switch {
	case c.key == "":
		return config{}, errors.New("--key is required")
	case c.sessions < 1 || c.sessions > maxSessions:
		return config{}, fmt.Errorf("--sessions %d: want 1-%d", c.sessions, maxSessions)
	case c.fps != 0 && !(c.fps >= 1 && c.fps <= 15):
		return config{}, fmt.Errorf("--fps %g: want 1-15", c.fps)
	case c.timeout <= 0 || c.timeout > 10*time.Minute:
		return config{}, fmt.Errorf("--timeout %s: want more than 0 and at most 10m", c.timeout)
	case c.species == attack.Replay && c.clip == "":
		return config{}, errors.New("--clip is required with --species replay")
	case c.species != attack.Replay && c.photo == "":
		return config{}, fmt.Errorf("--photo is required with --species %s", c.species)
	}
	if _, err := iin.Parse(c.iin); err != nil {
		return config{}, fmt.Errorf("--iin: %w", err)
	}
	if *seed == "" {
		var b [8]byte
		crand.Read(b[:])
		c.seed = binary.LittleEndian.Uint64(b[:]) >> 1
	} else if _, err := fmt.Sscan(*seed, &c.seed); err != nil {
		return config{}, fmt.Errorf("--seed %q: want an unsigned integer", *seed)
	}
	return c, nil
}

// run parses args, runs the sessions and prints their reports.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "biogate-attack: %v\n", err)
		return exitUsage
	}
	var (
		photo *attack.Image
		face  models.Face
	)
	if c.species != attack.Replay {
		if photo, err = attack.LoadPhoto(c.photo); err != nil {
			fmt.Fprintf(stderr, "biogate-attack: %v\n", err)
			return exitFailure
		}
		det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: models.Dir(c.models), MaxWidth: 640})
		if err != nil {
			fmt.Fprintf(stderr, "biogate-attack: face detector: %v\n", err)
			return exitFailure
		}
		face, err = attack.DetectFace(det, photo)
		det.Close()
		if err != nil {
			fmt.Fprintf(stderr, "biogate-attack: %s: %v\n", c.photo, err)
			return exitFailure
		}
	}
	var replay *attack.Replayer
	code := exitOK
	enc := json.NewEncoder(stdout)
	for i := range c.sessions {
		if ctx.Err() != nil {
			return exitFailure
		}
		p := attack.NewParams(c.seed+uint64(i), c.fps)
		rep := &attack.Report{Species: c.species, Seed: p.Seed}
		var gen attack.Generator
		if c.species == attack.Replay {
			if c.fps == 0 {
				p.FPS = 10
			}
			if replay == nil {
				if replay, err = attack.NewReplayer(c.clip, 90); err != nil {
					fmt.Fprintf(stderr, "biogate-attack: %v\n", err)
					return exitFailure
				}
			}
			gen, rep.Source = replay, filepath.Base(c.clip)
		} else {
			pf, err := attack.NewPerformer(c.species, photo, face, p)
			if err != nil {
				fmt.Fprintf(stderr, "biogate-attack: %v\n", err)
				return exitFailure
			}
			gen, rep.Source, rep.JPEGQuality = pf, filepath.Base(c.photo), p.JPEGQuality
		}
		scfg := attack.SessionConfig{Gateway: c.gateway, Key: c.key, IIN: c.iin, FPS: p.FPS, Timeout: c.timeout}
		if c.out != "" {
			scfg.Out = filepath.Join(c.out, fmt.Sprintf("session-%d", i+1))
			if err := os.MkdirAll(scfg.Out, 0o755); err != nil {
				fmt.Fprintf(stderr, "biogate-attack: %v\n", err)
				return exitFailure
			}
		}
		err := attack.Run(ctx, scfg, gen, rep)
		if err != nil {
			fmt.Fprintf(stderr, "biogate-attack: session %d (seed %d): %v\n", i+1, p.Seed, err)
			code = exitFailure
		}
		if c.json {
			enc.Encode(rep)
		} else {
			writeSummary(stdout, i+1, rep)
		}
	}
	return code
}

// writeSummary prints one session's report for a person.
func writeSummary(w io.Writer, n int, r *attack.Report) {
	plive := "-"
	if r.PLive != nil {
		plive = fmt.Sprintf("%.3f", *r.PLive)
	}
	dec := r.Decision
	if dec == "" {
		dec = "(no result)"
	}
	fmt.Fprintf(w, "session %d: species %s seed %d fps %g source %s\n", n, r.Species, r.Seed, r.FPS, r.Source)
	fmt.Fprintf(w, "  decision %s", dec)
	if len(r.Reasons) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(r.Reasons, ", "))
	}
	fmt.Fprintf(w, ", p(live) %s, attempts %d, %d frames in %.1f s\n", plive, r.Attempts, r.Frames, r.Seconds)
	for _, c := range r.Commands {
		fmt.Fprintf(w, "  attempt %d command %d/%d %-11s %s %s\n", c.Attempt, c.Index+1, c.Count, c.Command, c.Status, c.Reason)
	}
	fmt.Fprintf(w, "  commands issued %d, passed %d, failed %d\n", r.Issued, r.Passed, r.Failed)
}
