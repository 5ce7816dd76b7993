package fingerprint

import (
	"math"
	"slices"
	"sync"

	"github.com/biogate/biogate/devices"
)

// Contextual enhancement (Hong, Wan and Jain, "Fingerprint image
// enhancement: algorithm and performance evaluation", IEEE PAMI 20(8),
// 1998): each pixel is filtered by a Gabor filter tuned to the ridge
// orientation and frequency around it, which joins broken ridges, splits
// merged ones and flattens noise between them.
//
// The oriented Gabor filter is applied as two one-dimensional passes, the
// separable realisation of Areekul et al. ("Separable Gabor filter
// realization for fast fingerprint enhancement", ICIP 2005): across the
// ridges, a Gaussian-windowed cosine at the local ridge period; then along
// them, a Gaussian. Both envelopes have a standard deviation of half the
// ridge period (Kovesi's kx = ky = 0.5; Hong et al.'s fixed 4 pixels is
// the same at their typical period of 8 to 9 pixels). Parameters are in
// pixels at 500 ppi and scale with the image's resolution.
const (
	// enhanceCell is the side, in 500-ppi pixels, of the cells on which
	// orientation and frequency are estimated and the filters chosen.
	enhanceCell = 8
	// enhanceOrientations is how many orientations the filters are
	// precomputed for (11.25 degrees apart).
	enhanceOrientations = 16
	// enhanceMinPeriod and enhanceMaxPeriod bound the ridge period in
	// 500-ppi pixels (Kovesi's ridgefreq bounds, 5 to 15; Hong et al.
	// accept 3 to 25); enhancePeriodStep is the filters' period step.
	enhanceMinPeriod, enhanceMaxPeriod, enhancePeriodStep = 5.0, 15.0, 0.5
	// enhanceSigma is the filters' envelope, as a share of the period;
	// enhanceTruncate is where they are cut, in envelope sigmas (Kovesi's
	// kernels reach 3 sigmas).
	enhanceSigma, enhanceTruncate = 0.5, 3.0
	// enhanceNormWindow is the half-side of the window, in 500-ppi pixels,
	// over which grey levels are normalised to zero mean and unit
	// variance (a square of about 3.5 ridge periods).
	enhanceNormWindow = 16
	// enhanceMinPeak is the smallest share of a window's ridge profile
	// energy (DC and trend removed) at its peak period, over the share a
	// pure sinusoid has there, for the peak to be a ridge period; other
	// cells take their neighbours' period. Set by noise, not by matching:
	// a window of uniform noise reaches it about once in 100 (its median
	// is 0.23), the foreground blocks of the shared FVC2002 sets in 80-88 %
	// (their median is 0.72-0.78).
	enhanceMinPeak = 0.5
)

// Enhance returns img with its ridges enhanced by contextual filtering
// (see the comment above the constants): grey levels are normalised
// locally; the ridge orientation is the smoothed gradient tensor of 8-pixel
// cells (Hong et al.'s doubled-angle vector field); the ridge period is the
// peak of the spectrum of the grey-level profile across the ridges in a
// 32x16 window (the "x-signature"), smoothed over neighbouring cells; each
// foreground pixel is then filtered by the Gabor filter of its cell's
// orientation and period. Ridges stay dark and valleys light. The
// background (outside Segment's mask, with its defaults) is a flat mid
// grey, so an image without a finger comes back uniform.
//
// The result has img's size, PPI, time and Partial flag (resolution 0
// means PPI). Errors wrap ErrInvalidImage. img is read, not kept; the
// result is biometric data like img. It takes about 13 ms for a 388x374
// print on one core.
//
// Extract enhances the prints whose quality is below EnhanceBelowQuality.
// Measured on the shared FVC2002 B sets (DB1-DB4), enhancing every print
// takes the EERs from 2.72, 0.54, 7.62 and 6.55 % to 2.90, 2.18, 0.89 and
// 2.18 %: a large gain on the noisy sensors, a loss on the clean DB2
// beyond its EER interval. Enhancing only the prints under a quality gate
// chosen leave-one-set-out (each set held out in turn, the gate chosen on
// the other three among 20-80, never and always) gives held-out EERs of
// 2.36, 0.71, 0.89 and 2.36 %: every set better or within its interval.
func Enhance(img *devices.FingerprintImage) (*devices.FingerprintImage, error) {
	if err := checkImage(img); err != nil {
		return nil, err
	}
	mask, err := Segment(img, SegmentConfig{})
	if err != nil {
		return nil, err
	}
	return enhance(img, mask), nil
}

