package liveness

import (
	"image"
	"math"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

func TestCurve(t *testing.T) {
	c := Curve{{8, 0.1}, {16, 0.5}, {28, 0.6}}
	for _, tc := range []struct{ v, want float64 }{
		{-5, 0.1}, {8, 0.1}, {12, 0.3}, {16, 0.5}, {22, 0.55}, {28, 0.6}, {1e9, 0.6}, {math.NaN(), 0.5},
	} {
		if got := c.At(tc.v); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("at(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if got := (Curve{}).At(3); got != 0.5 {
		t.Errorf("empty curve: %v, want 0.5", got)
	}
}

func TestCueCurves(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"screen no glare", screenCue(0), 0.5},
		{"screen 3.7 % (most a genuine face showed)", screenCue(0.037), 0.5},
		{"screen 8 % (the knee)", screenCue(0.08), 0.5},
		{"screen 12 %", screenCue(0.12), 0.3},
		{"screen 16 %", screenCue(0.16), 0.1},
		{"print chroma 0", printCue(0), 0.1},
		{"print chroma 8.25", printCue(8.25), 0.3},
		{"print chroma 11 (the knee)", printCue(11), 0.5},
		{"print chroma 43", printCue(43), 0.5},
		{"motion ratio 0", motionCurve.At(0), 0.1},
		{"motion ratio 0.56 (the knee)", motionCurve.At(0.56), 0.5},
		{"motion ratio 2", motionCurve.At(2), 0.5},
	} {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestGlareFraction(t *testing.T) {
	px := func(bgr ...[3]byte) []byte {
		var b []byte
		for _, p := range bgr {
			b = append(b, p[:]...)
		}
		return b
	}
	white := [3]byte{255, 255, 255}
	nearWhite := [3]byte{232, 236, 240}  // saturation 8/240: colourless
	brightSkin := [3]byte{150, 190, 250} // saturation 100/250: tinted
	darkGrey := [3]byte{60, 60, 60}
	for _, tc := range []struct {
		name string
		px   []byte
		want float64
	}{
		{"none", nil, 0},
		{"white", px(white), 1},
		{"near white", px(nearWhite), 1},
		{"bright skin keeps its tint", px(brightSkin), 0},
		{"dark grey", px(darkGrey), 0},
		{"one of four", px(white, brightSkin, darkGrey, brightSkin), 0.25},
	} {
		if got := glareFraction(tc.px); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// solid returns a w x h BGR image of one colour, closed when t ends.
func solid(t testing.TB, w, h int, bgr [3]byte) gocv.Mat {
	t.Helper()
	b := make([]byte, w*h*3)
	for i := 0; i < len(b); i += 3 {
		copy(b[i:], bgr[:])
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, b)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Clone() // NewMatFromBytes shares b; a clone owns its pixels
	m.Close()
	t.Cleanup(func() { c.Close() })
	return c
}

// frameOf views m (open until the test ends) as a frame.
func frameOf(t testing.TB, m gocv.Mat) frame {
	t.Helper()
	scratch := gocv.NewMat()
	t.Cleanup(func() { scratch.Close() })
	f, err := view(m, &scratch)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStillMeasure(t *testing.T) {
	c := newStillCues()
	// A skin-coloured image: B 120, G 150, R 200.
	img := solid(t, 200, 160, [3]byte{120, 150, 200})
	f := frameOf(t, img)
	y := 0.299*200 + 0.587*150 + 0.114*120
	skin := math.Hypot(0.713*(200-y), 0.564*(120-y))
	for _, tc := range []struct {
		name string
		box  models.Rect
		ok   bool
	}{
		{"inside", models.Rect{X: 50, Y: 40, W: 80, H: 90}, true},
		{"half out", models.Rect{X: 150, Y: 40, W: 80, H: 90}, true},
		{"mostly out", models.Rect{X: 185, Y: 40, W: 80, H: 90}, false},
		{"all out", models.Rect{X: -300, Y: -300, W: 80, H: 90}, false},
		{"tiny", models.Rect{X: 50, Y: 40, W: 6, H: 6}, false},
	} {
		m, ok := c.measure(f, tc.box)
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if ok && (math.Abs(m.Chroma-skin) > 1e-9 || m.Glare != 0) {
			t.Errorf("%s: %+v, want chroma %.1f and no glare", tc.name, m, skin)
		}
	}
	// White over the left half of the inner face (x 58-122) is glare.
	roi := img.Region(image.Rect(0, 0, 90, 160))
	roi.SetTo(gocv.NewScalar(255, 255, 255, 0))
	roi.Close()
	m, ok := c.measure(f, models.Rect{X: 50, Y: 40, W: 80, H: 90})
	if !ok || math.Abs(m.Glare-0.5) > 0.02 {
		t.Errorf("white half: %+v ok %v, want glare 0.5", m, ok)
	}
}

func TestFrameView(t *testing.T) {
	// A 40x30 image with pixel (x, y) = (x, y, x+y).
	b := make([]byte, 40*30*3)
	for y := range 30 {
		for x := range 40 {
			copy(b[(y*40+x)*3:], []byte{byte(x), byte(y), byte(x + y)})
		}
	}
	m, err := gocv.NewMatFromBytes(30, 40, gocv.MatTypeCV8UC3, b)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := frameOf(t, m)
	if f.w != 40 || f.h != 30 || len(f.px) != 40*30*3 {
		t.Fatalf("frame %dx%d, %d bytes", f.w, f.h, len(f.px))
	}
	// A region view is not continuous: view copies it.
	roi := m.Region(image.Rect(10, 5, 30, 25))
	defer roi.Close()
	g := frameOf(t, roi)
	if g.w != 20 || g.h != 20 || g.px[0] != 10 || g.px[1] != 5 || g.px[2] != 15 {
		t.Errorf("region view %dx%d, first pixel %v", g.w, g.h, g.px[:3])
	}
	// Sampling a 4x4 grid over x 0-40, y 0-20: cell centres at 5, 15, ...
	dst := make([]byte, 4*4*3)
	f.sample(image.Rect(0, 0, 40, 20), 4, dst)
	if dst[0] != 5 || dst[1] != 2 || dst[3*5] != 15 || dst[3*5+1] != 7 {
		t.Errorf("samples %v", dst)
	}
	// Grey of a linear ramp: each cell averages 3x3 bilinear samples
	// spread evenly over it, so the mean is the cell's centre in the
	// pixel-centre convention: (9.5+20i, 7+15j) for cells of 20x15 px.
	grey := make([]float64, 2*2)
	f.grey(image.Rect(0, 0, 40, 30), 2, grey)
	lum := func(x, y float64) float64 { return 0.114*x + 0.587*y + 0.299*(x+y) }
	for j := range 2 {
		for i := range 2 {
			want := lum(9.5+20*float64(i), 7+15*float64(j))
			if got := grey[j*2+i]; math.Abs(got-want) > 0.05 {
				t.Errorf("grey cell (%d, %d) = %.3f, want %.3f", i, j, got, want)
			}
		}
	}
	// Upscaling (a region smaller than the grid) interpolates.
	up := make([]float64, 8*8)
	f.grey(image.Rect(0, 0, 4, 4), 8, up)
	if math.Abs(up[2]-up[1]-lum(0.5, 0)) > 0.01 { // sample centres 0.5 px apart
		t.Errorf("upscaled step %.3f, want %.3f", up[2]-up[1], lum(0.5, 0))
	}
}

func TestInside(t *testing.T) {
	for _, tc := range []struct {
		r    image.Rectangle
		frac float64
		want image.Rectangle
		ok   bool
	}{
		{image.Rect(10, 10, 50, 50), 1, image.Rect(10, 10, 50, 50), true},
		{image.Rect(-10, 0, 30, 40), 0.75, image.Rect(0, 0, 30, 40), true},
		{image.Rect(-20, 0, 20, 40), 0.75, image.Rect(0, 0, 20, 40), false},
		{image.Rect(95, 0, 120, 40), 0, image.Rect(95, 0, 100, 40), false}, // 5 px wide
		{image.Rect(0, 0, 0, 0), 0, image.Rectangle{}, false},
	} {
		got, ok := inside(tc.r, 100, 80, tc.frac)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("inside(%v, %v) = %v, %v; want %v, %v", tc.r, tc.frac, got, ok, tc.want, tc.ok)
		}
	}
	if !finiteBox(models.Rect{W: 1, H: 1}) || finiteBox(models.Rect{W: 0, H: 1}) ||
		finiteBox(models.Rect{X: float32(math.Inf(1)), W: 1, H: 1}) {
		t.Error("finiteBox")
	}
}
