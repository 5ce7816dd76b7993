package models

import (
	"image"
	"math"
	"testing"

	"gocv.io/x/gocv"
)

// TestAlignedWarp draws five soft dots at a rotated, scaled and shifted
// copy of the template into a grey image whose edge cuts through the face,
// and checks that Aligned puts the dots on the template (the warp goes the
// right way, with sub-pixel accuracy) and that the crop is black where it
// leaves the image.
func TestAlignedWarp(t *testing.T) {
	const (
		cols, rows = 400, 300
		grey       = 40
		angle      = 0.35 // radians, about 20 degrees
		scale      = 3.2
		sigma      = 4.0 // the dots' Gaussian radius, in image pixels
	)
	c, s := scale*math.Cos(angle), scale*math.Sin(angle)
	tx, ty := -2.0, -100.0 // the crop's top-left corner falls outside the image
	var face Face
	pix := make([]byte, cols*rows*3)
	for i := range pix {
		pix[i] = grey
	}
	for i, p := range alignTemplate {
		x, y := c*p[0]-s*p[1]+tx, s*p[0]+c*p[1]+ty
		face.Landmarks[i] = Point{float32(x), float32(y)}
		for r := int(y) - 20; r <= int(y)+20; r++ {
			for q := int(x) - 20; q <= int(x)+20; q++ {
				if r < 0 || r >= rows || q < 0 || q >= cols {
					t.Fatalf("dot %d at (%.0f, %.0f) leaves the image", i, x, y)
				}
				v := grey + 200*math.Exp(-((float64(q)-x)*(float64(q)-x)+(float64(r)-y)*(float64(r)-y))/(2*sigma*sigma))
				for ch := range 3 {
					pix[(r*cols+q)*3+ch] = byte(math.Round(v))
				}
			}
		}
	}
	view, err := gocv.NewMatFromBytes(rows, cols, gocv.MatTypeCV8UC3, pix)
	if err != nil {
		t.Fatal(err)
	}
	img := view.Clone() // owned by OpenCV, not a view of Go memory
	view.Close()
	defer img.Close()

	e := newEmbedder(t)
	crop := gocv.NewMat()
	defer crop.Close()
	if err := e.Aligned(img, face, &crop); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, p := range alignTemplate {
		// Intensity-weighted centre of the dot, over +-5 px (4 sigma at
		// crop scale) around where it should be.
		var sum, sx, sy float64
		for y := int(p[1]) - 5; y <= int(p[1])+6; y++ {
			for x := int(p[0]) - 5; x <= int(p[0])+6; x++ {
				w := max(0, float64(crop.GetVecbAt(y, x)[1])-grey)
				sum += w
				sx += w * float64(x)
				sy += w * float64(y)
			}
		}
		if sum == 0 {
			t.Errorf("landmark %d: no dot near the template's (%.1f, %.1f)", i, p[0], p[1])
			continue
		}
		d := math.Hypot(sx/sum-p[0], sy/sum-p[1])
		worst = max(worst, d)
		if d > 0.1 {
			t.Errorf("landmark %d: dot at (%.2f, %.2f) in the crop, %.2f px from the template's (%.2f, %.2f)",
				i, sx/sum, sy/sum, d, p[0], p[1])
		}
	}
	t.Logf("dots within %.3f px of the template", worst)
	// The top-left corner maps outside the image, the centre inside.
	if v := crop.GetVecbAt(0, 0); v[0] != 0 || v[1] != 0 || v[2] != 0 {
		t.Errorf("outside the image: %v, want black", v)
	}
	if v := crop.GetVecbAt(100, 56); v[1] != grey {
		t.Errorf("inside the image: %v, want %d", v, grey)
	}
}

