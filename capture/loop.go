package capture

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/models"
)

// Defaults of Config.
const (
	DefaultMinQuality  = 60
	DefaultTimeout     = 10 * time.Second
	DefaultQueueSize   = 2
	DefaultJPEGQuality = 92
)

// Config of a capture Loop. Zero fields take the defaults above.
type Config struct {
	// MinQuality is the unified score (0-100) at which capture stops at once
	// with that frame (MOSIP SBI's requestedScore). Above 100 it is never
	// reached and the loop runs to the timeout.
	MinQuality float64
	// Timeout bounds one Run; when it passes, the best frame so far is the
	// result (MOSIP SBI's timeout).
	Timeout time.Duration
	// MaxFrames stops after this many frames were scored (0: no limit).
	MaxFrames int
	// QueueSize is the capacity of the queue between camera and scoring.
	QueueSize int
	// TokenWidth is the width of the token-frontal crop in pixels.
	TokenWidth int
	// JPEGQuality for the best frame and the token crop, 1-100.
	JPEGQuality int
	// OnFrame, if set, is called from Run's goroutine after each scored
	// frame. It must return quickly and must not keep the report's slices.
	OnFrame func(FrameReport)
}

// Observer watches the frames of a RunObserved, in its goroutine, right
// after each frame's analysis. img is the frame as BGR and an its analysis, both valid
// only during the call: copy what must outlive it. Returning done ends the
// run (StopObserver); an error ends Run with that error. Its time counts in
// the per-frame figures. It may append hints to an.Hints (liveness adds
// turn_to_camera while it waits for a frontal face): the frame's
// FrameReport carries them.
type Observer interface {
	ObserveFrame(img gocv.Mat, f *devices.Frame, an *Analysis) (done bool, err error)
}

