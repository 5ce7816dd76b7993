package capture

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gocv.io/x/gocv"
)

var singlePersonPhotos = []string{
	"alex-lacamoire.png", "biden.jpg", "obama.jpg", "obama2.jpg", "obama_small.jpg",
	"tests_obama3.jpg", "train_alex_lacamoire_img1.jpg",
}

func TestOneFaceOnEachSinglePersonPhoto(t *testing.T) {
	for _, maxWidth := range []int{0, 640} {
		an := newAnalyzer(t, maxWidth)
		for _, name := range singlePersonPhotos {
			img := readImage(t, face(t, name))
			a, err := an.Analyze(img)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(a.Faces) != 1 || a.Quality.Faces.Value != 1 {
				t.Errorf("%s (detect width %d): %d faces, %v counted; want exactly 1", name, maxWidth, len(a.Faces), a.Quality.Faces.Value)
			}
			if a.Quality.Score <= 0 || slices.Contains(a.Hints, HintNoFace) || slices.Contains(a.Hints, HintMultipleFaces) {
				t.Errorf("%s: score %v hints %v; want a usable single face", name, a.Quality.Score, a.Hints)
			}
		}
	}
}

func TestTwoPeopleAreTwoFaces(t *testing.T) {
	an := newAnalyzer(t, 640)
	a, err := an.Analyze(readImage(t, face(t, "two_people.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Faces) != 2 || a.Quality.Faces.Value != 2 {
		t.Fatalf("%d faces, %v counted; want 2", len(a.Faces), a.Quality.Faces.Value)
	}
	if a.Quality.Score != 0 || !slices.Contains(a.Hints, HintMultipleFaces) {
		t.Errorf("score %v hints %v; want 0 and multiple_faces", a.Quality.Score, a.Hints)
	}
}

// The background of train_biden_biden2.jpg holds a painted face that YuNet
// also finds (at 640 px; the painting is at the top left). It must not
// become the subject.
func TestPaintedFaceIsNotTheSubject(t *testing.T) {
	an := newAnalyzer(t, 640)
	img := readImage(t, face(t, "train_biden_biden2.jpg"))
	a, err := an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Faces) != 2 {
		t.Fatalf("%d faces; want the person and the painting", len(a.Faces))
	}
	s, _ := a.SubjectFace()
	for i, f := range a.Faces {
		if i != a.Subject && f.Box.W*f.Box.H >= s.Box.W*s.Box.H {
			t.Errorf("subject %+v is not the largest face (other %+v)", s.Box, f.Box)
		}
	}
	// The person stands in the middle of the picture; the painting is in the
	// top-left corner.
	if cx := s.Box.X + s.Box.W/2; cx < 0.3*float32(img.Cols()) || cx > 0.7*float32(img.Cols()) {
		t.Errorf("subject centre x %v is not the person in the middle", cx)
	}
}

func analyzeOne(t *testing.T, an *Analyzer, img gocv.Mat) Analysis {
	t.Helper()
	a, err := an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Faces) != 1 {
		t.Fatalf("%d faces; want 1", len(a.Faces))
	}
	return a
}

func TestBlurLowersSharpness(t *testing.T) {
	an := newAnalyzer(t, 0)
	img := readImage(t, face(t, "obama.jpg"))
	orig := analyzeOne(t, an, img).Quality

	blurred := gocv.NewMat()
	defer blurred.Close()
	gocv.GaussianBlur(img, &blurred, image.Pt(0, 0), 6, 6, gocv.BorderDefault)
	a := analyzeOne(t, an, blurred)
	got := a.Quality
	if !(got.Sharpness.Value < orig.Sharpness.Value/2 && got.Sharpness.Score < orig.Sharpness.Score) {
		t.Errorf("sharpness: original %+v, blurred %+v; want the blurred one much lower", orig.Sharpness, got.Sharpness)
	}
	if got.Score >= orig.Score {
		t.Errorf("unified score: original %v, blurred %v", orig.Score, got.Score)
	}
	if !slices.Contains(a.Hints, HintBlurry) {
		t.Errorf("hints %v; want blurry", a.Hints)
	}
}