// enhanceBackground is the grey level of the background in an enhanced
// image, and the middle of its ridge-valley range.
const enhanceBackground = 128

// enhance is Enhance on an image already checked and segmented.
func enhance(img *devices.FingerprintImage, mask *Mask) *devices.FingerprintImage {
	out := &devices.FingerprintImage{
		Width: img.Width, Height: img.Height, PPI: img.PPI, Time: img.Time, Partial: img.Partial,
		Pix: make([]byte, len(img.Pix)),
	}
	for i := range out.Pix {
		out.Pix[i] = enhanceBackground
	}
	if mask.Fraction() == 0 {
		return out
	}
	scale := 1.0
	if img.PPI > 0 {
		scale = float64(img.PPI) / PPI
	}
	bank := filterBank(scale)
	pad := bank.radius
	f := newEnhanceField(img, mask, scale, pad)
	stride := img.Width + 2*pad
	norm := normalise(img, scale, pad)
	at := func(x, y int) int { return (y+pad)*stride + x + pad }

	// Across the ridges, on the foreground and as far around it as the
	// second pass reads; then along them, on the cells that hold
	// foreground. Cell by cell, each cell's pixels with its filter.
	across := make([]float32, len(norm))
	res := make([]float32, len(norm))
	offs := bank.offsets(stride)
	for pass := range 2 {
		for r := range f.rows {
			for c := range f.cols {
				i := r*f.cols + c
				x0, y0 := c*f.side, r*f.side
				w, h := min(img.Width-x0, f.side), min(img.Height-y0, f.side)
				if pass == 0 && f.near[i] {
					filterCell(across, norm, offs.across[f.kernel[i]], at(x0, y0), w, h, stride)
				} else if pass == 1 && f.fore[i] {
					filterCell(res, across, offs.along[f.kernel[i]], at(x0, y0), w, h, stride)
				}
			}
		}
	}
	// One scale for the image: its RMS response maps to 50 grey levels,
	// so a clean sinusoidal ridge pattern spans about 128±70.
	var sum2 float64
	n := 0
	mask.eachPixel(func(x, y int) {
		v := float64(res[at(x, y)])
		sum2 += v * v
		n++
	})
	if sum2 == 0 {
		return out
	}
	k := 50 / math.Sqrt(sum2/float64(n))
	mask.eachPixel(func(x, y int) {
		v := enhanceBackground + k*float64(res[at(x, y)])
		out.Pix[y*img.Width+x] = byte(min(255, max(0, math.Round(v))))
	})
	return out
}

// eachPixel calls fn for every foreground pixel, block by block.
func (m *Mask) eachPixel(fn func(x, y int)) {
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.fg[r*m.Cols+c] {
				continue
			}
			for y := r * m.BlockSize; y < min(m.Height, (r+1)*m.BlockSize); y++ {
				for x := c * m.BlockSize; x < min(m.Width, (c+1)*m.BlockSize); x++ {
					fn(x, y)
				}
			}
		}
	}
}

// filterCell adds to dst the filter k applied to src on the w x h pixels
// from index i of two padded buffers of one stride; tap by tap and row by
// row, so that the inner loop runs over contiguous memory.
func filterCell(dst, src []float32, k []tap, i, w, h, stride int) {
	for y := range h {
		row := i + y*stride
		d := dst[row : row+w]
		for _, t := range k {
			s := src[row+t.off : row+t.off+w]
			for x := range d {
				d[x] += t.w * s[x]
			}
		}
	}
}

