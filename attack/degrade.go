package attack

import (
	"math"
	"math/rand/v2"
)

// AddNoise adds Gaussian sensor-like noise of standard deviation sigma
// (grey levels) to every channel of im, drawn from rng.
func AddNoise(im *Image, sigma float64, rng *rand.Rand) {
	if sigma <= 0 {
		return
	}
	for i, b := range im.Pix {
		im.Pix[i] = clamp8(float64(b) + sigma*rng.NormFloat64())
	}
}

// PrintDegrade makes im look like a printed photo, in place: desaturated,
// on warm paper that is never white nor black, with a halftone screen
// (two line screens at different angles, whose beat is a moiré) and the
// blur of print and refocus. The pattern is drawn from rng, so the same
// source gives the same print.
func PrintDegrade(im *Image, rng *rand.Rand) {
	desat := 0.3 + 0.35*rng.Float64()
	tint := [3]float64{0.84 + 0.06*rng.Float64(), 0.93 + 0.04*rng.Float64(), 1} // B, G, R: warm paper
	lo, hi := 20+20*rng.Float64(), 215+25*rng.Float64()
	period := 3 + 3*rng.Float64()
	a1, a2 := rng.Float64()*math.Pi, rng.Float64()*math.Pi
	amp := 4 + 6*rng.Float64()
	for y := range im.H {
		for x := range im.W {
			i := (y*im.W + x) * 3
			b, g, r := float64(im.Pix[i]), float64(im.Pix[i+1]), float64(im.Pix[i+2])
			grey := 0.114*b + 0.587*g + 0.299*r
			fx, fy := float64(x), float64(y)
			ht := amp * (math.Sin(2*math.Pi*(fx*math.Cos(a1)+fy*math.Sin(a1))/period) +
				math.Sin(2*math.Pi*(fx*math.Cos(a2)+fy*math.Sin(a2))/(period*1.07))) / 2
			for c, v := range [3]float64{b, g, r} {
				v = v + desat*(grey-v)
				v = lo + v*(hi-lo)/255
				im.Pix[i+c] = clamp8(v*tint[c] + ht)
			}
		}
	}
	boxBlur(im, 1)
}

// ScreenDegrade makes im look like a photo shown on a screen, in place:
// a gamma that is not the camera's, a cool cast and a slight pixel grid.
func ScreenDegrade(im *Image, rng *rand.Rand) {
	gamma := 0.8 + 0.45*rng.Float64()
	cast := [3]float64{1.04 + 0.06*rng.Float64(), 1, 0.92 + 0.05*rng.Float64()} // B, G, R
	pitch := 3 + rng.IntN(2)
	dark := 0.85 + 0.07*rng.Float64()
	var lut [256]float64
	for v := range lut {
		lut[v] = 255 * math.Pow(float64(v)/255, gamma)
	}
	for y := range im.H {
		for x := range im.W {
			i := (y*im.W + x) * 3
			k := 1.0
			if x%pitch == 0 || y%pitch == 0 {
				k = dark
			}
			for c := range 3 {
				im.Pix[i+c] = clamp8(lut[im.Pix[i+c]] * cast[c] * k)
			}
		}
	}
}

// Overlay is what a screen adds in the camera's frame rather than on the
// screen: a moiré between the screen's grid and the sensor's, and the
// glare of a lamp reflected on the glass. Drawn once per session.
type Overlay struct {
	period, angle, amp float64
	gx, gy, gr, gamp   float64
}

// NewOverlay draws a screen overlay from rng.
func NewOverlay(rng *rand.Rand) Overlay {
	return Overlay{
		period: 8 + 12*rng.Float64(), angle: rng.Float64() * math.Pi, amp: 3 + 5*rng.Float64(),
		gx: FrameWidth * (0.15 + 0.7*rng.Float64()), gy: FrameHeight * (0.1 + 0.6*rng.Float64()),
		gr: 40 + 60*rng.Float64(), gamp: 40 + 50*rng.Float64(),
	}
}

// Apply adds the overlay to im, in place.
func (o Overlay) Apply(im *Image) {
	cs, sn := math.Cos(o.angle), math.Sin(o.angle)
	for y := range im.H {
		for x := range im.W {
			fx, fy := float64(x), float64(y)
			add := o.amp * math.Sin(2*math.Pi*(fx*cs+fy*sn)/o.period)
			dx, dy := (fx-o.gx)/o.gr, (fy-o.gy)/(0.6*o.gr)
			add += o.gamp * math.Exp(-(dx*dx + dy*dy))
			i := (y*im.W + x) * 3
			for c := range 3 {
				im.Pix[i+c] = clamp8(float64(im.Pix[i+c]) + add)
			}
		}
	}
}

// boxBlur blurs im in place with a (2r+1)-wide box, horizontally then
// vertically.
func boxBlur(im *Image, r int) {
	tmp := make([]byte, len(im.Pix))
	n := float64(2*r + 1)
	for pass := range 2 {
		for y := range im.H {
			for x := range im.W {
				for c := range 3 {
					s := 0.0
					for k := -r; k <= r; k++ {
						xx, yy := x, y
						if pass == 0 {
							xx = clampInt(x+k, 0, im.W-1)
						} else {
							yy = clampInt(y+k, 0, im.H-1)
						}
						s += float64(im.Pix[(yy*im.W+xx)*3+c])
					}
					tmp[(y*im.W+x)*3+c] = clamp8(s / n)
				}
			}
		}
		copy(im.Pix, tmp)
	}
}

func clamp8(v float64) byte {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v + 0.5)
}
