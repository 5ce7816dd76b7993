package fingerprint

import (
	"math"
	"slices"

	"github.com/biogate/biogate/devices"
)

// The block features follow the definitions of NFIQ 2 (NIST, public
// domain) and ISO/IEC 29794-4:2017: a window of 32x32 pixels at 500 ppi
// around each foreground block gives the local orientation, and a "slanted
// block" of 32 pixels across the ridges by 16 along them, sampled in that
// orientation, gives a grey-level profile across the ridges whose linear
// trend splits it into ridge (darker) and valley (lighter) runs.
const (
	// qualityWindow is the side of the orientation window, and the length
	// of the profile across the ridges, in pixels at 500 ppi.
	qualityWindow = 32
	// qualityAlong is the length of the slanted block along the ridges.
	qualityAlong = 16
	// ofMinAngle is NFIQ 2's orientation flow tolerance: neighbouring
	// blocks whose orientations differ by less count as a smooth flow.
	ofMinAngle = 4 * math.Pi / 180
)

// NFIQ 2's limits on the mean ridge and valley widths of a clear block,
// in pixels at 500 ppi: outside them a block's local clarity is 0.
const (
	lcsRidgeMin, lcsRidgeMax   = 3.0, 10.0
	lcsValleyMin, lcsValleyMax = 2.0, 10.0
)

// blockQuality holds one foreground block's features.
type blockQuality struct {
	ocl, lcs, fda float64
	// theta is the ridge-normal orientation (radians, mod pi).
	theta float64
	// ridgeShare is the share of the profile that is ridge (midShare).
	ridgeShare float64
}

// blockAnalyser measures blocks of one image; its buffers are reused from
// block to block.
type blockAnalyser struct {
	img     *devices.FingerprintImage
	scale   float64 // pixels per 500-ppi pixel
	win     int     // orientation window side in pixels
	samples [qualityWindow * qualityAlong]float64
	profile [qualityWindow]float64
	ridge   [qualityWindow]bool
	runs    []int
	// ratios collects ridge/valley width ratios over the image (RVU).
	ratios []float64
}

func newBlockAnalyser(img *devices.FingerprintImage) *blockAnalyser {
	scale := 1.0
	if img.PPI > 0 {
		scale = float64(img.PPI) / 500
	}
	return &blockAnalyser{img: img, scale: scale, win: max(8, int(math.Round(qualityWindow*scale)))}
}

// analyse measures the block centred on (cx, cy).
func (a *blockAnalyser) analyse(cx, cy float64) blockQuality {
	img := a.img
	// The orientation window, shifted inside the image where it would
	// cross the edge; gradients are central differences.
	half := a.win / 2
	x0 := min(max(1, int(cx)-half), max(1, img.Width-1-a.win))
	y0 := min(max(1, int(cy)-half), max(1, img.Height-1-a.win))
	x1, y1 := min(img.Width-1, x0+a.win), min(img.Height-1, y0+a.win)
	var gxx, gyy, gxy float64
	w := img.Width
	for y := y0; y < y1; y++ {
		row := img.Pix[y*w : y*w+w]
		up, down := img.Pix[(y-1)*w:], img.Pix[(y+1)*w:]
		for x := x0; x < x1; x++ {
			gx := float64(int(row[x+1]) - int(row[x-1]))
			gy := float64(int(down[x]) - int(up[x]))
			gxx += gx * gx
			gyy += gy * gy
			gxy += gx * gy
		}
	}
	var b blockQuality
	// OCL: 1 - lambda_min/lambda_max of the gradient covariance.
	tr, d := gxx+gyy, math.Hypot(gxx-gyy, 2*gxy)
	if tr > 0 {
		b.ocl = 1 - (tr-d)/(tr+d)
	}
	b.theta = 0.5 * math.Atan2(2*gxy, gxx-gyy)
	a.slant(cx, cy, b.theta)
	b.lcs = a.clarity()
	b.fda = a.frequency()
	b.ridgeShare = a.midShare()
	return b
}