// normalise returns img's grey levels minus their local mean over their
// local standard deviation (at least DefaultMinStdDev, so that a flat patch
// is not amplified into noise), with a margin of pad zeros around the
// image so that filters need no bounds checks. The window's sums slide
// down the image column by column, then along each row: memory in the
// image's width, exact integer sums.
func normalise(img *devices.FingerprintImage, scale float64, pad int) []float32 {
	w, h := img.Width, img.Height
	half := max(2, int(math.Round(enhanceNormWindow*scale)))
	stride := w + 2*pad
	out := make([]float32, stride*(h+2*pad))
	col1, col2 := make([]int64, w), make([]int64, w) // rows y-half..y+half
	addRow := func(y int, sign int64) {
		for x, v := range img.Pix[y*w : (y+1)*w] {
			col1[x] += sign * int64(v)
			col2[x] += sign * int64(v) * int64(v)
		}
	}
	for y := range min(h, half) {
		addRow(y, 1)
	}
	for y := range h {
		if y+half < h {
			addRow(y+half, 1)
		}
		if y-half-1 >= 0 {
			addRow(y-half-1, -1)
		}
		rows := int64(min(h, y+half+1) - max(0, y-half))
		var s1, s2 int64 // columns x-half..x+half
		for x := range min(w, half) {
			s1, s2 = s1+col1[x], s2+col2[x]
		}
		for x := range w {
			if x+half < w {
				s1, s2 = s1+col1[x+half], s2+col2[x+half]
			}
			if x-half-1 >= 0 {
				s1, s2 = s1-col1[x-half-1], s2-col2[x-half-1]
			}
			n := float64(rows * int64(min(w, x+half+1)-max(0, x-half)))
			mean := float64(s1) / n
			sd := max(DefaultMinStdDev, math.Sqrt(max(0, float64(s2)/n-mean*mean)))
			out[(y+pad)*stride+x+pad] = float32((float64(img.Pix[y*w+x]) - mean) / sd)
		}
	}
	return out
}

// nearMask reports whether (x, y) is within d pixels (in x and y) of a
// foreground block.
func nearMask(m *Mask, x, y, d int) bool {
	c0, c1 := max(0, (x-d)/m.BlockSize), min(m.Cols-1, (x+d)/m.BlockSize)
	r0, r1 := max(0, (y-d)/m.BlockSize), min(m.Rows-1, (y+d)/m.BlockSize)
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			if m.fg[r*m.Cols+c] {
				return true
			}
		}
	}
	return false
}

// enhanceField is the orientation and period of each cell, as the index of
// the filter that fits it.
type enhanceField struct {
	side       int // cell side in pixels
	cols, rows int
	// kernel is orientation*periods+period, per cell, row-major.
	kernel []int
	// near marks the cells within a filter's reach of the foreground, fore
	// those that hold foreground.
	near, fore []bool
}

func (f *enhanceField) cell(x, y int) int { return (y/f.side)*f.cols + x/f.side }