func (c *Config) setDefaults() error {
	if c.MinQuality == 0 {
		c.MinQuality = DefaultMinQuality
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.TokenWidth == 0 {
		c.TokenWidth = DefaultTokenWidth
	}
	if c.JPEGQuality == 0 {
		c.JPEGQuality = DefaultJPEGQuality
	}
	switch {
	case c.MinQuality < 0:
		return fmt.Errorf("capture: MinQuality %v below 0", c.MinQuality)
	case c.Timeout < 0:
		return fmt.Errorf("capture: negative Timeout %v", c.Timeout)
	case c.MaxFrames < 0:
		return fmt.Errorf("capture: negative MaxFrames %d", c.MaxFrames)
	case c.QueueSize < 1:
		return fmt.Errorf("capture: QueueSize %d below 1", c.QueueSize)
	case c.TokenWidth < 32:
		return fmt.Errorf("capture: TokenWidth %d below 32", c.TokenWidth)
	case c.JPEGQuality < 1 || c.JPEGQuality > 100:
		return fmt.Errorf("capture: JPEGQuality %d outside 1-100", c.JPEGQuality)
	}
	return nil
}

// FrameReport is the progress of one scored frame. Hints is only valid
// during the OnFrame call.
type FrameReport struct {
	Seq       uint64
	Faces     int // faces detected, including non-subjects
	Quality   Quality
	Hints     []Hint
	BestScore float64 // best unified score so far
	Elapsed   time.Duration
}

// Outcome of a Run, as a value: low quality is not an error.
type Outcome string

const (
	// Reached: a frame reached MinQuality; it is the best frame.
	Reached Outcome = "reached"
	// BestSoFar: the run ended (timeout, end of a recording, frame limit)
	// before any frame reached MinQuality; the best frame seen is returned.
	BestSoFar Outcome = "best_so_far"
	// NoUsableFrame: no frame had exactly one face; there is no best frame.
	NoUsableFrame Outcome = "no_usable_frame"
)

// StopReason says why a Run stopped.
type StopReason string

const (
	StopThreshold   StopReason = "threshold"
	StopTimeout     StopReason = "timeout"
	StopEndOfStream StopReason = "end_of_stream"
	StopMaxFrames   StopReason = "max_frames"
	StopObserver    StopReason = "observer"
)

// Best is the selected frame.
type Best struct {
	// FrameIndex is the source's sequence number of the frame.
	FrameIndex uint64    `json:"frame_index"`
	Time       time.Time `json:"time"`
	Quality    Quality   `json:"quality"`
	Hints      []Hint    `json:"hints"`
	// Face is the subject face in the frame's pixel coordinates.
	Face models.Face `json:"face"`
	// Width and Height of the frame.
	Width  int `json:"width"`
	Height int `json:"height"`
	// JPEG is the whole frame; Token the token-frontal crop. Biometric data:
	// never log them.
	JPEG  []byte `json:"-"`
	Token []byte `json:"-"`
}

// Result of a Run.
type Result struct {
	Outcome Outcome    `json:"outcome"`
	Stop    StopReason `json:"stop"`
	// Frames is the number of frames scored.
	Frames int `json:"frames"`
	// FacesDetected is the number of frames with exactly one subject face.
	FacesDetected int `json:"faces_detected"`
	// Dropped counts frames the queue discarded to stay fresh (the
	// analysis was busy: for liveness, with the previous frame).
	Dropped int `json:"dropped"`
	// Discarded counts frames read from the camera but never scored
	// because the run ended first (the decision was made, or the time was
	// up). Frames + Dropped + Discarded + BadFrames is every frame read.
	Discarded int `json:"discarded"`
	// BadFrames counts frames that could not be decoded and were skipped.
	BadFrames  int           `json:"bad_frames"`
	Best       *Best         `json:"best"`
	PerFrameMS Percentiles   `json:"per_frame_ms"`
	Elapsed    time.Duration `json:"-"`
	MinQuality float64       `json:"min_quality"`
}

// Loop is the face capture loop: it reads a camera, scores every frame it
// can keep up with, and selects the best. Runs are sequential: a Loop is not
// safe for concurrent use. Close frees its native memory.
type Loop struct {
	cfg  Config
	an   *Analyzer
	hist latencyHist

	scratch   gocv.Mat // grey-to-BGR conversions
	best      gocv.Mat // copy of the best frame so far
	bestScore float64  // its unified score; -1 before the first usable frame
	cur       Analysis // the frame being observed
	token     gocv.Mat
}

// New makes a loop that detects with det (used, not owned).
func New(cfg Config, det Detector) (*Loop, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	an, err := NewAnalyzer(det)
	if err != nil {
		return nil, err
	}
	return &Loop{cfg: cfg, an: an, scratch: gocv.NewMat(), best: gocv.NewMat(), token: gocv.NewMat()}, nil
}

// Close frees the loop's Mats. It is idempotent.
func (l *Loop) Close() error {
	if l.an == nil {
		return nil
	}
	l.an.Close()
	l.an = nil
	l.scratch.Close()
	l.best.Close()
	l.token.Close()
	return nil
}

// Run captures from cam until a frame reaches MinQuality, the timeout
// passes, the source ends or MaxFrames were scored, and returns the result.
// It starts one reader goroutine and returns only after it has exited; every
// frame read is closed before Run returns. cam is used, not closed.
//
// Errors are for failures only: a cancelled ctx, a camera that fails or
// disconnects (wrapping the devices sentinel). Not reaching the threshold or
// seeing no face is an Outcome. With an error, the Result is nil, or, once
// the camera was read, holds only the frame counts (Frames, FacesDetected,
// Dropped, Discarded, BadFrames), so every frame read is accounted for.
func (l *Loop) Run(ctx context.Context, cam devices.Camera) (*Result, error) {
	return l.RunObserved(ctx, cam, nil)
}

// RunObserved is Run with an observer (liveness runs this way) that sees
// every scored frame. With an observer, reaching MinQuality does not end the
// run; the observer, the timeout or the source does. The best frame is still
// selected. obs is used only during the call.
func (l *Loop) RunObserved(ctx context.Context, cam devices.Camera, obs Observer) (out *Result, err error) {
	if l.an == nil {
		return nil, errors.New("capture: loop closed")
	}
	start := time.Now()
	l.hist.reset()
	l.bestScore = -1
	res := &Result{MinQuality: l.cfg.MinQuality}

	rctx, cancel := context.WithCancel(ctx)
	q := newFrameQueue(l.cfg.QueueSize, cam.Info().Live)
	var badRead int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			f, err := cam.Read(rctx)
			if errors.Is(err, devices.ErrBadFrame) {
				badRead++
				continue
			}
			if err != nil {
				q.finish(err)
				return
			}
			if !q.push(rctx, f) {
				q.finish(rctx.Err())
				return
			}
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
		q.drain()
		if err != nil { // the frames read are still accounted for
			out = &Result{Frames: res.Frames, FacesDetected: res.FacesDetected, Dropped: int(q.dropped.Load()),
				Discarded: int(q.discarded.Load()), BadFrames: res.BadFrames + badRead, MinQuality: res.MinQuality}
		}
	}()

	timer := time.NewTimer(l.cfg.Timeout)
	defer timer.Stop()

	var (
		best     Best
		haveBest bool
	)
	stop := StopReason("")
loop:
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("capture: %w", ctx.Err())
		case <-timer.C:
			stop = StopTimeout
			break loop
		case f, ok := <-q.ch:
			if !ok {
				if errors.Is(q.err, devices.ErrEndOfStream) {
					stop = StopEndOfStream
					break loop
				}
				if ctx.Err() != nil {
					return nil, fmt.Errorf("capture: %w", ctx.Err())
				}
				return nil, fmt.Errorf("capture: camera: %w", q.err)
			}
			an, bestNow, observerDone, err := l.score(f, obs)
			if err != nil {
				f.Close()
				if errors.Is(err, devices.ErrBadFrame) {
					res.BadFrames++
					continue
				}
				q.discarded.Add(1)
				return nil, err
			}
			res.Frames++
			if an.Quality.Faces.Value == 1 {
				res.FacesDetected++
			}
			if bestNow {
				face, _ := an.SubjectFace()
				best = Best{
					FrameIndex: f.Seq, Time: f.Time, Quality: an.Quality, Face: face,
					Hints: append(best.Hints[:0], an.Hints...), Width: l.best.Cols(), Height: l.best.Rows(),
				}
				haveBest = true
			}
			seq := f.Seq
			f.Close()
			if l.cfg.OnFrame != nil {
				bs := 0.0
				if haveBest {
					bs = best.Quality.Score
				}
				l.cfg.OnFrame(FrameReport{Seq: seq, Faces: len(an.Faces), Quality: an.Quality, Hints: an.Hints, BestScore: bs, Elapsed: time.Since(start)})
			}
			if observerDone {
				stop = StopObserver
				break loop
			}
			if obs == nil && haveBest && best.Quality.Score >= l.cfg.MinQuality {
				stop = StopThreshold
				break loop
			}
			if l.cfg.MaxFrames > 0 && res.Frames >= l.cfg.MaxFrames {
				stop = StopMaxFrames
				break loop
			}
		}
	}

	res.Stop = stop
	res.Dropped = int(q.dropped.Load()) // while the loop ran
	res.PerFrameMS = l.hist.percentiles()
	res.Outcome = NoUsableFrame
	if haveBest {
		res.Outcome = BestSoFar
		if best.Quality.Score >= l.cfg.MinQuality {
			res.Outcome = Reached
		}
		var err error
		if best.JPEG, err = EncodeJPEG(l.best, l.cfg.JPEGQuality); err != nil {
			return nil, err
		}
		if err = TokenFrontal(l.best, best.Face, l.cfg.TokenWidth, &l.token); err != nil {
			return nil, err
		}
		if best.Token, err = EncodeJPEG(l.token, l.cfg.JPEGQuality); err != nil {
			return nil, err
		}
		res.Best = &best
	}
	res.Elapsed = time.Since(start)
	// The reader's counts are safe to read once it has exited; what it
	// queued and the loop never took is discarded.
	cancel()
	wg.Wait()
	q.drain()
	res.BadFrames += badRead
	// Frames the reader dropped from the full queue after the loop had
	// stopped taking them were dropped after the decision: discarded.
	res.Discarded = int(q.discarded.Load()) + int(q.dropped.Load()) - res.Dropped
	return res, nil
}

// score analyses one frame, keeping a copy of it if it is the best so far
// (a usable frame, exactly one face, with a higher score than before), and
// shows it to the observer, which may end the run.
func (l *Loop) score(f *devices.Frame, obs Observer) (an Analysis, isBest, done bool, err error) {
	m, err := frameMat(f, &l.scratch)
	if err != nil {
		return Analysis{}, false, false, err
	}
	defer m.Close()
	t0 := time.Now()
	an, err = l.an.Analyze(m)
	if err != nil {
		return Analysis{}, false, false, err
	}
	isBest = an.Quality.Score > 0 && an.Quality.Score > l.bestScore
	if isBest {
		m.CopyTo(&l.best)
		l.bestScore = an.Quality.Score
	}
	if obs != nil {
		l.cur = an // handed by pointer without escaping a per-frame copy
		if done, err = obs.ObserveFrame(m, f, &l.cur); err != nil {
			return Analysis{}, false, false, err
		}
		an.Hints = l.cur.Hints
	}
	l.hist.add(time.Since(t0))
	return an, isBest, done, nil
}
