package attack

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// Species names an attack.
type Species string

// The species.
const (
	// Warp: 2D warps of a still photo following the commands.
	Warp Species = "warp"
	// Print: Warp on a print-like copy of the photo.
	Print Species = "print"
	// Screen: Warp on a screen-like copy, with moiré and glare.
	Screen Species = "screen"
	// Still: the photo, not moving, with noise and hand shake.
	Still Species = "still"
	// Replay: a recorded genuine clip replayed in real time.
	Replay Species = "replay"
)

// AllSpecies lists every species.
func AllSpecies() []Species { return []Species{Warp, Print, Screen, Still, Replay} }

// ErrSpecies: an unknown species.
var ErrSpecies = errors.New("attack: unknown species (want warp, print, screen, still or replay)")

// ParseSpecies returns the species s names.
func ParseSpecies(s string) (Species, error) {
	for _, sp := range AllSpecies() {
		if string(sp) == s {
			return sp, nil
		}
	}
	return "", fmt.Errorf("%q: %w", s, ErrSpecies)
}

// Params are one session's randomised parameters. NewParams draws them
// from a seed, so a run can be reproduced.
type Params struct {
	Seed        uint64  `json:"seed"`
	FPS         float64 `json:"fps"`
	JPEGQuality int     `json:"jpeg_quality"`
	// Noise is the sensor noise's standard deviation, grey levels.
	Noise float64 `json:"noise"`
	// InterEye is the neutral face's eye distance, ShiftX/Y its offset
	// from the frame's centre, in pixels.
	InterEye       float64 `json:"inter_eye"`
	ShiftX, ShiftY float64 `json:"-"`
	// Shake is the hand shake's amplitude in pixels.
	Shake float64 `json:"shake"`
}

// NewParams draws a session's parameters from seed; fps > 0 fixes the
// frame rate instead of drawing it from 8-15.
func NewParams(seed uint64, fps float64) Params {
	rng := rand.New(rand.NewPCG(seed, 0x61747461636b))
	p := Params{Seed: seed,
		FPS:         8 + float64(rng.IntN(8)),
		JPEGQuality: 75 + rng.IntN(21),
		Noise:       1 + 3*rng.Float64(),
		InterEye:    78 + 20*rng.Float64(),
		ShiftX:      -30 + 60*rng.Float64(),
		ShiftY:      -20 + 30*rng.Float64(),
		Shake:       0.5 + 1.5*rng.Float64(),
	}
	if fps > 0 {
		p.FPS = fps
	}
	return p
}

// Generator makes the frames a session sends. Implementations are safe
// for Command and Frame from different goroutines.
type Generator interface {
	// Command says the gateway issued c at elapsed time at (since the
	// session began).
	Command(c outcome.Command, at time.Duration)
	// Frame returns the JPEG of the frame at elapsed time at.
	Frame(at time.Duration) ([]byte, error)
}

// move is one command's movement: a reaction delay, out, hold, back.
type move struct {
	cmd              outcome.Command
	start            time.Duration // when the movement begins
	rise, hold, fall time.Duration
	amplitude        float64 // degrees (turns, tilts) or scale - 1
}

func (m move) end() time.Duration { return m.start + m.rise + m.hold + m.fall }

// envelope is the movement's extent at t, 0-1, smooth at both ends.
func (m move) envelope(t time.Duration) float64 {
	switch d := t - m.start; {
	case d <= 0 || d >= m.rise+m.hold+m.fall:
		return 0
	case d < m.rise:
		return smooth(float64(d) / float64(m.rise))
	case d < m.rise+m.hold:
		return 1
	default:
		return smooth(float64(m.rise+m.hold+m.fall-d) / float64(m.fall))
	}
}

// Performer renders a scene following the commands it is told, as a photo
// warped by an attacker's app: each command after a reaction delay of
// 0.3-0.9 s, a smooth movement out to a random amplitude comfortably past
// liveness/challenge's thresholds, a hold and the way back, 1.5-2.5 s in
// all; with hand shake, sensor noise and, for the screen species, the
// screen's overlay. A Performer made with follow false ignores commands
// (the still species).
type Performer struct {
	scene   *Scene
	params  Params
	follow  bool
	overlay *Overlay
	shake   [6]float64 // frequencies and phases

	mu    sync.Mutex
	rng   *rand.Rand // amplitudes and timing, in command order
	moves []move
	frame uint64
}