// newEnhanceField estimates the orientation and period of every cell
// within reach pixels of the foreground.
func newEnhanceField(img *devices.FingerprintImage, mask *Mask, scale float64, reach int) *enhanceField {
	side := max(4, int(math.Round(enhanceCell*scale)))
	f := &enhanceField{side: side, cols: (img.Width + side - 1) / side, rows: (img.Height + side - 1) / side}
	n := f.cols * f.rows
	f.kernel = make([]int, n)
	f.near, f.fore = make([]bool, n), make([]bool, n)
	for r := range f.rows {
		for c := range f.cols {
			x0, y0 := c*side, r*side
			f.near[r*f.cols+c] = nearMask(mask, x0+side/2, y0+side/2, side/2+reach)
			f.fore[r*f.cols+c] = nearMask(mask, x0+side/2, y0+side/2, side/2)
		}
	}

	// Gradient tensors of the cells (central differences, as Segment).
	vx, vy := make([]float64, n), make([]float64, n)
	w := img.Width
	for y := 1; y < img.Height-1; y++ {
		for x := 1; x < w-1; x++ {
			gx := float64(img.Pix[y*w+x+1]) - float64(img.Pix[y*w+x-1])
			gy := float64(img.Pix[(y+1)*w+x]) - float64(img.Pix[(y-1)*w+x])
			c := f.cell(x, y)
			vx[c] += gx*gx - gy*gy
			vy[c] += 2 * gx * gy
		}
	}
	// The tensor summed over about two cells each way (Hong et al.'s
	// 16x16 block), then the unit doubled-angle vectors smoothed over about
	// five cells (their low-pass filter of the orientation field).
	gauss(vx, f.cols, f.rows, 1)
	gauss(vy, f.cols, f.rows, 1)
	for i := range vx {
		if l := math.Hypot(vx[i], vy[i]); l > 0 {
			vx[i], vy[i] = vx[i]/l, vy[i]/l
		}
	}
	gauss(vx, f.cols, f.rows, 2)
	gauss(vy, f.cols, f.rows, 2)
	theta := make([]float64, n) // the gradient's direction, across the ridges
	for i := range theta {
		theta[i] = 0.5 * math.Atan2(vy[i], vx[i])
	}

	// Ridge periods where the profile shows one clearly; elsewhere the
	// neighbours' (normalised convolution), else the image's median.
	period, weight := make([]float64, n), make([]float64, n)
	var found []float64
	prof := newProfiler(img, scale)
	for i := range n {
		c, r := i%f.cols, i/f.cols
		if !f.near[i] || c%2 != 0 || r%2 != 0 {
			continue // every other cell: the period varies slowly
		}
		cx := math.Min(float64(c*side)+float64(side)/2, float64(img.Width)-0.5)
		cy := math.Min(float64(r*side)+float64(side)/2, float64(img.Height)-0.5)
		if p, ok := prof.period(cx, cy, theta[i]); ok {
			period[i], weight[i] = p, 1
			found = append(found, p)
		}
	}
	median := 9.0 // a typical ridge period at 500 ppi, for a print with none clear
	if len(found) > 0 {
		median = middle(found)
	}
	for i := range period {
		period[i] *= weight[i]
	}
	gauss(period, f.cols, f.rows, 2)
	gauss(weight, f.cols, f.rows, 2)

	periods := numPeriods()
	for i := range n {
		p := median
		if weight[i] > 1e-3 {
			p = period[i] / weight[i]
		}
		pi := int(math.Round((min(enhanceMaxPeriod, max(enhanceMinPeriod, p)) - enhanceMinPeriod) / enhancePeriodStep))
		t := theta[i]
		if t < 0 {
			t += math.Pi
		}
		oi := int(math.Round(t/(math.Pi/enhanceOrientations))) % enhanceOrientations
		f.kernel[i] = oi*periods + pi
	}
	return f
}

// gauss smooths a cols x rows grid in place with a Gaussian of sigma cells
// (truncated at 2 sigma, renormalised at the grid's edges).
func gauss(v []float64, cols, rows int, sigma float64) {
	rad := int(math.Ceil(2 * sigma))
	k := make([]float64, 2*rad+1)
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
	}
	tmp := make([]float64, len(v))
	for r := range rows {
		for c := range cols {
			var s, ws float64
			for i, w := range k {
				if cc := c + i - rad; cc >= 0 && cc < cols {
					s += w * v[r*cols+cc]
					ws += w
				}
			}
			tmp[r*cols+c] = s / ws
		}
	}
	for r := range rows {
		for c := range cols {
			var s, ws float64
			for i, w := range k {
				if rr := r + i - rad; rr >= 0 && rr < rows {
					s += w * tmp[rr*cols+c]
					ws += w
				}
			}
			v[r*cols+c] = s / ws
		}
	}
}

// profiler measures ridge periods on the x-signature: the grey levels of a
// window 32 pixels across the ridges by 16 along them (at 500 ppi),
// averaged along the ridges.
type profiler struct {
	a    *blockAnalyser
	prof [qualityWindow]float64
}

func newProfiler(img *devices.FingerprintImage, scale float64) *profiler {
	return &profiler{a: &blockAnalyser{img: img, scale: scale}}
}

