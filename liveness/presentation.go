package liveness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
)

// PresentationScorer scores presentations passively, one at a time, the way
// a session decides passively: an image is one frame, a clip is every frame
// through the capture loop. It serves evaluation (biogate pad-eval). Not safe
// for concurrent use; Close frees its native memory.
type PresentationScorer struct {
	cfg   PassiveConfig
	cues  func() []Cue // added cues, new ones per presentation; nil: none
	spoof AntiSpoofer
	an    *capture.Analyzer
	loop  *capture.Loop
}

// NewPresentationScorer uses det and spoof without owning them. cfg applies
// to clips; an image is scored with MinFrames 1. cues, if not nil, returns
// the cues fused after the built-in ones, as Config.Cues does for a
// session: called once here to validate them and once per presentation,
// it must return new cues each time.
func NewPresentationScorer(cfg PassiveConfig, det capture.Detector, spoof AntiSpoofer, cues func() []Cue) (*PresentationScorer, error) {
	s := &PresentationScorer{cfg: cfg, cues: cues, spoof: spoof}
	p, err := s.newPassive(cfg)
	if err != nil {
		return nil, err
	}
	p.Close()
	an, err := capture.NewAnalyzer(det)
	if err != nil {
		return nil, err
	}
	// A clip is scored to its end: an unreachable quality threshold and no
	// timeout to speak of.
	loop, err := capture.New(capture.Config{MinQuality: 101, Timeout: time.Hour}, det)
	if err != nil {
		an.Close()
		return nil, err
	}
	s.an, s.loop = an, loop
	return s, nil
}

// newPassive is a Passive with cfg and the scorer's cues.
func (s *PresentationScorer) newPassive(cfg PassiveConfig) (*Passive, error) {
	var extra []Cue
	if s.cues != nil {
		extra = s.cues()
	}
	return NewPassive(cfg, s.spoof, extra...)
}

// Close frees the scorer. It is idempotent.
func (s *PresentationScorer) Close() error {
	s.an.Close()
	return s.loop.Close()
}

// ScoreImage scores one still image (BGR, not kept) as one presentation.
func (s *PresentationScorer) ScoreImage(img gocv.Mat) (PassiveResult, error) {
	cfg := s.cfg
	cfg.MinFrames = 1
	p, err := s.newPassive(cfg)
	if err != nil {
		return PassiveResult{}, err
	}
	defer p.Close()
	an, err := s.an.Analyze(img)
	if err != nil {
		return PassiveResult{}, err
	}
	if _, err := p.Observe(img, &an, time.Now()); err != nil {
		return PassiveResult{}, err
	}
	return p.Result(), nil
}

// ScoreCamera scores every frame of cam (a clip, a folder) as one
// presentation. cam is used, not closed.
func (s *PresentationScorer) ScoreCamera(ctx context.Context, cam devices.Camera) (PassiveResult, error) {
	p, err := s.newPassive(s.cfg)
	if err != nil {
		return PassiveResult{}, err
	}
	defer p.Close()
	if _, err := s.loop.RunObserved(ctx, cam, passiveObserver{p}); err != nil {
		return PassiveResult{}, err
	}
	return p.Result(), nil
}

// passiveObserver feeds a capture run's frames to a passive scorer only.
type passiveObserver struct{ p *Passive }

func (o passiveObserver) ObserveFrame(img gocv.Mat, f *devices.Frame, an *capture.Analysis) (bool, error) {
	_, err := o.p.ObserveFrame(img, f, an)
	return false, err
}

// Segment returns a camera that plays only the frames of cam whose time,
// measured from cam's first frame, lies in [from, to) (to <= 0: to the end).
// It closes the frames it skips and ends with devices.ErrEndOfStream after
// to. Closing it closes cam.
func Segment(cam devices.Camera, from, to time.Duration) (devices.Camera, error) {
	if from < 0 || (to > 0 && to <= from) {
		return nil, fmt.Errorf("liveness: segment [%v, %v) is empty", from, to)
	}
	return &segment{Camera: cam, from: from, to: to}, nil
}

type segment struct {
	devices.Camera
	from, to time.Duration
	start    time.Time
	ended    bool
}

func (s *segment) Read(ctx context.Context) (*devices.Frame, error) {
	for {
		if s.ended {
			return nil, devices.ErrEndOfStream
		}
		f, err := s.Camera.Read(ctx)
		if err != nil {
			if errors.Is(err, devices.ErrBadFrame) && s.start.IsZero() {
				continue
			}
			return nil, err
		}
		if s.start.IsZero() {
			s.start = f.Time
		}
		at := f.Time.Sub(s.start)
		if s.to > 0 && at >= s.to {
			f.Close()
			s.ended = true
			return nil, devices.ErrEndOfStream
		}
		if at < s.from {
			f.Close()
			continue
		}
		return f, nil
	}
}
