package liveness

import (
	"image"
	"math"
	"sort"
	"time"

	"github.com/biogate/biogate/models"
)

// The motion-coherence cue: does the face move on its own, or rigidly with
// what surrounds it?
//
// Why: a photo or a phone held up in front of the camera is a flat object
// carrying the face and its surroundings (the rest of the photo, the
// screen, the bezel): when the hand moves, the face and a thin ring around
// it move together. A live head moves relative to the background behind
// it. Camera shake moves everything, face, ring and background, alike.
//
// Measured by phase correlation between a key frame and later frames on
// 32x32 grey patches of: the face (80 % of its box), three strips just
// outside the box (left, right, above, each 30 % of the box deep, 5 % away
// from it), and the frame's corners away from the face (the background).
// Per interval (from a key frame to the frame motionInterval later, or to
// the first one where the face moved motionMaxShift), with F the face's
// shift, G the background's (median over corners) and N the strips', all
// in face widths: when |F-G| is at least motionMinMove the interval counts,
// with weight |F-G|, the median over strips of |N-F| relative to |F-G|. The
// session's ratio is near 0 when the surroundings follow the face (a
// presented copy), near 1 or above when they stay with the background (a
// live head). The cue is available once motionMinTotal face widths of
// movement were seen; a single image never has it.
//
// Shared data (ratio per session, where the cue is available): genuine
// sessions 0.76-1.49 (absent on steady heads: cap12_steady, the blinking
// clip); minivision clip: phone replay 0.66, printed photo 0.68, and its
// genuine part 0.42, on too little movement (0.05 face widths) to count:
// that clip is filmed with a hand-held phone, whose shake moves the face's
// surroundings with it. Synthetic scenes (motion_test.go): a card moving
// with the face 0.02, a head moving over a still background 1.0. So the
// cue points the right way on both moving attacks, with a thin margin
// (0.68 against 0.76), from two short attacks with faces of 31-77 px, and
// a hand-held camera can fool it: it nudges (DefaultFusionWeights), it
// does not decide.

const (
	// motionPatch is the side of the patches correlated.
	motionPatch = 32
	// motionInterval is the longest time from a key frame to the frame an
	// interval ends on: long enough for a hand's drift to exceed the
	// correlation's noise, short enough for a turning head to stay
	// correlated.
	motionInterval = 300 * time.Millisecond
	// motionMaxShift, in face widths, ends an interval early: the strips
	// are 0.3 face widths deep, and phase correlation loses the peak
	// beyond about a quarter of a region (the window narrows it further).
	// An interval whose face moved more than motionMaxJump (a jump between
	// two frames) is not counted.
	motionMaxShift = 0.06
	motionMaxJump  = 0.1
	// motionMinMove, in face widths, is the least face-versus-background
	// movement an interval needs to say anything; less is noise.
	motionMinMove = 0.03
	// motionMinTotal, in face widths, is the movement the session needs
	// before the cue is available.
	motionMinTotal = 0.1
	// motionMinResponse is the least phase-correlation peak (1 for
	// identical patches) a region's shift needs to count: a flat wall or a
	// blank piece of paper has no peak.
	motionMinResponse = 0.05
)

// motionCurve maps the ratio to the cue: neutral (0.5) from 0.56 up (the
// conservative curve of ConservativeCurves: the lowest genuine session's
// ratio, 0.76, less 0.2); 0.06 and below (surroundings follow the face)
// 0.1. It never says live: a moving background is no proof of a live
// face, and an upward push would raise attacks too. The shared attacks
// (0.66, 0.68) lie inside the genuine margin, so the cue leaves them to
// MiniFASNet.
var motionCurve = Curve{{0.06, 0.1}, {0.56, 0.5}}

// The regions: the face, three strips around it, four frame corners.
const (
	regFace = iota
	regLeft
	regRight
	regTop
	regCorner0
	numRegions = regCorner0 + 4
)

// motionTracker accumulates the motion-coherence evidence of one session.
// Not safe for concurrent use.
type motionTracker struct {
	fft    *fft2
	window []float64 // Hann window, motionPatch^2
	re, im []float64 // scratch

	hasKey       bool
	keyTime      time.Time
	keyBox       models.Rect
	keyW, keyH   int
	keyOK        [numRegions]bool
	keyRect      [numRegions]image.Rectangle
	keyRe, keyIm [numRegions][]float64 // windowed spectra of the key patches

	num, den  float64 // sum of capped residuals and of face movement
	intervals int     // informative intervals
}

func newMotionTracker() *motionTracker {
	n := motionPatch
	m := &motionTracker{fft: newFFT2(n), window: make([]float64, n*n),
		re: make([]float64, n*n), im: make([]float64, n*n)}
	for y := range n {
		wy := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(y)+0.5)/float64(n))
		for x := range n {
			wx := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(x)+0.5)/float64(n))
			m.window[y*n+x] = wx * wy
		}
	}
	for i := range numRegions {
		m.keyRe[i], m.keyIm[i] = make([]float64, n*n), make([]float64, n*n)
	}
	return m
}