// period is the ridge period at (cx, cy), in 500-ppi pixels, where theta
// is the direction across the ridges: the period in [enhanceMinPeriod,
// enhanceMaxPeriod] at which the profile's spectrum (its linear trend
// removed) peaks, evaluated on the filters' periods; ok is false when the
// peak holds less than enhanceMinPeak of what a pure sinusoid would.
func (p *profiler) period(cx, cy, theta float64) (float64, bool) {
	a := p.a
	nx, ny := math.Cos(theta)*a.scale, math.Sin(theta)*a.scale
	tx, ty := -ny, nx
	const n = qualityWindow
	var su, sp, suu, sup float64
	for u := range n {
		du := float64(u) - (n-1)/2.0
		sum := 0.0
		for v := range qualityAlong {
			dv := float64(v) - (qualityAlong-1)/2.0
			sum += a.sample(cx+du*nx+dv*tx, cy+du*ny+dv*ty)
		}
		p.prof[u] = sum / qualityAlong
		fu := float64(u)
		su += fu
		sp += p.prof[u]
		suu += fu * fu
		sup += fu * p.prof[u]
	}
	slope := (n*sup - su*sp) / (n*suu - su*su)
	icept := (sp - slope*su) / n
	total := 0.0
	for u := range n {
		p.prof[u] -= icept + slope*float64(u)
		total += p.prof[u] * p.prof[u]
	}
	best, bestP := 0.0, 0.0
	for _, s := range periodSines {
		var re, im float64
		for u, v := range p.prof {
			re += v * s.cos[u]
			im += v * s.sin[u]
		}
		if e := re*re + im*im; e > best {
			best, bestP = e, s.period
		}
	}
	// A sinusoid's energy at its period is n/2 times its energy over the
	// profile; noise spreads its energy over every period.
	if total == 0 || best/(n/2*total) < enhanceMinPeak {
		return 0, false
	}
	return bestP, true
}

// periodSines are the sines and cosines of each candidate period over the
// profile, one per filter.
var periodSines = func() []periodSine {
	var out []periodSine
	for p := enhanceMinPeriod; p <= enhanceMaxPeriod+1e-9; p += enhancePeriodStep {
		var s periodSine
		s.period = p
		for u := range qualityWindow {
			s.sin[u], s.cos[u] = math.Sincos(2 * math.Pi * float64(u) / p)
		}
		out = append(out, s)
	}
	return out
}()

type periodSine struct {
	period   float64
	sin, cos [qualityWindow]float64
}

func numPeriods() int {
	return int(math.Round((enhanceMaxPeriod-enhanceMinPeriod)/enhancePeriodStep)) + 1
}

// tap is one weight of a filter, at an offset into a padded buffer.
type tap struct {
	off int
	w   float32
}

// pixelTap is one weight of a filter at a pixel offset.
type pixelTap struct {
	dx, dy int
	w      float64
}

// bank holds the one-dimensional filters for every orientation and period
// at one resolution: across[k] and along[k] with k = orientation*periods +
// period, as pixel offsets and weights (interpolation folded in).
type bank struct {
	radius        int // the farthest a filter reaches, in pixels
	across, along [][]pixelTap
}

// bankOffsets is a bank's filters as offsets into a buffer of one stride.
type bankOffsets struct{ across, along [][]tap }

var banks sync.Map // int(scale * 1000) -> *bank

// filterBank returns the filters for images at scale times 500 ppi, made
// once per resolution.
func filterBank(scale float64) *bank {
	key := int(math.Round(scale * 1000))
	if b, ok := banks.Load(key); ok {
		return b.(*bank)
	}
	b, _ := banks.LoadOrStore(key, newBank(scale))
	return b.(*bank)
}

