package liveness

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/biogate/biogate/models"
)

func TestFFTRoundTrip(t *testing.T) {
	const n = 16
	f := newFFT2(n)
	rng := rand.New(rand.NewPCG(3, 4))
	re, im := make([]float64, n*n), make([]float64, n*n)
	orig := make([]float64, n*n)
	for i := range re {
		re[i] = rng.Float64()
		orig[i] = re[i]
	}
	f.transform(re, im, false)
	var dc float64
	for _, v := range orig {
		dc += v
	}
	if math.Abs(re[0]-dc) > 1e-9 || math.Abs(im[0]) > 1e-9 {
		t.Errorf("DC bin %v%+vi, want %v", re[0], im[0], dc)
	}
	f.transform(re, im, true)
	for i := range re {
		if math.Abs(re[i]/(n*n)-orig[i]) > 1e-9 || math.Abs(im[i]/(n*n)) > 1e-9 {
			t.Fatalf("round trip at %d: %v%+vi, want %v", i, re[i]/(n*n), im[i]/(n*n), orig[i])
		}
	}
	// A unit impulse transforms to all ones.
	for i := range re {
		re[i], im[i] = 0, 0
	}
	re[0] = 1
	f.transform(re, im, false)
	for i := range re {
		if math.Abs(re[i]-1) > 1e-12 || math.Abs(im[i]) > 1e-12 {
			t.Fatalf("impulse: bin %d = %v%+vi", i, re[i], im[i])
		}
	}
}

// texture returns a smooth random w x h BGR texture (value noise with a
// cell of 6 px), different per seed.
func texture(w, h int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	const cell = 6
	gw, gh := w/cell+2, h/cell+2
	grid := make([]float64, gw*gh)
	for i := range grid {
		grid[i] = 40 + 180*rng.Float64()
	}
	b := make([]byte, w*h*3)
	for y := range h {
		fy := float64(y) / cell
		y0 := int(fy)
		ty := fy - float64(y0)
		for x := range w {
			fx := float64(x) / cell
			x0 := int(fx)
			tx := fx - float64(x0)
			v := (grid[y0*gw+x0]*(1-tx)+grid[y0*gw+x0+1]*tx)*(1-ty) +
				(grid[(y0+1)*gw+x0]*(1-tx)+grid[(y0+1)*gw+x0+1]*tx)*ty
			i := (y*w + x) * 3
			b[i], b[i+1], b[i+2] = byte(v*0.8), byte(v*0.9), byte(v)
		}
	}
	return b
}

// layer is a texture pasted at an offset.
type layer struct {
	px   []byte
	w, h int
}

// paste copies l into the w x h frame f at (x, y), clipped.
func (l layer) paste(f []byte, w, h, x, y int) {
	for ly := range l.h {
		fy := y + ly
		if fy < 0 || fy >= h {
			continue
		}
		for lx := range l.w {
			fx := x + lx
			if fx < 0 || fx >= w {
				continue
			}
			copy(f[(fy*w+fx)*3:(fy*w+fx)*3+3], l.px[(ly*l.w+lx)*3:])
		}
	}
}

