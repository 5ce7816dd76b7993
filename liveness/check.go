package liveness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/outcome"
)

// Verdict of a liveness check, as a value in the words of package outcome:
// a spoof or a refusal is an outcome, not an error.
type Verdict = outcome.Liveness

const (
	// Live: every command of an attempt passed and the passive signals say
	// live.
	Live = outcome.Live
	// Spoof: the passive signals say a photo, print or screen is presented.
	Spoof = outcome.LivenessSpoof
	// Refused: the attempts were used up without passing the commands.
	Refused = outcome.LivenessRefused
	// Undecided: the session ended (timeout, end of a recording) before
	// either; the calling app may start a new session.
	Undecided = outcome.Undecided
)

// Defaults of Config.
const (
	DefaultSessionTimeout = 90 * time.Second
	DefaultJPEGQuality    = 90
)

// Config of a Checker. Zero values take the defaults of each part.
type Config struct {
	Challenge challenge.Config
	Passive   PassiveConfig
	// Capture configures the loop underneath; its Timeout bounds the whole
	// session [DefaultSessionTimeout].
	Capture capture.Config
	// JPEGQuality of the command frames kept for the result document.
	JPEGQuality int
	// OnEvent, if set, receives every challenge event as it happens, in the
	// capture loop's goroutine. It must return quickly.
	OnEvent func(challenge.Event)
	// Cues, if set, returns the cues fused after the built-in ones (see
	// NewPassive). It is called once per Run, and once by New to
	// validate them, and must return new cues each time: cues keep a
	// session's state. Run calls EndSession on those that are Enders when
	// the session has ended.
	Cues func() []Cue
}

// extraCues returns the configured added cues (none without Cues).
func (c *Config) extraCues() []Cue {
	if c.Cues == nil {
		return nil
	}
	return c.Cues()
}

// CommandFrame is the frame of peak response to one passed command, kept
// for the result document (the rules require the image of the person
// performing each command). JPEG is biometric data: never log it.
type CommandFrame struct {
	Command challenge.Command `json:"command"`
	Attempt int               `json:"attempt"`
	Seq     uint64            `json:"seq"`
	Time    time.Time         `json:"time"`
	JPEG    []byte            `json:"-"`
}

// Result of a liveness check.
type Result struct {
	Verdict Verdict `json:"verdict"`
	// Reasons say why, as stable identifiers (e.g. "passive_spoof",
	// "attempts_exhausted", "timeout", "source_ended").
	Reasons   []outcome.Reason `json:"reasons"`
	Challenge challenge.Result `json:"challenge"`
	Passive   PassiveResult    `json:"passive"`
	// Frames holds the peak frame of each passed command of the last
	// attempt, in command order.
	Frames []CommandFrame `json:"frames"`
	// Capture is the capture loop's result: the best frame for matching.
	Capture *capture.Result `json:"capture"`
}

// Checker runs liveness checks: the active challenge and the passive
// signals on one capture loop. Runs are sequential; not safe for concurrent
// use. Close frees its native memory.
type Checker struct {
	cfg   Config
	loop  *capture.Loop
	spoof AntiSpoofer
}

// New makes a checker over det and spoof, which it uses but does not own.
func New(cfg Config, det capture.Detector, spoof AntiSpoofer) (*Checker, error) {
	if spoof == nil {
		return nil, errors.New("liveness: nil anti-spoofing model")
	}
	if cfg.Capture.Timeout == 0 {
		cfg.Capture.Timeout = DefaultSessionTimeout
	}
	if cfg.JPEGQuality == 0 {
		cfg.JPEGQuality = DefaultJPEGQuality
	}
	if cfg.JPEGQuality < 1 || cfg.JPEGQuality > 100 {
		return nil, fmt.Errorf("liveness: JPEGQuality %d outside 1-100", cfg.JPEGQuality)
	}
	// Validate the parts' configurations now rather than at the first run.
	if _, err := challenge.New(cfg.Challenge); err != nil {
		return nil, err
	}
	p, err := NewPassive(cfg.Passive, spoof, cfg.extraCues()...)
	if err != nil {
		return nil, err
	}
	p.Close()
	loop, err := capture.New(cfg.Capture, det)
	if err != nil {
		return nil, err
	}
	return &Checker{cfg: cfg, loop: loop, spoof: spoof}, nil
}

// Close frees the checker's native memory. It is idempotent.
func (c *Checker) Close() error { return c.loop.Close() }

// Run checks liveness on cam until the challenge ends (passed or refused),
// the session times out or the source ends. It returns only after every
// goroutine it started has exited; cam is used, not closed. Errors are for
// failures (a cancelled ctx, a failing camera); spoofs and refusals are
// verdicts. With an error, the Result is nil or holds only Capture's frame
// counts.
func (c *Checker) Run(ctx context.Context, cam devices.Camera) (*Result, error) {
	ch, err := challenge.New(c.cfg.Challenge)
	if err != nil {
		return nil, err
	}
	cues := c.cfg.extraCues()
	passive, err := NewPassive(c.cfg.Passive, c.spoof, cues...)
	if err != nil {
		return nil, err
	}
	defer passive.Close()
	defer endSession(cues) // after the result is made: a session never matches itself
	s := &session{ch: ch, passive: passive, onEvent: c.cfg.OnEvent, peaks: map[peakKey]*peak{}}
	defer s.close()

	cres, err := c.loop.RunObserved(ctx, cam, s)
	if err != nil {
		if cres != nil { // the frame counts, for the caller's accounting
			return &Result{Capture: cres}, err
		}
		return nil, err
	}
	res := &Result{Challenge: ch.Result(), Passive: passive.Result(), Capture: cres}
	if res.Frames, err = s.commandFrames(res.Challenge, c.cfg.JPEGQuality); err != nil {
		return nil, err
	}
	res.Verdict, res.Reasons = decide(res, cres.Stop)
	return res, nil
}