// reset forgets the session.
func (m *motionTracker) reset() {
	m.hasKey = false
	m.num, m.den, m.intervals = 0, 0, 0
}

// drop forgets the key frame: the next frame is not comparable with it (no
// face, a frame that does not count).
func (m *motionTracker) drop() { m.hasKey = false }

// score returns the cue and whether it is available.
func (m *motionTracker) score() (float64, bool) {
	if m.den < motionMinTotal {
		return 0.5, false
	}
	return motionCurve.At(m.ratio()), true
}

// ratio is the session's residual-to-movement ratio (NaN before any
// informative interval).
func (m *motionTracker) ratio() float64 {
	if m.den == 0 {
		return math.NaN()
	}
	return m.num / m.den
}

// regions returns the regions for a face box in a w x h frame, and which
// are usable.
func regions(b models.Rect, w, h int) (rs [numRegions]image.Rectangle, ok [numRegions]bool) {
	rs[regFace], ok[regFace] = inside(scaledBox(b, 0.8, 0, 0), w, h, 0.75)
	x0, y0 := float64(b.X), float64(b.Y)
	x1, y1 := x0+float64(b.W), y0+float64(b.H)
	gw, gh := 0.05*float64(b.W), 0.05*float64(b.H)
	sw, sh := 0.3*float64(b.W), 0.3*float64(b.H)
	rect := func(a, b, c, d float64) image.Rectangle {
		return image.Rect(int(math.Round(a)), int(math.Round(b)), int(math.Round(c)), int(math.Round(d)))
	}
	rs[regLeft], ok[regLeft] = inside(rect(x0-gw-sw, y0, x0-gw, y1), w, h, 0.75)
	rs[regRight], ok[regRight] = inside(rect(x1+gw, y0, x1+gw+sw, y1), w, h, 0.75)
	rs[regTop], ok[regTop] = inside(rect(x0, y0-gh-sh, x1, y0-gh), w, h, 0.75)
	around := scaledBox(b, 2.5, 0, 0)
	cw, ch := w/4, h/4
	corners := [4]image.Rectangle{
		image.Rect(0, 0, cw, ch), image.Rect(w-cw, 0, w, ch),
		image.Rect(0, h-ch, cw, h), image.Rect(w-cw, h-ch, w, h),
	}
	for i, c := range corners {
		rs[regCorner0+i] = c
		ok[regCorner0+i] = cw >= minRegion && ch >= minRegion && !c.Overlaps(around)
	}
	return rs, ok
}

// observe adds a frame (box finite) at time t.
func (m *motionTracker) observe(img frame, box models.Rect, t time.Time) {
	w, h := img.w, img.h
	if !m.hasKey || w != m.keyW || h != m.keyH || t.Before(m.keyTime) {
		m.setKey(img, box, t)
		return
	}
	// The face every frame (it decides when the interval ends), the other
	// regions only on the frame that ends it.
	var shift [numRegions][2]float64
	var ok [numRegions]bool
	m.regionShift(img, regFace, &shift, &ok)
	if !ok[regFace] {
		m.setKey(img, box, t)
		return
	}
	f := shift[regFace]
	grown := math.Abs(float64(box.W)/float64(m.keyBox.W) - 1)
	if t.Sub(m.keyTime) < motionInterval && math.Hypot(f[0], f[1]) < motionMaxShift && grown < 0.2 {
		return
	}
	for i := regFace + 1; i < numRegions; i++ {
		m.regionShift(img, i, &shift, &ok)
	}
	if math.Hypot(f[0], f[1]) <= motionMaxJump {
		m.accumulate(shift, ok)
	}
	m.setKey(img, box, t)
}

// regionShift measures region i's shift from the key frame to img, in key
// face widths, into shift[i] and sets ok[i] if it is usable.
func (m *motionTracker) regionShift(img frame, i int, shift *[numRegions][2]float64, ok *[numRegions]bool) {
	if !m.keyOK[i] {
		return
	}
	r := m.keyRect[i]
	m.spectrum(img, r, m.re, m.im)
	dx, dy, resp := m.correlate(i)
	if resp < motionMinResponse {
		return
	}
	fw := float64(m.keyBox.W)
	shift[i] = [2]float64{dx * float64(r.Dx()) / motionPatch / fw, dy * float64(r.Dy()) / motionPatch / fw}
	ok[i] = true
}