// NewPerformer returns a performer of species sp (Warp, Print, Screen or
// Still) over photo, whose face is face. The print and screen
// degradations are applied to a copy of the scene's photo.
func NewPerformer(sp Species, photo *Image, face models.Face, p Params) (*Performer, error) {
	rng := rand.New(rand.NewPCG(p.Seed, 0x706572666f726d))
	sc, err := NewScene(photo, face, SceneConfig{InterEye: p.InterEye, ShiftX: p.ShiftX, ShiftY: p.ShiftY})
	if err != nil {
		return nil, err
	}
	pf := &Performer{scene: sc, params: p, rng: rng, follow: sp != Still}
	switch sp {
	case Warp, Still:
	case Print:
		PrintDegrade(sc.Src, rng)
	case Screen:
		ScreenDegrade(sc.Src, rng)
		o := NewOverlay(rng)
		pf.overlay = &o
	default:
		return nil, fmt.Errorf("%q: %w (a performer draws photo species)", sp, ErrSpecies)
	}
	for i := range pf.shake {
		if i%2 == 0 {
			pf.shake[i] = 0.4 + 2.5*rng.Float64() // Hz
		} else {
			pf.shake[i] = 2 * math.Pi * rng.Float64()
		}
	}
	return pf, nil
}

// Scene returns the performer's scene.
func (pf *Performer) Scene() *Scene { return pf.scene }

// Command implements Generator: the movement for c starts after a
// reaction delay, or after the movement before it has ended.
func (pf *Performer) Command(c outcome.Command, at time.Duration) {
	if !pf.follow {
		return
	}
	pf.mu.Lock()
	defer pf.mu.Unlock()
	r := pf.rng
	dur := func(lo, hi float64) time.Duration {
		return time.Duration((lo + (hi-lo)*r.Float64()) * float64(time.Second))
	}
	m := move{cmd: c, start: at + dur(0.3, 0.9), rise: dur(0.35, 0.6), hold: dur(0.25, 0.55), fall: dur(0.35, 0.6)}
	if n := len(pf.moves); n > 0 && pf.moves[n-1].end() > m.start {
		m.start = pf.moves[n-1].end() + dur(0.05, 0.2)
	}
	switch c {
	case outcome.TurnLeft, outcome.TurnRight:
		// YuNet reads a 2D turn as less than drawn (22-54 for 55 on the
		// shared photos): draw 50-58.
		m.amplitude = 50 + 8*r.Float64()
	case outcome.TiltLeft, outcome.TiltRight:
		m.amplitude = 20 + 8*r.Float64()
	case outcome.MoveCloser:
		m.amplitude = 0.32 + 0.15*r.Float64()
	}
	pf.moves = append(pf.moves, m)
}

// PoseAt returns the pose at elapsed time t: the commands' movements and
// the hand shake.
func (pf *Performer) PoseAt(t time.Duration) Pose {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	s := t.Seconds()
	sh := pf.shake
	a := pf.params.Shake
	p := Pose{Scale: 1,
		DX:   a * (math.Sin(2*math.Pi*sh[0]*s+sh[1]) + 0.5*math.Sin(2*math.Pi*sh[2]*s+sh[3])),
		DY:   a * (math.Sin(2*math.Pi*sh[2]*s+sh[5]) + 0.5*math.Sin(2*math.Pi*sh[4]*s+sh[1])),
		Roll: 0.4 * math.Sin(2*math.Pi*sh[4]*s+sh[3]),
	}
	p.Scale += 0.004 * math.Sin(2*math.Pi*sh[0]*s+sh[5])
	for _, m := range pf.moves {
		e := m.envelope(t)
		if e == 0 {
			continue
		}
		switch m.cmd {
		case outcome.TurnLeft:
			p.Yaw += e * m.amplitude
		case outcome.TurnRight:
			p.Yaw -= e * m.amplitude
		case outcome.TiltLeft:
			p.Roll += e * m.amplitude
		case outcome.TiltRight:
			p.Roll -= e * m.amplitude
		case outcome.MoveCloser:
			p.Scale *= 1 + e*m.amplitude
		}
	}
	return p
}

// Frame implements Generator: the scene at PoseAt(at), with the overlay
// and fresh sensor noise, as JPEG.
func (pf *Performer) Frame(at time.Duration) ([]byte, error) {
	im, err := pf.scene.Render(pf.PoseAt(at))
	if err != nil {
		return nil, err
	}
	if pf.overlay != nil {
		pf.overlay.Apply(im)
	}
	pf.mu.Lock()
	pf.frame++
	n := pf.frame
	pf.mu.Unlock()
	AddNoise(im, pf.params.Noise, rand.New(rand.NewPCG(pf.params.Seed, n)))
	return EncodeJPEG(im, pf.params.JPEGQuality)
}
