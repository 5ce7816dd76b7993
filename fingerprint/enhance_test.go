package fingerprint

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
)

// ridgeImage draws concentric ridges (a whorl) of period px pixels around
// the image's centre, dark ridges on a light ground, with Gaussian noise
// of noise grey levels; clean is the same without noise.
func ridgeImage(w, h int, period, noise float64, seed uint64) (img, clean *devices.FingerprintImage) {
	rng := rand.New(rand.NewPCG(seed, 3))
	img = &devices.FingerprintImage{Width: w, Height: h, Pix: make([]byte, w*h)}
	clean = &devices.FingerprintImage{Width: w, Height: h, Pix: make([]byte, w*h)}
	for y := range h {
		for x := range w {
			r := math.Hypot(float64(x)-float64(w)/2, float64(y)-float64(h)/2)
			v := 128 + 60*math.Cos(2*math.Pi*r/period)
			clean.Pix[y*w+x] = byte(v)
			img.Pix[y*w+x] = byte(min(255, max(0, math.Round(v+noise*rng.NormFloat64()))))
		}
	}
	return img, clean
}

// correlation is the Pearson correlation of a and b's grey levels over
// the pixels where in reports true.
func correlation(a, b *devices.FingerprintImage, in func(x, y int) bool) float64 {
	var n, sa, sb, saa, sbb, sab float64
	for y := range a.Height {
		for x := range a.Width {
			if !in(x, y) {
				continue
			}
			u, v := float64(a.Pix[y*a.Width+x]), float64(b.Pix[y*b.Width+x])
			n++
			sa += u
			sb += v
			saa += u * u
			sbb += v * v
			sab += u * v
		}
	}
	cov := sab/n - sa/n*sb/n
	return cov / math.Sqrt((saa/n-sa*sa/n/n)*(sbb/n-sb*sb/n/n))
}

// TestEnhanceRestoresRidges: on a noisy synthetic whorl (noise of three
// quarters of the ridges' amplitude), the enhanced image is much closer to
// the clean ridges than the noisy one, with the ridges still dark (a
// positive correlation), away from the centre where the ridges curve too
// tightly for any oriented filter.
func TestEnhanceRestoresRidges(t *testing.T) {
	for _, period := range []float64{7, 9, 12} {
		noisy, clean := ridgeImage(320, 320, period, 45, uint64(period))
		noisy.PPI = 500
		e, err := Enhance(noisy)
		if err != nil {
			t.Fatal(err)
		}
		ring := func(x, y int) bool {
			r := math.Hypot(float64(x)-160, float64(y)-160)
			return r > 40 && r < 130
		}
		before, after := correlation(noisy, clean, ring), correlation(e, clean, ring)
		t.Logf("period %.0f: correlation with the clean ridges %.2f, enhanced %.2f", period, before, after)
		if !(after >= 0.9 && after >= before+0.2) { // NaN for a flat result
			t.Errorf("period %.0f: correlation with the clean ridges %.2f, enhanced %.2f", period, before, after)
		}
	}
}

// TestRidgePeriod: the period estimated on straight ridges is the one
// drawn, at 500 ppi and, in 500-ppi pixels, at 1000 ppi; pure noise has no
// period.
func TestRidgePeriod(t *testing.T) {
	for _, tc := range []struct {
		ppi          int
		drawn, want  float64
		theta, noise float64
	}{
		{500, 6, 6, 0, 10},
		{500, 9, 9, math.Pi / 5, 10},
		{500, 13, 13, 2, 30},
		{1000, 18, 9, 1, 10},
	} {
		w := 200
		img := &devices.FingerprintImage{Width: w, Height: w, PPI: tc.ppi, Pix: make([]byte, w*w)}
		rng := rand.New(rand.NewPCG(1, 2))
		c, s := math.Cos(tc.theta), math.Sin(tc.theta)
		for y := range w {
			for x := range w {
				d := float64(x)*c + float64(y)*s
				img.Pix[y*w+x] = byte(min(255, max(0, 128+60*math.Cos(2*math.Pi*d/tc.drawn)+tc.noise*rng.NormFloat64())))
			}
		}
		p := newProfiler(img, float64(tc.ppi)/PPI)
		got, ok := p.period(100, 100, tc.theta)
		if !ok || math.Abs(got-tc.want) > enhancePeriodStep {
			t.Errorf("%d ppi, period %.0f at %.2f rad: got %.2f (%v), want %.1f", tc.ppi, tc.drawn, tc.theta, got, ok, tc.want)
		}
	}
	// 100 windows of noise, far enough apart to be independent: about 1
	// in 100 shows a period.
	noise := noiseImage(480, 480, 5)
	found := 0
	p := newProfiler(noise, 1)
	for i := range 100 {
		if _, ok := p.period(24+float64(i%10*48), 24+float64(i/10*48), float64(i)); ok {
			found++
		}
	}
	if found > 5 {
		t.Errorf("noise shows a ridge period in %d of 100 windows", found)
	}
}

