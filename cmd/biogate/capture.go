package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"  // v4l2:, gst:, file:
	_ "github.com/biogate/biogate/devices/imagedir" // dir:
	"github.com/biogate/biogate/models"
)

// captureReport is the JSON printed by `biogate capture --json`.
type captureReport struct {
	Source struct {
		Backend string  `json:"backend"`
		Width   int     `json:"width"`
		Height  int     `json:"height"`
		FPS     float64 `json:"fps"`
	} `json:"source"`
	*capture.Result
	ElapsedMS float64 `json:"elapsed_ms"`
}

func runCapture(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "frame source: v4l2:PATH|INDEX, gst:PIPELINE, file:PATH (a video), dir:PATH (one image per frame)")
	asJSON := fs.Bool("json", false, "print one JSON report on stdout instead of text")
	out := fs.String("out", "", "write best.jpg and token.jpg (token-frontal crop) into this folder")
	timeout := fs.Duration("timeout", capture.DefaultTimeout, "stop after this long with the best frame so far")
	minQuality := fs.Float64("min-quality", capture.DefaultMinQuality, "stop as soon as a frame reaches this unified quality score (0-100)")
	maxFrames := fs.Int("max-frames", 0, "stop after this many frames (0: no limit)")
	modelsDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	detectWidth := fs.Int("detect-width", 0, "downscale frames to this width for face detection (default 320)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate capture --source SRC [--json] [--out DIR] [--timeout D] [--min-quality N]")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *source == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: models.Dir(*modelsDir), MaxWidth: *detectWidth})
	if err != nil {
		fmt.Fprintf(stderr, "biogate capture: %v\n", err)
		return exitFailure
	}
	defer det.Close()

	cam, err := devices.OpenCamera(ctx, *source)
	if err != nil {
		fmt.Fprintf(stderr, "biogate capture: %v\n", err)
		return exitFailure
	}
	defer cam.Close()

	cfg := capture.Config{MinQuality: *minQuality, Timeout: *timeout, MaxFrames: *maxFrames}
	if *minQuality == 0 {
		cfg.MinQuality = 0.001 // the flag's 0 means "any usable frame"
	}
	progress := !*asJSON && isTerminal(stderr)
	if progress {
		var last time.Time
		cfg.OnFrame = func(r capture.FrameReport) {
			if time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(stderr, "\r\033[Kframe %-5d score %5.1f  best %5.1f  %s", r.Seq, r.Quality.Score, r.BestScore, hintText(r.Hints))
		}
	}
	loop, err := capture.New(cfg, det)
	if err != nil {
		fmt.Fprintf(stderr, "biogate capture: %v\n", err)
		return exitUsage
	}
	defer loop.Close()

	res, err := loop.Run(ctx, cam)
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "biogate capture: %v\n", err)
		return exitFailure
	}

	if *out != "" && res.Best != nil {
		if err := writeImages(*out, res.Best); err != nil {
			fmt.Fprintf(stderr, "biogate capture: %v\n", err)
			return exitFailure
		}
	}

	rep := captureReport{Result: res, ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000}
	info := cam.Info()
	rep.Source.Backend, rep.Source.Width, rep.Source.Height, rep.Source.FPS = info.Backend, info.Width, info.Height, info.FPS
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "biogate capture: %v\n", err)
			return exitFailure
		}
	} else {
		printText(stdout, &rep, *out)
	}
	if res.Best == nil {
		return exitNoResult
	}
	return exitOK
}

func writeImages(dir string, b *capture.Best) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"best.jpg": b.JPEG, "token.jpg": b.Token} {
		// Biometric images: readable by the owner only.
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func printText(w io.Writer, rep *captureReport, out string) {
	r := rep.Result
	fmt.Fprintf(w, "outcome       %s (stopped: %s)\n", r.Outcome, r.Stop)
	fmt.Fprintf(w, "frames        %d scored, %d with one face, %d dropped, %d bad\n", r.Frames, r.FacesDetected, r.Dropped, r.BadFrames)
	fmt.Fprintf(w, "per frame     p50 %.2f ms  p90 %.2f ms  p99 %.2f ms\n", r.PerFrameMS.P50, r.PerFrameMS.P90, r.PerFrameMS.P99)
	if r.Best == nil {
		fmt.Fprintln(w, "best          none: no frame with exactly one face")
		return
	}
	b := r.Best
	q := b.Quality
	fmt.Fprintf(w, "best          frame %d, score %.1f (threshold %.1f)\n", b.FrameIndex, q.Score, r.MinQuality)
	rows := []struct {
		name string
		m    capture.Measure
		unit string
	}{
		{"sharpness", q.Sharpness, ""}, {"luminance", q.LuminanceMean, "/255"}, {"spread", q.LuminanceSpread, ""},
		{"under-exposed", q.UnderExposure, ""}, {"over-exposed", q.OverExposure, ""}, {"eye distance", q.InterEye, "px"},
		{"yaw", q.Yaw, "deg"}, {"pitch", q.Pitch, "deg"}, {"roll", q.Roll, "deg"},
		{"face size", q.FaceSize, "of width"}, {"centring", q.Centring, ""}, {"faces", q.Faces, ""},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %-13s %8.2f %-8s score %5.1f\n", row.name, row.m.Value, row.unit, row.m.Score)
	}
	fmt.Fprintf(w, "hints         %s\n", hintText(b.Hints))
	if out != "" {
		fmt.Fprintf(w, "written       %s, %s\n", filepath.Join(out, "best.jpg"), filepath.Join(out, "token.jpg"))
	}
}

func hintText(h []capture.Hint) string {
	if len(h) == 0 {
		return "ok"
	}
	s := make([]string, len(h))
	for i, x := range h {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