func TestExposureChangesLuminanceScores(t *testing.T) {
	an := newAnalyzer(t, 0)
	img := readImage(t, face(t, "obama.jpg"))
	orig := analyzeOne(t, an, img).Quality

	dark := gocv.NewMat()
	defer dark.Close()
	img.ConvertToWithParams(&dark, gocv.MatTypeCV8UC3, 0.25, 0)
	a := analyzeOne(t, an, dark)
	if !(a.Quality.LuminanceMean.Value < orig.LuminanceMean.Value && a.Quality.LuminanceMean.Score < orig.LuminanceMean.Score) {
		t.Errorf("luminance: original %+v, darkened %+v", orig.LuminanceMean, a.Quality.LuminanceMean)
	}
	if !slices.Contains(a.Hints, HintTooDark) {
		t.Errorf("darkened hints %v; want too_dark", a.Hints)
	}

	bright := gocv.NewMat()
	defer bright.Close()
	img.ConvertToWithParams(&bright, gocv.MatTypeCV8UC3, 1.2, 110)
	a = analyzeOne(t, an, bright)
	if !(a.Quality.OverExposure.Value > orig.OverExposure.Value && a.Quality.OverExposure.Score < orig.OverExposure.Score) {
		t.Errorf("over-exposure: original %+v, brightened %+v", orig.OverExposure, a.Quality.OverExposure)
	}
	if !slices.Contains(a.Hints, HintTooBright) {
		t.Errorf("brightened hints %v; want too_bright", a.Hints)
	}
}

// rotate turns img by deg degrees counter-clockwise (OpenCV's sign) about its
// centre.
func rotate(img gocv.Mat, deg float64) gocv.Mat {
	m := gocv.GetRotationMatrix2D(image.Pt(img.Cols()/2, img.Rows()/2), deg, 1)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(img, &out, m, image.Pt(img.Cols(), img.Rows()), gocv.InterpolationLinear, gocv.BorderReplicate, colorBlack)
	return out
}

// YuNet's landmarks are coarse on a tilted face (errors up to about 15
// degrees at 25 degrees of tilt, measured on these photos), so the test asks
// for the right sign, a magnitude within a factor of two, and monotonicity.
func TestRollFollowsRotation(t *testing.T) {
	an := newAnalyzer(t, 0)
	for _, name := range []string{"train_alex_lacamoire_img1.jpg", "obama.jpg", "obama_small.jpg"} {
		img := readImage(t, face(t, name))
		base := analyzeOne(t, an, img).Quality.Roll.Value
		prev := math.Inf(1)
		for _, deg := range []float64{-25, -12, 12, 25} {
			r := rotate(img, deg)
			got := analyzeOne(t, an, r).Quality.Roll.Value - base
			r.Close()
			// Turning the picture counter-clockwise (positive in OpenCV)
			// lifts the subject's left eye (image right): roll goes negative.
			if got*deg >= 0 || math.Abs(got) < 0.5*math.Abs(deg) || math.Abs(got) > 2*math.Abs(deg) {
				t.Errorf("%s rotated %v deg: roll changed by %.1f, want about %v", name, deg, got, -deg)
			}
			if got >= prev {
				t.Errorf("%s rotated %v deg: roll change %.1f not below the previous %.1f", name, deg, got, prev)
			}
			prev = got
		}
	}
}

func TestTokenFrontalPutsEyesInPlace(t *testing.T) {
	an := newAnalyzer(t, 0)
	for _, name := range []string{"obama.jpg", "train_alex_lacamoire_img1.jpg"} {
		img := readImage(t, face(t, name))
		rot := rotate(img, 14) // a tilted head must come out level
		a := analyzeOne(t, an, rot)
		f, _ := a.SubjectFace()
		tok := gocv.NewMat()
		if err := TokenFrontal(rot, f, DefaultTokenWidth, &tok); err != nil {
			t.Fatal(err)
		}
		rot.Close()
		if tok.Cols() != DefaultTokenWidth || tok.Rows() != DefaultTokenWidth*4/3 {
			t.Fatalf("token size %dx%d", tok.Cols(), tok.Rows())
		}
		ta := analyzeOne(t, an, tok)
		tf, _ := ta.SubjectFace()
		wantR, wantL := TokenEyes(DefaultTokenWidth)
		for i, want := range []struct{ X, Y float32 }{{wantR.X, wantR.Y}, {wantL.X, wantL.Y}} {
			got := tf.Landmarks[i]
			if math.Hypot(float64(got.X-want.X), float64(got.Y-want.Y)) > 8 {
				t.Errorf("%s: eye %d in token at %v, want %v +- 8 px", name, i, got, want)
			}
		}
		if r := math.Abs(ta.Quality.Roll.Value); r > 3 {
			t.Errorf("%s: token roll %v, want level", name, r)
		}
		tok.Close()
	}
}