// slant samples the slanted block: qualityWindow steps across the ridges
// (along the gradient, theta) by qualityAlong along them, one 500-ppi pixel
// apart, bilinear, and averages it into the profile. The linear trend of the
// profile is the ridge/valley threshold (NFIQ 2's getRidgeValleyStructure).
func (a *blockAnalyser) slant(cx, cy, theta float64) {
	nx, ny := math.Cos(theta)*a.scale, math.Sin(theta)*a.scale
	tx, ty := -ny, nx
	for u := range qualityWindow {
		du := float64(u) - (qualityWindow-1)/2.0
		sum := 0.0
		for v := range qualityAlong {
			dv := float64(v) - (qualityAlong-1)/2.0
			s := a.sample(cx+du*nx+dv*tx, cy+du*ny+dv*ty)
			a.samples[u*qualityAlong+v] = s
			sum += s
		}
		a.profile[u] = sum / qualityAlong
	}
	// Least squares line through the profile.
	const n = qualityWindow
	var su, sp, suu, sup float64
	for u, p := range a.profile {
		fu := float64(u)
		su += fu
		sp += p
		suu += fu * fu
		sup += fu * p
	}
	slope := (n*sup - su*sp) / (n*suu - su*su)
	icept := (sp - slope*su) / n
	for u, p := range a.profile {
		a.ridge[u] = p < icept+slope*float64(u)
		a.profile[u] = icept + slope*float64(u) // now the threshold
	}
}

// midShare is the share of the profile darker than the midpoint of its
// range once the trend is taken out. Not NFIQ 2's: its threshold, the trend,
// follows the mean, which merged ridges pull down with them; the midpoint
// between the darkest ridge and the lightest valley does not, so a valley
// squeezed to a thin line shows as a high share.
func (a *blockAnalyser) midShare() float64 {
	var d [qualityWindow]float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for u := range qualityWindow {
		s := 0.0
		for _, v := range a.samples[u*qualityAlong : (u+1)*qualityAlong] {
			s += v
		}
		d[u] = s/qualityAlong - a.profile[u]
		lo, hi = min(lo, d[u]), max(hi, d[u])
	}
	n := 0
	for _, v := range d {
		if v < (lo+hi)/2 {
			n++
		}
	}
	return float64(n) / qualityWindow
}

// sample is the bilinear grey level at (x, y), clamped to the image.
func (a *blockAnalyser) sample(x, y float64) float64 {
	img := a.img
	x = min(max(x, 0), float64(img.Width-1))
	y = min(max(y, 0), float64(img.Height-1))
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	ix1, iy1 := min(ix+1, img.Width-1), min(iy+1, img.Height-1)
	p := img.Pix
	w := img.Width
	top := float64(p[iy*w+ix])*(1-fx) + float64(p[iy*w+ix1])*fx
	bot := float64(p[iy1*w+ix])*(1-fx) + float64(p[iy1*w+ix1])*fx
	return top*(1-fy) + bot*fy
}

// clarity is NFIQ 2's local clarity score of the slanted block: 1 minus the
// mean of the shares of valley pixels darker and ridge pixels lighter than
// the threshold; 0 when the mean ridge or valley width is implausible. It
// also appends the block's
// ridge/valley width ratios of complete runs to a.ratios (RVU).
func (a *blockAnalyser) clarity() float64 {
	a.runs = a.runs[:0]
	n := 1
	for u := range qualityWindow {
		if u == 0 {
			continue
		}
		if a.ridge[u] == a.ridge[u-1] {
			n++
			continue
		}
		a.runs = append(a.runs, n)
		n = 1
	}
	a.runs = append(a.runs, n)
	if len(a.runs) < 3 {
		return 0 // no complete ridge or valley
	}
	// Complete runs: all but the first and the last, which the block's
	// edge cuts.
	first := a.ridge[0]
	var wr, wv, nr, nv float64
	for i, r := range a.runs[1 : len(a.runs)-1] {
		isRidge := (i%2 == 0) != first // run i+1 alternates from the first
		if isRidge {
			wr += float64(r)
			nr++
		} else {
			wv += float64(r)
			nv++
		}
		if i > 0 {
			prev := float64(a.runs[i])
			if isRidge {
				a.ratios = append(a.ratios, float64(r)/prev)
			} else {
				a.ratios = append(a.ratios, prev/float64(r))
			}
		}
	}
	if nr == 0 || nv == 0 {
		return 0
	}
	wr, wv = wr/nr/a.scale, wv/nv/a.scale
	if wr < lcsRidgeMin || wr > lcsRidgeMax || wv < lcsValleyMin || wv > lcsValleyMax {
		return 0
	}
	var badR, badV, allR, allV int
	for u := range qualityWindow {
		t := a.profile[u]
		for _, s := range a.samples[u*qualityAlong : (u+1)*qualityAlong] {
			if a.ridge[u] {
				allR++
				if s >= t {
					badR++
				}
			} else {
				allV++
				if s < t {
					badV++
				}
			}
		}
	}
	return 1 - (float64(badR)/float64(allR)+float64(badV)/float64(allV))/2
}