// TestAlignedLandmarks: YuNet, run again on the aligned crop (upscaled to
// 224 px, since it finds faces that fill a small frame poorly), finds the
// landmarks near the template. Neither step is exact: a real face's five
// points differ from the template's proportions (the least-squares fit
// leaves 3-6 px on some point), and YuNet's landmarks on a tight crop move
// by a few pixels (its mouth corners rise by 4 px on average). Measured:
// mean distance per photo 3.6-6.0 px, the worst single point 10.2 px
// (alex-lacamoire.png's right mouth corner).
func TestAlignedLandmarks(t *testing.T) {
	const (
		meanTol  = 6.5 // mean over the five landmarks, pixels at 112 scale
		pointTol = 11  // any one landmark
	)
	e := newEmbedder(t)
	d := newDetector(t, DetectorConfig{MaxWidth: 640})
	crop, big := gocv.NewMat(), gocv.NewMat()
	defer crop.Close()
	defer big.Close()
	for _, p := range embedPhotos {
		img := readPhoto(t, p.file)
		if err := e.Aligned(img, largestFace(t, d, img), &crop); err != nil {
			t.Fatalf("%s: %v", p.file, err)
		}
		if crop.Cols() != AlignedSide || crop.Rows() != AlignedSide || crop.Type() != gocv.MatTypeCV8UC3 {
			t.Fatalf("%s: crop %dx%d %v, want %dx%d CV_8UC3", p.file, crop.Cols(), crop.Rows(), crop.Type(), AlignedSide, AlignedSide)
		}
		gocv.Resize(crop, &big, image.Pt(2*AlignedSide, 2*AlignedSide), 0, 0, gocv.InterpolationLinear)
		f := largestFace(t, d, big)
		var mean, worst float64
		for i, l := range f.Landmarks {
			dist := math.Hypot(float64(l.X)/2-alignTemplate[i][0], float64(l.Y)/2-alignTemplate[i][1])
			mean += dist / float64(len(f.Landmarks))
			worst = max(worst, dist)
			if dist > pointTol {
				t.Errorf("%s: landmark %d at (%.1f, %.1f) in the crop, %.1f px from the template (%.1f, %.1f)",
					p.file, i, l.X/2, l.Y/2, dist, alignTemplate[i][0], alignTemplate[i][1])
			}
		}
		if mean > meanTol {
			t.Errorf("%s: landmarks on average %.1f px from the template, want <= %v", p.file, mean, meanTol)
		}
		t.Logf("%s: landmarks on average %.1f px from the template, at most %.1f", p.file, mean, worst)
	}
}

// TestFitSimilarity: landmarks that are an exact similarity image of the
// template are mapped onto it exactly, and for real landmarks the fit is a
// least-squares minimum (moving any parameter raises the error).
func TestFitSimilarity(t *testing.T) {
	var tmpl [5][2]float64 = alignTemplate
	for _, tc := range []struct {
		name                 string
		angle, scale, tx, ty float64 // template to landmarks
	}{
		{"identity", 0, 1, 0, 0},
		{"shifted", 0, 1, 300, -20},
		{"scaled", 0, 3.7, 0, 0},
		{"tilted 30 degrees", math.Pi / 6, 1, 0, 0},
		{"upside down", math.Pi, 1, 500, 400},
		{"all three", -0.4, 0.35, 1234.5, 77.25},
	} {
		var src [5][2]float64
		c, s := tc.scale*math.Cos(tc.angle), tc.scale*math.Sin(tc.angle)
		for i, p := range tmpl {
			src[i] = [2]float64{c*p[0] - s*p[1] + tc.tx, s*p[0] + c*p[1] + tc.ty}
		}
		fit, spread := fitSimilarity(src, tmpl)
		if want := 23.27 * tc.scale; math.Abs(spread-want) > 0.01*want {
			t.Errorf("%s: spread %v, want about %v", tc.name, spread, want)
		}
		for i := range src {
			x, y := fit.apply(src[i][0], src[i][1])
			if math.Hypot(x-tmpl[i][0], y-tmpl[i][1]) > 1e-9 {
				t.Errorf("%s: point %d maps to (%v, %v), want %v", tc.name, i, x, y, tmpl[i])
			}
		}
		if got, want := math.Hypot(fit.a, fit.b), 1/tc.scale; math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: scale %v, want %v", tc.name, got, want)
		}
	}

	// obama_small.jpg's landmarks as YuNet finds them (rounded): no exact
	// fit exists.
	src := [5][2]float64{{137.1, 91.2}, {191.7, 92.2}, {165.3, 121.3}, {138.4, 146.7}, {187.5, 147.6}}
	best, _ := fitSimilarity(src, tmpl)
	sse := func(s similarity) float64 {
		var sum float64
		for i := range src {
			x, y := s.apply(src[i][0], src[i][1])
			sum += (x-tmpl[i][0])*(x-tmpl[i][0]) + (y-tmpl[i][1])*(y-tmpl[i][1])
		}
		return sum
	}
	min := sse(best)
	for k, step := range []similarity{{a: 1e-4}, {b: 1e-4}, {tx: 1e-3}, {ty: 1e-3}} {
		for _, sign := range []float64{1, -1} {
			moved := similarity{best.a + sign*step.a, best.b + sign*step.b, best.tx + sign*step.tx, best.ty + sign*step.ty}
			if sse(moved) <= min {
				t.Errorf("parameter %d moved by %v: error %v <= the fit's %v", k, sign, sse(moved), min)
			}
		}
	}

	// All landmarks at one point: no fit.
	var point [5][2]float64
	for i := range point {
		point[i] = [2]float64{50, 60}
	}
	if s, spread := fitSimilarity(point, tmpl); spread != 0 || s != (similarity{}) {
		t.Errorf("one point: %+v, spread %v; want the zero similarity, 0", s, spread)
	}
}
