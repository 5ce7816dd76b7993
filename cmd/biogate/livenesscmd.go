package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// livenessReport is the JSON printed by `biogate liveness --json`.
type livenessReport struct {
	*liveness.Result
	Events []challenge.Event `json:"events"`
}

func runLiveness(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("liveness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "frame source, as for biogate capture: v4l2:PATH, gst:PIPELINE, file:PATH, dir:PATH")
	commands := fs.String("commands", "", "fixed command list for tests and demos, e.g. turn_left,turn_right,tilt_left (the result then says the commands were not random)")
	count := fs.Int("count", 0, "commands per attempt when drawn at random (at least 3)")
	attempts := fs.Int("attempts", 0, "attempts before refusal (default 3)")
	mirrored := fs.Bool("mirrored", false, "the source delivers mirrored (selfie) frames")
	timeout := fs.Duration("timeout", liveness.DefaultSessionTimeout, "bound on the whole session")
	commandTimeout := fs.Duration("command-timeout", challenge.DefaultCommandTimeout, "time allowed for each command, from its issue (3s to 20s)")
	fps := fs.Float64("fps", 0, "keep at most this many frames a second, by capture time: the first frame at or after each 1/fps tick (a phone's relay rate); 0 keeps every frame")
	asJSON := fs.Bool("json", false, "print one JSON report with every event instead of text")
	out := fs.String("out", "", "write the peak frame of each passed command as CMD.jpg into this folder")
	modelsDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate liveness --source SRC [--commands c1,c2,c3] [--json] [--out DIR]")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *source == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	if *commandTimeout < challenge.MinCommandTimeout || *commandTimeout > challenge.MaxCommandTimeout {
		fmt.Fprintf(stderr, "biogate liveness: --command-timeout %s: want %s to %s\n", *commandTimeout, challenge.MinCommandTimeout, challenge.MaxCommandTimeout)
		return exitUsage
	}
	if *fps < 0 || math.IsInf(*fps, 0) || math.IsNaN(*fps) {
		fmt.Fprintf(stderr, "biogate liveness: --fps %v: want a positive rate, or 0 for every frame\n", *fps)
		return exitUsage
	}
	ccfg := challenge.Config{Count: *count, Attempts: *attempts, Mirrored: *mirrored, CommandTimeout: *commandTimeout}
	if *commands != "" {
		for _, c := range strings.Split(*commands, ",") {
			ccfg.Fixed = append(ccfg.Fixed, challenge.Command(strings.TrimSpace(c)))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := models.Dir(*modelsDir)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
	if err != nil {
		fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
		return exitFailure
	}
	defer det.Close()
	spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: dir})
	if err != nil {
		fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
		return exitFailure
	}
	defer spoof.Close()

	var events []challenge.Event
	cfg := liveness.Config{Challenge: ccfg,
		Cues: func() []liveness.Cue { return []liveness.Cue{liveness.NewFlatCue()} }}
	cfg.Capture.Timeout = *timeout
	var t0 time.Time
	cfg.OnEvent = func(e challenge.Event) {
		events = append(events, e)
		if t0.IsZero() {
			t0 = e.Time
		}
		if !*asJSON && e.Kind != challenge.KindProgress {
			fmt.Fprintf(stdout, "%7.2fs  %s\n", e.Time.Sub(t0).Seconds(), describeEvent(e))
		}
	}
	chk, err := liveness.New(cfg, det, spoof)
	if err != nil {
		fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
		return exitUsage
	}
	defer chk.Close()

	cam, err := devices.OpenCamera(ctx, *source)
	if err != nil {
		fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
		return exitFailure
	}
	defer cam.Close()
	var src devices.Camera = cam
	if *fps > 0 {
		src = &decimated{Camera: cam, interval: time.Duration(float64(time.Second) / *fps)}
	}

	res, err := chk.Run(ctx, src)
	if err != nil {
		fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
		return exitFailure
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o750); err != nil {
			fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
			return exitFailure
		}
		for _, f := range res.Frames {
			if err := os.WriteFile(filepath.Join(*out, string(f.Command)+".jpg"), f.JPEG, 0o600); err != nil {
				fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
				return exitFailure
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(livenessReport{Result: res, Events: events}); err != nil {
			fmt.Fprintf(stderr, "biogate liveness: %v\n", err)
			return exitFailure
		}
	} else {
		p := res.Passive
		fmt.Fprintf(stdout, "verdict   %s %s\n", res.Verdict, strings.Join(outcome.Strings(res.Reasons), ", "))
		fmt.Fprintf(stdout, "commands  random: %v, attempts used: %d\n", res.Challenge.Random, res.Challenge.Attempts)
		if d := res.Challenge.Departures; len(d) > 0 {
			fmt.Fprintf(stdout, "departs   from the rules: %s (tests and demos only)\n", strings.Join(d, ", "))
		}
		fmt.Fprintf(stdout, "passive   %s, p(live) %.3f over %d frames (model %.3f, screen %.2f, print %.2f, motion %.2f)\n",
			p.Decision, p.Live, p.Frames, p.Model, p.Screen, p.Print, p.Motion)
		for _, c := range p.Cues {
			if c.Name == liveness.CueFlat {
				fmt.Fprintf(stdout, "flat      score %.2f (available %v, decides at %.2f or below)\n", c.Score, c.Available, liveness.NewFlatCue().DecideBelow())
			}
		}
		if p.DecidedBy != "" {
			fmt.Fprintf(stdout, "decided   by cue %s\n", p.DecidedBy)
		}
	}
	if res.Verdict != liveness.Live {
		return exitNoResult
	}
	return exitOK
}

func describeEvent(e challenge.Event) string {
	s := string(e.Kind)
	if e.Command != "" {
		s += " " + string(e.Command)
	}
	if e.Reason != "" {
		s += " (" + string(e.Reason) + ")"
	}
	return fmt.Sprintf("attempt %d: %s", e.Attempt, s)
}

// decimated passes on, of its camera's frames, the first at or after each
// tick of interval from the first frame's capture time, and closes the
// others: a source at a lower rate, by capture time, as a phone relaying at
// that rate would send it.
type decimated struct {
	devices.Camera
	interval time.Duration
	started  bool
	first    time.Time
	next     time.Duration // the next tick, from first
}

// Read implements devices.Camera.
func (d *decimated) Read(ctx context.Context) (*devices.Frame, error) {
	for {
		f, err := d.Camera.Read(ctx)
		if err != nil {
			return nil, err
		}
		if !d.started {
			d.started, d.first = true, f.Time
		}
		at := f.Time.Sub(d.first)
		if at < d.next {
			f.Close()
			continue
		}
		d.next = (at/d.interval + 1) * d.interval
		return f, nil
	}
}
