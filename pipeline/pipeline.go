// Package pipeline is the gateway's Pipeline over the real capture loop and
// liveness check: the adapter from the vision packages to the gateway's
// contract. internal/daemon wires it into biogated (and into the gateways
// that internal/gatewaytest starts for other packages' tests).
package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// Pipeline implements gateway.Pipeline over the real capture loop and
// liveness check. The models are not safe for concurrent use, and each
// holds its weights and its working memory (megabytes at 640x480), so the
// pipeline loads a few sets at start and lends them frame by frame: a
// session's detection borrows a detector for one frame, its MiniFASNet a
// model pair for one face. Sessions share the sets: memory follows the
// number of sets (about the number of cores), not of sessions.
type Pipeline struct {
	cfg  liveness.Config
	sets chan *modelSet
	all  []*modelSet
}

// modelSet is a face detector and the anti-spoofing models.
type modelSet struct {
	det   *models.FaceDetector
	spoof *models.AntiSpoof
}

// New loads n model sets from dir (n: at most as many frames analysed at
// once; the cores, or a few more); cfg configures every session's check.
// The caller must Close the pipeline after the gateway has shut down.
func New(dir string, n int, cfg liveness.Config) (*Pipeline, error) {
	if n < 1 {
		return nil, fmt.Errorf("pipeline: %d model sets, want at least 1", n)
	}
	p := &Pipeline{cfg: cfg, sets: make(chan *modelSet, n)}
	for range n {
		det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
		if err != nil {
			p.Close()
			return nil, err
		}
		spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: dir})
		if err != nil {
			det.Close()
			p.Close()
			return nil, err
		}
		s := &modelSet{det: det, spoof: spoof}
		p.all = append(p.all, s)
		p.sets <- s
	}
	return p, nil
}

// borrow takes a free set, waiting for one; give it back with p.sets <- s.
// A set is held for one inference (milliseconds), never across frames.
func (p *Pipeline) borrow() *modelSet { return <-p.sets }

// Detect implements capture.Detector on a borrowed set.
func (p *Pipeline) Detect(img gocv.Mat, dst []models.Face) ([]models.Face, error) {
	s := p.borrow()
	defer func() { p.sets <- s }()
	return s.det.Detect(img, dst)
}

// Score implements liveness.AntiSpoofer on a borrowed set.
func (p *Pipeline) Score(img gocv.Mat, box models.Rect) (models.AntiSpoofScore, error) {
	s := p.borrow()
	defer func() { p.sets <- s }()
	return s.spoof.Score(img, box)
}

// Close frees every model set. Call it after the gateway has shut down.
func (p *Pipeline) Close() {
	for _, s := range p.all {
		s.det.Close()
		s.spoof.Close()
	}
	p.all = nil
}

// Run implements gateway.Pipeline.
func (p *Pipeline) Run(ctx context.Context, cam devices.Camera, opt gateway.PipelineOptions, ev gateway.PipelineEvents) (gateway.PipelineOutcome, error) {
	cfg := p.cfg
	cfg.Challenge.Fixed = append(cfg.Challenge.Fixed, opt.Commands...)
	if opt.Attempts > 0 {
		cfg.Challenge.Attempts = opt.Attempts
	}
	if opt.CommandTimeout > 0 {
		cfg.Challenge.CommandTimeout = opt.CommandTimeout
	}
	count := cmp.Or(cfg.Challenge.Count, challenge.DefaultCount)
	if len(cfg.Challenge.Fixed) > 0 {
		count = len(cfg.Challenge.Fixed)
	}
	timeout := cfg.Challenge.CommandTimeout
	if timeout == 0 {
		timeout = challenge.DefaultCommandTimeout
	}
	cfg.OnEvent = func(e challenge.Event) {
		switch e.Kind {
		case challenge.KindBaseline:
			ev.Baseline()
		default:
			if st, ok := commandStatus[e.Kind]; ok {
				ev.Command(gateway.CommandEvent{Status: st, Command: e.Command, Attempt: e.Attempt,
					Index: e.Index, Count: count, Timeout: timeout, Progress: e.Progress, Reason: e.Reason})
			}
		}
	}
	hints := make([]string, 0, 8)
	cfg.Capture.OnFrame = func(r capture.FrameReport) {
		hints = hints[:0]
		for _, h := range r.Hints {
			hints = append(hints, string(h))
		}
		ev.Quality(hints, r.Quality.Score)
	}
	chk, err := liveness.New(cfg, p, p)
	if err != nil {
		return gateway.PipelineOutcome{}, fmt.Errorf("liveness: %w", err)
	}
	defer chk.Close()
	if opt.Preview {
		cam = &previewCamera{Camera: cam, ev: ev}
	}
	res, err := chk.Run(ctx, cam)
	if err != nil {
		var out gateway.PipelineOutcome
		if res != nil && res.Capture != nil {
			out.Capture = captureCounts(res.Capture)
		}
		return out, err
	}
	ev.Passive(res.Passive.Decision, res.Passive.Live, res.Passive.Frames)
	out := gateway.PipelineOutcome{Verdict: res.Verdict, Reasons: res.Reasons, FixedCommands: !res.Challenge.Random,
		Attempts: res.Challenge.Attempts, Commands: commandRecords(res),
		Passive: passiveOutcome(res.Passive), Capture: captureCounts(res.Capture)}
	if b := res.Capture.Best; b != nil {
		out.Token, out.Quality, out.CapturedAt = b.Token, b.Quality.Score, b.Time
		out.Best, out.BestWidth, out.BestHeight = b.JPEG, b.Width, b.Height
	}
	return out, nil
}

