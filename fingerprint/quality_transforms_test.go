package fingerprint

import (
	"math/rand/v2"
	"slices"

	"github.com/biogate/biogate/devices"
)

// The transforms simulate what goes wrong at a sensor on real prints. Each
// returns a new image; the input is not changed.

// mapGrey applies f to every grey level.
func mapGrey(img *devices.FingerprintImage, f func(v float64) float64) *devices.FingerprintImage {
	out := *img
	out.Pix = make([]byte, len(img.Pix))
	for i, v := range img.Pix {
		out.Pix[i] = clampGrey(f(float64(v)))
	}
	return &out
}

func clampGrey(v float64) byte { return byte(min(255, max(0, v+0.5))) }

// lighten simulates a light press: everything pulled towards white and the
// contrast cut to 30%.
func lighten(img *devices.FingerprintImage) *devices.FingerprintImage {
	return mapGrey(img, func(v float64) float64 { return 255 - (255-v)*0.3 })
}

// darken simulates a heavy press: everything pulled towards black.
func darken(img *devices.FingerprintImage) *devices.FingerprintImage {
	return mapGrey(img, func(v float64) float64 { return v * 0.4 })
}

// erode is a grey-level erosion (minimum over a (2r+1)^2 square): the dark
// ridges widen and close the valleys, as under too much pressure.
func erode(img *devices.FingerprintImage, r int) *devices.FingerprintImage {
	return rankFilter(img, r, func(a, b byte) byte { return min(a, b) })
}

// rankFilter applies a separable min or max over a (2r+1)^2 square.
func rankFilter(img *devices.FingerprintImage, r int, pick func(a, b byte) byte) *devices.FingerprintImage {
	w, h := img.Width, img.Height
	tmp := make([]byte, w*h)
	for y := range h {
		for x := range w {
			v := img.Pix[y*w+x]
			for dx := -r; dx <= r; dx++ {
				if xx := x + dx; xx >= 0 && xx < w {
					v = pick(v, img.Pix[y*w+xx])
				}
			}
			tmp[y*w+x] = v
		}
	}
	out := *img
	out.Pix = make([]byte, w*h)
	for y := range h {
		for x := range w {
			v := tmp[y*w+x]
			for dy := -r; dy <= r; dy++ {
				if yy := y + dy; yy >= 0 && yy < h {
					v = pick(v, tmp[yy*w+x])
				}
			}
			out.Pix[y*w+x] = v
		}
	}
	return &out
}

// boxBlur averages over a (2r+1)^2 square (clamped at the edges).
func boxBlur(img *devices.FingerprintImage, r int) *devices.FingerprintImage {
	w, h := img.Width, img.Height
	tmp := make([]float64, w*h)
	for y := range h {
		for x := range w {
			s, n := 0.0, 0
			for dx := -r; dx <= r; dx++ {
				if xx := x + dx; xx >= 0 && xx < w {
					s += float64(img.Pix[y*w+xx])
					n++
				}
			}
			tmp[y*w+x] = s / float64(n)
		}
	}
	out := *img
	out.Pix = make([]byte, w*h)
	for y := range h {
		for x := range w {
			s, n := 0.0, 0
			for dy := -r; dy <= r; dy++ {
				if yy := y + dy; yy >= 0 && yy < h {
					s += tmp[yy*w+x]
					n++
				}
			}
			out.Pix[y*w+x] = clampGrey(s / float64(n))
		}
	}
	return &out
}

// addNoise adds Gaussian noise of standard deviation sigma grey levels.
func addNoise(img *devices.FingerprintImage, sigma float64, seed uint64) *devices.FingerprintImage {
	rng := rand.New(rand.NewPCG(seed, 29))
	return mapGrey(img, func(v float64) float64 { return v + sigma*rng.NormFloat64() })
}

// platenGrey is the image's empty-platen grey level: its 90th percentile
// (fingerprint images have dark ridges on a light platen).
func platenGrey(img *devices.FingerprintImage) byte {
	s := slices.Clone(img.Pix)
	slices.Sort(s)
	return s[len(s)*9/10]
}

// shiftPrint moves the print by (dx, dy) pixels, filling what comes in with the
// background: with dx = Width/2 half of it leaves the image.
func shiftPrint(img *devices.FingerprintImage, dx, dy int) *devices.FingerprintImage {
	bg := platenGrey(img)
	out := *img
	out.Pix = make([]byte, len(img.Pix))
	for y := range img.Height {
		for x := range img.Width {
			sx, sy := x-dx, y-dy
			v := bg
			if sx >= 0 && sy >= 0 && sx < img.Width && sy < img.Height {
				v = img.Pix[sy*img.Width+sx]
			}
			out.Pix[y*img.Width+x] = v
		}
	}
	return &out
}

// cropCentre keeps a side x side patch around the centre of the print's
// foreground and fills the rest with the background: a fingertip.
func cropCentre(img *devices.FingerprintImage, cx, cy, side int) *devices.FingerprintImage {
	bg := platenGrey(img)
	out := *img
	out.Pix = make([]byte, len(img.Pix))
	x0, y0 := cx-side/2, cy-side/2
	for y := range img.Height {
		for x := range img.Width {
			v := bg
			if x >= x0 && x < x0+side && y >= y0 && y < y0+side {
				v = img.Pix[y*img.Width+x]
			}
			out.Pix[y*img.Width+x] = v
		}
	}
	return &out
}