// TestEnhancePrints: an enhanced real print keeps its size, resolution and
// capture time, its background is flat, and its ridges are clearer: the
// local clarity (LCS) that Assess measures rises on nearly every print of
// each shared set (20 a set: impressions 1 and 5 of each finger).
func TestEnhancePrints(t *testing.T) {
	for _, db := range fvcDBs {
		set := fvcSet(t, db)
		higher, n := 0, 0
		var sumBefore, sumAfter float64
		for i, s := range set {
			if i%8 != 0 && i%8 != 4 {
				continue
			}
			img := *s.img
			img.PPI = fvcPPI[db]
			img.Time = time.Date(2002, 1, 2, 3, 4, 5, 0, time.UTC)
			e, err := Enhance(&img)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if e.Width != img.Width || e.Height != img.Height || e.PPI != img.PPI || !e.Time.Equal(img.Time) || len(e.Pix) != len(img.Pix) {
				t.Fatalf("%s: enhanced %dx%d at %d ppi, %v; want %dx%d at %d ppi, %v", s.name, e.Width, e.Height, e.PPI, e.Time, img.Width, img.Height, img.PPI, img.Time)
			}
			m, err := Segment(&img, SegmentConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for y := range img.Height {
				for x := range img.Width {
					if !m.At(x, y) && e.Pix[y*e.Width+x] != enhanceBackground {
						t.Fatalf("%s: background pixel (%d,%d) is %d, want %d", s.name, x, y, e.Pix[y*e.Width+x], enhanceBackground)
					}
				}
			}
			before, after := mustAssess(t, s.name, &img), mustAssess(t, s.name, e)
			sumBefore += before.LCS
			sumAfter += after.LCS
			n++
			if after.LCS > before.LCS {
				higher++
			}
		}
		t.Logf("%s: LCS rises on %d of %d prints, mean %.3f to %.3f", db, higher, n, sumBefore/float64(n), sumAfter/float64(n))
		if higher < n*9/10 {
			t.Errorf("%s: LCS rises on only %d of %d prints", db, higher, n)
		}
	}
}

// TestEnhanceNoFinger: an image without a finger comes back flat.
func TestEnhanceNoFinger(t *testing.T) {
	uniform := func(v byte) *devices.FingerprintImage { return uniformImage(388, 374, v) }
	for _, tc := range []struct {
		name string
		img  *devices.FingerprintImage
	}{
		{"blank white", uniform(255)},
		{"black", uniform(0)},
		{"uniform noise", noiseImage(388, 374, 7)},
	} {
		e, err := Enhance(tc.img)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i, v := range e.Pix {
			if v != enhanceBackground {
				t.Fatalf("%s: pixel %d is %d, want a flat %d", tc.name, i, v, enhanceBackground)
			}
		}
	}
}

// TestEnhanceShapes: small, thin and odd-sized images and extreme
// resolutions are enhanced without a panic and keep their size; invalid
// ones are errors.
func TestEnhanceShapes(t *testing.T) {
	for _, tc := range []struct{ w, h, ppi int }{
		{1, 1, 0}, {1, 300, 500}, {300, 1, 500}, {3, 3, 500}, {17, 5, 500},
		{47, 300, 500}, {300, 47, 250}, {63, 65, 2000}, {160, 160, 250}, {161, 97, 1000},
	} {
		img, _ := ridgeImage(tc.w, tc.h, 9, 20, 1)
		img.PPI = tc.ppi
		e, err := Enhance(img)
		if err != nil {
			t.Fatalf("%dx%d at %d ppi: %v", tc.w, tc.h, tc.ppi, err)
		}
		if e.Width != tc.w || e.Height != tc.h || len(e.Pix) != tc.w*tc.h || e.PPI != tc.ppi {
			t.Errorf("%dx%d at %d ppi: enhanced %dx%d (%d grey levels) at %d ppi", tc.w, tc.h, tc.ppi, e.Width, e.Height, len(e.Pix), e.PPI)
		}
	}
	for _, img := range []*devices.FingerprintImage{
		nil,
		{Width: 0, Height: 10},
		{Width: 10, Height: 10, Pix: make([]byte, 99)},
	} {
		if _, err := Enhance(img); !errors.Is(err, ErrInvalidImage) {
			t.Errorf("Enhance(%v): %v, want ErrInvalidImage", img, err)
		}
	}
}