func TestAnalyzeRejectsBadImages(t *testing.T) {
	an := newAnalyzer(t, 0)
	empty := gocv.NewMat()
	defer empty.Close()
	grey := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8U)
	defer grey.Close()
	for name, m := range map[string]gocv.Mat{"empty": empty, "grey": grey} {
		if _, err := an.Analyze(m); err != ErrBadImage {
			t.Errorf("%s: err %v, want ErrBadImage", name, err)
		}
	}
}

func TestScoreMappings(t *testing.T) {
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"ramp below zero point", ramp{20, 60}.score(10), 0},
		{"ramp half way", ramp{20, 60}.score(40), 50},
		{"ramp full", ramp{20, 60}.score(80), 100},
		{"descending ramp", ramp{40, 10}.score(25), 50},
		{"band inside", band{0, 1, 2, 3}.score(1.5), 100},
		{"band low edge", band{0, 1, 2, 3}.score(0.5), 50},
		{"band high edge", band{0, 1, 2, 3}.score(2.5), 50},
		{"band outside", band{0, 1, 2, 3}.score(4), 0},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	var sum float64
	w := Weights
	for _, x := range []float64{w.Sharpness, w.LuminanceMean, w.LuminanceSpread, w.UnderExposure, w.OverExposure, w.InterEye, w.Yaw, w.Pitch, w.Roll, w.FaceSize, w.Centring} {
		sum += x
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("weights sum to %v, want 1", sum)
	}
}

// A greyscale or infrared camera: every shared face photo turned grey (and
// JPEG-compressed, as a relay sends it) has no colour, gets the no_colour
// hint and is Colourless; in colour none is, and none has the hint.
func TestGreyFramesAreColourless(t *testing.T) {
	an := newAnalyzer(t, 0)
	for _, name := range singlePersonPhotos {
		img := readImage(t, face(t, name))
		colour := analyzeOne(t, an, img).Quality
		if colour.Colourless() || colour.Colour.Value < 3*ColourlessBelow {
			t.Errorf("%s in colour: chroma %v, colourless %v", name, colour.Colour.Value, colour.Colourless())
		}
		grey, back := gocv.NewMat(), gocv.NewMat()
		gocv.CvtColor(img, &grey, gocv.ColorBGRToGray)
		gocv.CvtColor(grey, &back, gocv.ColorGrayToBGR)
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, back, []int{gocv.IMWriteJpegQuality, 60})
		if err != nil {
			t.Fatal(err)
		}
		jpg, err := gocv.IMDecode(buf.GetBytes(), gocv.IMReadColor)
		buf.Close()
		grey.Close()
		for _, m := range []struct {
			name string
			img  gocv.Mat
		}{{"grey", back}, {"grey jpeg60", jpg}} {
			a := analyzeOne(t, an, m.img)
			t.Logf("%s: face chroma %.1f in colour, %.1f %s", name, colour.Colour.Value, a.Quality.Colour.Value, m.name)
			if !a.Quality.Colourless() || !slices.Contains(a.Hints, HintNoColour) {
				t.Errorf("%s %s: chroma %v, hints %v; want colourless and no_colour", name, m.name, a.Quality.Colour.Value, a.Hints)
			}
			if a.Quality.Score != 0 && math.Abs(a.Quality.Score-colour.Score) > 15 {
				t.Errorf("%s %s: unified score %v against %v in colour: colour is not in the score", name, m.name, a.Quality.Score, colour.Score)
			}
		}
		back.Close()
		jpg.Close()
	}
	// No face, nothing measured: not colourless.
	var q Quality
	if q.Colourless() {
		t.Error("an unmeasured Quality is colourless")
	}
}

func TestMeanChroma(t *testing.T) {
	if got := MeanChroma([]byte{7, 7, 7, 200, 200, 200}); math.Abs(got) > 1e-9 {
		t.Errorf("greys: %v, want 0", got)
	}
	// Against OpenCV's own BGR->YCrCb on random mid-range colours (no
	// 8-bit saturation there): equal up to OpenCV's rounding to integers.
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 64
	b := make([]byte, n*n*3)
	for i := range b {
		b[i] = byte(64 + rng.IntN(128))
	}
	m, err := gocv.NewMatFromBytes(n, n, gocv.MatTypeCV8UC3, b)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ycc := gocv.NewMat()
	defer ycc.Close()
	gocv.CvtColor(m, &ycc, gocv.ColorBGRToYCrCb)
	yb, err := ycc.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for i := 0; i < len(yb); i += 3 {
		want += math.Hypot(float64(yb[i+1])-128, float64(yb[i+2])-128)
	}
	want /= n * n
	if got := MeanChroma(b); math.Abs(got-want) > 0.5 {
		t.Errorf("MeanChroma %v, OpenCV %v", got, want)
	}
}