func newBank(scale float64) *bank {
	periods := numPeriods()
	b := &bank{}
	for o := range enhanceOrientations {
		theta := float64(o) * math.Pi / enhanceOrientations
		cos, sin := math.Cos(theta), math.Sin(theta)
		for pi := range periods {
			period := (enhanceMinPeriod + float64(pi)*enhancePeriodStep) * scale
			sigma := enhanceSigma * period
			b.radius = max(b.radius, int(math.Ceil(enhanceTruncate*sigma))+2)
			// Across: a Gaussian-windowed cosine, its mean taken out so
			// that flat grey gives 0, scaled to a gain of 1 at its period.
			ts := lineSamples(enhanceTruncate*sigma, cos, sin)
			ks, env := make([]float64, len(ts)), make([]float64, len(ts))
			var se, sc float64
			for i, t := range ts {
				env[i] = math.Exp(-t * t / (2 * sigma * sigma))
				ks[i] = env[i] * math.Cos(2*math.Pi*t/period)
				se += env[i]
				sc += ks[i]
			}
			var gain float64
			for i, t := range ts {
				ks[i] -= env[i] * sc / se
				gain += ks[i] * math.Cos(2*math.Pi*t/period)
			}
			for i := range ks {
				ks[i] /= gain
			}
			b.across = append(b.across, line(ts, ks, cos, sin))
			// Along: a Gaussian of sum 1.
			ts = lineSamples(enhanceTruncate*sigma, -sin, cos)
			env = make([]float64, len(ts))
			se = 0
			for i, t := range ts {
				env[i] = math.Exp(-t * t / (2 * sigma * sigma))
				se += env[i]
			}
			for i := range env {
				env[i] /= se
			}
			b.along = append(b.along, line(ts, env, -sin, cos))
		}
	}
	return b
}

// lineSamples are the positions, within rad of the centre, at which a
// one-dimensional filter along the unit direction (dx, dy) is sampled:
// one per pixel column when the line is closer to horizontal (one per row
// otherwise), so each sample lies on whole pixels along the major axis and
// between two pixels along the other.
func lineSamples(rad, dx, dy float64) []float64 {
	step := 1 / max(math.Abs(dx), math.Abs(dy))
	n := int(rad / step)
	ts := make([]float64, 0, 2*n+1)
	for i := -n; i <= n; i++ {
		ts = append(ts, float64(i)*step)
	}
	return ts
}

// line places the weights k of a one-dimensional filter, sampled at
// positions ts along the unit direction (dx, dy), on pixels: each sample
// lies on a pixel column (or row, see lineSamples) and is split linearly
// between the two pixels nearest to it in that column.
func line(ts, k []float64, dx, dy float64) []pixelTap {
	var out []pixelTap
	add := func(x, y int, w float64) {
		if w != 0 {
			out = append(out, pixelTap{x, y, w})
		}
	}
	for i, t := range ts {
		x, y := t*dx, t*dy
		if math.Abs(dx) >= math.Abs(dy) {
			ix, y0 := int(math.Round(x)), math.Floor(y)
			add(ix, int(y0), k[i]*(1-(y-y0)))
			add(ix, int(y0)+1, k[i]*(y-y0))
		} else {
			iy, x0 := int(math.Round(y)), math.Floor(x)
			add(int(x0), iy, k[i]*(1-(x-x0)))
			add(int(x0)+1, iy, k[i]*(x-x0))
		}
	}
	// Row by row, so the sums read memory in order.
	slices.SortFunc(out, func(a, b pixelTap) int {
		if a.dy != b.dy {
			return a.dy - b.dy
		}
		return a.dx - b.dx
	})
	return out
}

// offsets returns the bank's filters for a padded buffer of stride.
func (b *bank) offsets(stride int) *bankOffsets {
	conv := func(ks [][]pixelTap) [][]tap {
		n := 0
		for _, k := range ks {
			n += len(k)
		}
		all := make([]tap, 0, n) // one allocation for the bank
		out := make([][]tap, len(ks))
		for i, k := range ks {
			start := len(all)
			for _, t := range k {
				all = append(all, tap{t.dy*stride + t.dx, float32(t.w)})
			}
			out[i] = all[start:len(all):len(all)]
		}
		return out
	}
	return &bankOffsets{conv(b.across), conv(b.along)}
}