// endSession tells the cues that are Enders that their session has ended.
func endSession(cues []Cue) {
	for _, c := range cues {
		if e, ok := c.(Ender); ok {
			e.EndSession()
		}
	}
}

// decide combines the challenge and the passive outcome. A passive spoof
// wins over everything: a presentation attack is the most important thing to
// report. Then a refusal; live needs both the challenge and the passive
// signals.
func decide(r *Result, stop capture.StopReason) (Verdict, []outcome.Reason) {
	switch {
	case r.Passive.Decision == DecisionSpoof && r.Passive.Reason != "":
		return Spoof, []outcome.Reason{r.Passive.Reason}
	case r.Passive.Decision == DecisionSpoof:
		return Spoof, []outcome.Reason{outcome.ReasonPassiveSpoof}
	case r.Challenge.Refused:
		return Refused, []outcome.Reason{outcome.ReasonAttemptsExhausted}
	case r.Challenge.Passed && r.Passive.Decision == DecisionLive:
		return Live, []outcome.Reason{}
	case r.Challenge.Passed:
		return Undecided, []outcome.Reason{outcome.ReasonPassiveUndecided}
	case stop == capture.StopTimeout:
		return Undecided, []outcome.Reason{outcome.ReasonTimeout}
	}
	return Undecided, []outcome.Reason{outcome.ReasonSourceEnded}
}

type peakKey struct {
	attempt, index int
}

type peak struct {
	seq uint64
	t   time.Time
	img gocv.Mat
}

// session is one run's observer: it feeds the passive scorer and the
// challenge with every frame and keeps a copy of each command's peak frame.
type session struct {
	ch      *challenge.Challenge
	passive *Passive
	onEvent func(challenge.Event)
	events  []challenge.Event
	peaks   map[peakKey]*peak
}

// ObserveFrame implements capture.Observer.
func (s *session) ObserveFrame(img gocv.Mat, f *devices.Frame, an *capture.Analysis) (bool, error) {
	if _, err := s.passive.ObserveFrame(img, f, an); err != nil {
		return false, err
	}
	s.events = s.ch.Step(SampleOf(f, an), s.events[:0])
	if s.ch.Waiting() && !slices.Contains(an.Hints, capture.HintTurnToCamera) {
		// A steady face, turned or tilted: the first command waits until
		// the person looks at the camera, and is told so.
		an.Hints = append(an.Hints, capture.HintTurnToCamera)
	}
	for _, e := range s.events {
		if e.Kind == challenge.KindProgress && e.Peak {
			k := peakKey{e.Attempt, e.Index}
			p := s.peaks[k]
			if p == nil {
				p = &peak{img: gocv.NewMat()}
				s.peaks[k] = p
			}
			img.CopyTo(&p.img)
			p.seq, p.t = f.Seq, f.Time
		}
		if s.onEvent != nil {
			s.onEvent(e)
		}
	}
	return s.ch.Done(), nil
}

// commandFrames encodes the peak frames of the passed commands of the last
// attempt.
func (s *session) commandFrames(r challenge.Result, quality int) ([]CommandFrame, error) {
	if len(r.Commands) == 0 {
		return nil, nil
	}
	attempt := len(r.Commands)
	var out []CommandFrame
	for i, cmd := range r.Commands[attempt-1] {
		if cmd.Outcome != challenge.OutcomePassed {
			continue
		}
		p := s.peaks[peakKey{attempt, i}]
		if p == nil || p.img.Empty() {
			continue
		}
		jpeg, err := capture.EncodeJPEG(p.img, quality)
		if err != nil {
			return nil, err
		}
		out = append(out, CommandFrame{Command: cmd.Command, Attempt: attempt, Seq: p.seq, Time: p.t, JPEG: jpeg})
	}
	return out, nil
}

func (s *session) close() {
	for _, p := range s.peaks {
		p.img.Close()
	}
}

// SampleOf turns a frame's analysis into the challenge's measurements.
func SampleOf(f *devices.Frame, an *capture.Analysis) challenge.Sample {
	s := challenge.Sample{Seq: f.Seq, Time: f.Time, Faces: int(an.Quality.Faces.Value)}
	face, ok := an.SubjectFace()
	if !ok {
		s.Faces = 0
		return s
	}
	s.BoxX, s.BoxY, s.BoxW, s.BoxH = float64(face.Box.X), float64(face.Box.Y), float64(face.Box.W), float64(face.Box.H)
	s.Yaw, s.Pitch, s.Roll = an.Geometry.Yaw, an.Geometry.Pitch, an.Geometry.Roll
	s.InterEye = an.Geometry.InterEye
	return s
}