// passiveOutcome is the passive verdict with each cue's part, as the
// result document states it.
func passiveOutcome(p liveness.PassiveResult) gateway.PassiveOutcome {
	o := gateway.PassiveOutcome{Decision: p.Decision, PLive: p.Live, Frames: p.Frames, Bias: p.Bias, DecidedBy: p.DecidedBy}
	for _, c := range p.Cues {
		o.Cues = append(o.Cues, gateway.CueOutcome{Name: c.Name, Score: c.Score, Weight: c.Weight,
			Contribution: c.Contribution, Available: c.Available})
	}
	return o
}

// commandStatus maps the challenge's events about a command to the
// statuses the gateway reports; other events are not about one command.
var commandStatus = map[challenge.Kind]outcome.CommandStatus{
	challenge.KindIssued:   outcome.CommandIssued,
	challenge.KindProgress: outcome.CommandProgress,
	challenge.KindPassed:   outcome.CommandPassed,
	challenge.KindFailed:   outcome.CommandFailed,
}

// commandRecords lists every command of every attempt for the result
// document, with the frame of peak response of each passed command of the
// last attempt (the frames liveness keeps).
func commandRecords(res *liveness.Result) []gateway.CommandRecord {
	var recs []gateway.CommandRecord
	for a, cmds := range res.Challenge.Commands {
		for i, c := range cmds {
			r := gateway.CommandRecord{Attempt: a + 1, Index: i, Command: c.Command, Outcome: c.Outcome,
				Reason: c.Reason, Progress: min(c.Peak, 1)}
			if c.Outcome == outcome.CommandPending { // never signed: the session ended first
				r.Outcome = outcome.CommandInterrupted
			}
			for _, f := range res.Frames {
				if f.Attempt == a+1 && f.Command == c.Command && c.Outcome == challenge.OutcomePassed {
					if cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.JPEG)); err == nil {
						r.JPEG, r.Width, r.Height = f.JPEG, cfg.Width, cfg.Height
					}
				}
			}
			recs = append(recs, r)
		}
	}
	return recs
}

// previewCamera hands the frames of its Camera on unchanged and offers
// downscaled JPEG copies of some of them to ev.Preview, at most
// protocol.PreviewMaxPerSecond, from the reading goroutine.
type previewCamera struct {
	devices.Camera
	ev   gateway.PipelineEvents
	last time.Time
	buf  bytes.Buffer
}

// Read implements devices.Camera; the caller owns the frame as before.
func (c *previewCamera) Read(ctx context.Context) (*devices.Frame, error) {
	f, err := c.Camera.Read(ctx)
	if err != nil || time.Since(c.last) < time.Second/protocol.PreviewMaxPerSecond {
		return f, err
	}
	c.last = time.Now()
	if img := previewImage(f); img != nil {
		c.buf.Reset()
		if jpeg.Encode(&c.buf, img, &jpeg.Options{Quality: 70}) == nil {
			b := img.Bounds()
			c.ev.Preview(c.buf.Bytes(), b.Dx(), b.Dy())
		}
	}
	return f, nil
}

// previewImage downscales f by nearest neighbour to at most
// protocol.PreviewMaxWidth pixels wide; nil for a frame it cannot read.
func previewImage(f *devices.Frame) image.Image {
	if f.Validate() != nil {
		return nil
	}
	var at func(x, y int) color.RGBA
	w, h := f.Width, f.Height
	switch f.Format {
	case devices.BGR24:
		at = func(x, y int) color.RGBA {
			p := f.Data[y*f.Stride+3*x:]
			return color.RGBA{p[2], p[1], p[0], 255}
		}
	case devices.Gray8:
		at = func(x, y int) color.RGBA {
			v := f.Data[y*f.Stride+x]
			return color.RGBA{v, v, v, 255}
		}
	case devices.JPEG:
		src, err := jpeg.Decode(bytes.NewReader(f.Data))
		if err != nil {
			return nil
		}
		b := src.Bounds()
		w, h = b.Dx(), b.Dy()
		at = func(x, y int) color.RGBA {
			return color.RGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
		}
	default:
		return nil
	}
	step := (w + protocol.PreviewMaxWidth - 1) / protocol.PreviewMaxWidth
	if w <= 0 || h <= 0 || step < 1 {
		return nil
	}
	out := image.NewRGBA(image.Rect(0, 0, w/step, h/step))
	for y := range h / step {
		for x := range w / step {
			out.SetRGBA(x, y, at(x*step, y*step))
		}
	}
	return out
}

// captureCounts are the frames the capture loop read and did not analyse.
func captureCounts(r *capture.Result) gateway.CaptureCounts {
	return gateway.CaptureCounts{Dropped: r.Dropped, Discarded: r.Discarded, Undecodable: r.BadFrames}
}