// frequency is NFIQ 2's frequency domain analysis of the profile: the
// amplitude at the dominant frequency (with 0.3 of its two neighbours) over
// the sum of the amplitudes up to half the sampling rate, DC left out.
// A dominant frequency of one cycle per window or at the highest bin is
// no ridge pattern: 0 (NFIQ 2 returns 1 there, marked FIXME).
func (a *blockAnalyser) frequency() float64 {
	// The profile now holds the threshold; rebuild the mean profile.
	var amp [qualityWindow/2 + 1]float64
	var prof [qualityWindow]float64
	for u := range qualityWindow {
		s := 0.0
		for _, v := range a.samples[u*qualityAlong : (u+1)*qualityAlong] {
			s += v
		}
		prof[u] = s / qualityAlong
	}
	sum := 0.0
	peak := 0
	for k := 1; k <= qualityWindow/2; k++ {
		var re, im float64
		for u, p := range prof {
			i := (k * u) % qualityWindow
			re += p * dftTable[i][0]
			im -= p * dftTable[i][1]
		}
		amp[k] = math.Hypot(re, im)
		if k < qualityWindow/2 {
			sum += amp[k]
		}
		if k < qualityWindow/2 && (peak == 0 || amp[k] > amp[peak]) {
			peak = k
		}
	}
	if sum == 0 || peak <= 1 || peak >= qualityWindow/2-1 {
		return 0
	}
	return (amp[peak] + 0.3*(amp[peak-1]+amp[peak+1])) / sum
}

// dftTable holds the cosine and sine of 2*pi*i/qualityWindow.
var dftTable = func() (t [qualityWindow][2]float64) {
	for i := range t {
		t[i][1], t[i][0] = math.Sincos(2 * math.Pi * float64(i) / qualityWindow)
	}
	return t
}()

// orientationFlow is NFIQ 2's OF: for each foreground block whose eight
// neighbours are foreground, the mean over the neighbours of how much their
// ridge orientation differs beyond ofMinAngle, as a share of the largest
// difference (90 degrees); the mean over those blocks. 0 for a smooth flow;
// 0 also when no block has eight foreground neighbours.
func orientationFlow(m *Mask, theta []float64) float64 {
	sum, n := 0.0, 0
	for r := 1; r < m.Rows-1; r++ {
		for c := 1; c < m.Cols-1; c++ {
			if !m.Block(c, r) {
				continue
			}
			all, s := true, 0.0
			for dr := -1; dr <= 1 && all; dr++ {
				for dc := -1; dc <= 1; dc++ {
					if dr == 0 && dc == 0 {
						continue
					}
					if !m.Block(c+dc, r+dr) {
						all = false
						break
					}
					d := math.Abs(theta[r*m.Cols+c] - theta[(r+dr)*m.Cols+c+dc])
					d = math.Mod(d, math.Pi)
					d = min(d, math.Pi-d)
					if d > ofMinAngle {
						s += (d - ofMinAngle) / (math.Pi/2 - ofMinAngle)
					}
				}
			}
			if all {
				sum += s / 8
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// spread is the standard deviation of xs (0 for fewer than two values).
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)))
}

// middle is the median of xs (sorted in place; 0 for none).
func middle(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}