// accumulate adds one interval's shifts to the session's evidence.
func (m *motionTracker) accumulate(shift [numRegions][2]float64, ok [numRegions]bool) {
	var gxs, gys [4]float64
	gx, gy := gxs[:0], gys[:0]
	for i := regCorner0; i < numRegions; i++ {
		if ok[i] {
			gx, gy = append(gx, shift[i][0]), append(gy, shift[i][1])
		}
	}
	var g [2]float64
	if len(gx) > 0 {
		g = [2]float64{median(gx), median(gy)}
	}
	f := shift[regFace]
	move := math.Hypot(f[0]-g[0], f[1]-g[1])
	if move < motionMinMove {
		return
	}
	var ress [3]float64
	res := ress[:0]
	for _, i := range [...]int{regLeft, regRight, regTop} {
		if ok[i] {
			res = append(res, math.Hypot(shift[i][0]-f[0], shift[i][1]-f[1]))
		}
	}
	if len(res) < 2 {
		return // one strip is too easily all hair or all background
	}
	// Capped so one strip that lost track cannot outweigh the session.
	m.num += math.Min(median(res), 2*move)
	m.den += move
	m.intervals++
}

// setKey makes the frame the key frame: it stores the windowed spectra of
// its regions.
func (m *motionTracker) setKey(img frame, box models.Rect, t time.Time) {
	m.hasKey = false
	rs, ok := regions(box, img.w, img.h)
	if !ok[regFace] {
		return
	}
	for i := range numRegions {
		m.keyOK[i], m.keyRect[i] = ok[i], rs[i]
		if ok[i] {
			m.spectrum(img, rs[i], m.keyRe[i], m.keyIm[i])
		}
	}
	m.hasKey, m.keyTime, m.keyBox, m.keyW, m.keyH = true, t, box, img.w, img.h
}

// spectrum samples region r (inside img) as grey motionPatch^2, removes
// its mean, applies the window and writes its 2-D FFT to re, im.
func (m *motionTracker) spectrum(img frame, r image.Rectangle, re, im []float64) {
	img.grey(r, motionPatch, re)
	var mean float64
	for _, v := range re {
		mean += v
	}
	mean /= float64(len(re))
	for i := range re {
		re[i] = (re[i] - mean) * m.window[i]
		im[i] = 0
	}
	m.fft.transform(re, im, false)
}

// correlate phase-correlates the current spectrum (m.re, m.im) with key
// region i's and returns the shift of the current patch relative to the
// key, in patch pixels, and the peak's height (1 for identical patches).
func (m *motionTracker) correlate(i int) (dx, dy, resp float64) {
	n := motionPatch
	kr, ki := m.keyRe[i], m.keyIm[i]
	for j := range m.re {
		// Cross-power spectrum: current times conj(key), normalised.
		r := m.re[j]*kr[j] + m.im[j]*ki[j]
		c := m.im[j]*kr[j] - m.re[j]*ki[j]
		mag := math.Hypot(r, c)
		if mag < 1e-9 {
			m.re[j], m.im[j] = 0, 0
			continue
		}
		m.re[j], m.im[j] = r/mag, c/mag
	}
	m.fft.transform(m.re, m.im, true)
	best, at := math.Inf(-1), 0
	for j, v := range m.re {
		if v > best {
			best, at = v, j
		}
	}
	px, py := at%n, at/n
	// Sub-pixel, per axis, from the peak and its two neighbours on that
	// axis (Foroosh, Zerubia and Berthod 2002): for a pure shift the
	// correlation is a sampled sinc, and the larger neighbour's share of
	// the two largest values is the fractional offset.
	val := func(x, y int) float64 { return m.re[((y+n)%n)*n+(x+n)%n] }
	frac := func(prev, peak, next float64) float64 {
		if next >= prev {
			if d := next + peak; next > 0 && d > 0 {
				return next / d
			}
			return 0
		}
		if d := prev + peak; prev > 0 && d > 0 {
			return -prev / d
		}
		return 0
	}
	dx, dy = float64(px), float64(py)
	if px >= n/2 {
		dx -= float64(n)
	}
	if py >= n/2 {
		dy -= float64(n)
	}
	dx += frac(val(px-1, py), best, val(px+1, py))
	dy += frac(val(px, py-1), best, val(px, py+1))
	return dx, dy, best / float64(n*n)
}

// median returns the median of v, reordering it; NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if k := len(v); k%2 == 1 {
		return v[k/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// motionCoherence is the motion cue as a SessionCue.
type motionCoherence struct {
	m      *motionTracker
	weight float64
}

func (c motionCoherence) Name() string             { return CueMotion }
func (c motionCoherence) Weight() float64          { return c.weight }
func (c motionCoherence) ObserveFrame(f *CueFrame) { c.m.observe(f.px, f.Face, f.Time) }
func (c motionCoherence) SkipFrame()               { c.m.drop() }
func (c motionCoherence) Score() (float64, bool)   { return c.m.score() }
func (c motionCoherence) Reset()                   { c.m.reset() }