// TestMotionCue plays synthetic scenes through the tracker: a 60x70 face
// box in a 320x240 frame over a static textured background, the face
// moving 1 px a frame to the right and back at 30 fps for 2 s.
func TestMotionCue(t *testing.T) {
	const w, h, fw, fh = 320, 240, 60, 70
	bg := layer{texture(w+40, h+40, 1), w + 40, h + 40}
	face := layer{texture(fw, fh, 2), fw, fh}
	card := layer{texture(fw*12/5, fh*12/5, 3), fw * 12 / 5, fh * 12 / 5}
	path := func(i int) int { // 0..20..0..
		if p := i % 40; p < 20 {
			return p
		} else {
			return 40 - p
		}
	}
	tests := []struct {
		name      string
		frame     func(i int, f []byte) (boxX int) // draws frame i, returns the face box's x
		available bool
		low, high float64 // bounds on the cue when available
	}{
		{
			// A photo held up: the face and a card 2.4 times its size move
			// together over the background.
			name: "presented copy", available: true, low: 0, high: 0.2,
			frame: func(i int, f []byte) int {
				bg.paste(f, w, h, -20, -20)
				x := 110 + path(i)
				card.paste(f, w, h, x-(card.w-fw)/2, 85-(card.h-fh)/2)
				face.paste(f, w, h, x, 85)
				return x
			},
		},
		{
			// A live head: only the face moves; around it, the background
			// stays.
			name: "live head", available: true, low: 0.5, high: 1,
			frame: func(i int, f []byte) int {
				bg.paste(f, w, h, -20, -20)
				x := 110 + path(i)
				face.paste(f, w, h, x, 85)
				return x
			},
		},
		{
			// Camera shake: everything moves alike; nothing moves relative
			// to the background.
			name: "camera shake", available: false,
			frame: func(i int, f []byte) int {
				dx := path(i) / 2
				bg.paste(f, w, h, -20+dx, -20)
				face.paste(f, w, h, 110+dx, 85)
				return 110 + dx
			},
		},
		{
			name: "still", available: false,
			frame: func(i int, f []byte) int {
				bg.paste(f, w, h, -20, -20)
				face.paste(f, w, h, 110, 85)
				return 110
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMotionTracker()
			buf := make([]byte, w*h*3)
			t0 := time.Unix(0, 0)
			for i := range 60 {
				x := tc.frame(i, buf)
				box := models.Rect{X: float32(x), Y: 85, W: fw, H: fh}
				m.observe(frame{px: buf, w: w, h: h}, box, t0.Add(time.Duration(i)*time.Second/30))
			}
			cue, ok := m.score()
			t.Logf("ratio %.3f over %d intervals (%.3f face widths): cue %.3f, available %v", m.ratio(), m.intervals, m.den, cue, ok)
			if ok != tc.available {
				t.Fatalf("available %v, want %v", ok, tc.available)
			}
			if ok && (cue < tc.low || cue > tc.high) {
				t.Errorf("cue %.3f, want in [%v, %v]", cue, tc.low, tc.high)
			}
			if !ok && cue != 0.5 {
				t.Errorf("unavailable cue %v, want 0.5", cue)
			}
			m.reset()
			if _, ok := m.score(); ok || m.intervals != 0 {
				t.Error("reset kept the evidence")
			}
		})
	}
}

// TestMotionShift checks the measured shift against a known one, in face
// widths, through both sampling paths (a face under and over twice the
// patch), and that a gap (drop) or a new frame size starts a new key.
func TestMotionShift(t *testing.T) {
	const w, h = 320, 240
	bg := layer{texture(w+20, h+20, 5), w + 20, h + 20}
	shifted := func(dx, dy int) frame {
		buf := make([]byte, w*h*3)
		bg.paste(buf, w, h, -10+dx, -10+dy)
		return frame{px: buf, w: w, h: h}
	}
	t0 := time.Unix(0, 0)
	for _, box := range []models.Rect{{X: 70, Y: 50, W: 50, H: 60}, {X: 100, Y: 60, W: 110, H: 120}} {
		m := newMotionTracker()
		if m.setKey(shifted(0, 0), box, t0); !m.hasKey {
			t.Fatal("setKey did not set a key")
		}
		var shift [numRegions][2]float64
		var ok [numRegions]bool
		if m.regionShift(shifted(3, -2), regFace, &shift, &ok); !ok[regFace] {
			t.Fatal("regionShift: no peak")
		}
		// A third of motionMinMove is the precision the cue needs (sub-
		// pixel estimates on a texture that aliases at 3 px a cell, as
		// this one does for the larger face, are off by up to 0.6 px).
		fw := float64(box.W)
		if ex, ey := shift[regFace][0]-3/fw, shift[regFace][1]+2/fw; math.Hypot(ex, ey) > motionMinMove/3 {
			t.Errorf("face %vx%v: shift (%.2f, %.2f) px, want (3, -2)", box.W, box.H, shift[regFace][0]*fw, shift[regFace][1]*fw)
		}
	}
	m := newMotionTracker()
	box := models.Rect{X: 70, Y: 50, W: 50, H: 60}
	m.setKey(shifted(0, 0), box, t0)
	m.drop()
	if m.hasKey {
		t.Error("drop kept the key")
	}
	if m.observe(shifted(0, 0), box, t0); !m.hasKey {
		t.Error("observe after drop set no key")
	}
	small := frame{px: texture(100, 80, 7), w: 100, h: 80}
	if m.observe(small, models.Rect{X: 10, Y: 10, W: 40, H: 50}, t0.Add(time.Second)); !m.hasKey || m.keyW != 100 {
		t.Errorf("new frame size: key %v, width %d", m.hasKey, m.keyW)
	}
}
