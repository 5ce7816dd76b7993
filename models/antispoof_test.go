package models

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// padImages are Silent-Face-Anti-Spoofing's samples in shared/data/pad
// (480x640), with the ensemble's published p(real) for YuNet boxes
// (shared/README.md, models/minifasnet/PROVENANCE.txt) and the bounds this
// package asserts for any reasonable YuNet box.
var padImages = []struct {
	file string
	live bool
	// ref is the published p(real); tol is half a unit of its last printed
	// digit plus a little, for another build of OpenCV.
	ref, tol float64
	// maxLive bounds Live for an attack, minLive for a live face. Measured
	// over the four detector/box variants of TestAntiSpoofPAD: F1 0.140-0.233,
	// F2 0.0038-0.0145, T1 0.9957-0.9981.
	maxLive, minLive float64
}{
	{file: "image_F1.jpg", ref: 0.14, tol: 0.01, maxLive: 0.35},               // printed photo
	{file: "image_F2.jpg", ref: 0.006, tol: 0.002, maxLive: 0.05},             // replay on a tablet
	{file: "image_T1.jpg", live: true, ref: 0.998, tol: 0.002, minLive: 0.98}, // live person
}

func newAntiSpoof(t testing.TB) *AntiSpoof {
	t.Helper()
	a, err := NewAntiSpoof(AntiSpoofConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatalf("NewAntiSpoof: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// readPad loads shared/data/pad/name as BGR; the Mat is closed at cleanup.
func readPad(t testing.TB, name string) gocv.Mat { return readShared(t, "pad", name) }

// largestBox returns the box of the largest face d finds in img.
func largestBox(t testing.TB, d *FaceDetector, img gocv.Mat) Rect {
	t.Helper()
	faces, err := d.Detect(img, nil)
	if err != nil || len(faces) == 0 {
		t.Fatalf("no face: %d faces, %v", len(faces), err)
	}
	big, _ := largest(faces)
	return faces[big].Box
}

// truncated returns r with every field truncated to an integer, as
// Silent-Face-Anti-Spoofing's own detector (get_bbox) returns boxes.
func truncated(r Rect) Rect {
	return Rect{float32(int(r.X)), float32(int(r.Y)), float32(int(r.W)), float32(int(r.H))}
}

// argmax returns the class the original project decides on: the largest
// averaged softmax.
func (s AntiSpoofScore) argmax() int {
	best, bestP := 0, -1.0
	for k := range s.V2 {
		if p := float64(s.V2[k]) + float64(s.V1SE[k]); p > bestP {
			best, bestP = k, p
		}
	}
	return best
}

// checkScore checks the invariants every score has.
func checkScore(t *testing.T, s AntiSpoofScore) {
	t.Helper()
	if !(s.Live >= 0 && s.Live <= 1) {
		t.Errorf("Live %v not in [0, 1]", s.Live)
	}
	for name, p := range map[string][3]float32{"V2": s.V2, "V1SE": s.V1SE} {
		if sum := p[0] + p[1] + p[2]; math.Abs(float64(sum)-1) > 1e-5 {
			t.Errorf("%s %v sums to %v", name, p, sum)
		}
	}
	if mean := (float64(s.V2[AntiSpoofReal]) + float64(s.V1SE[AntiSpoofReal])) / 2; math.Abs(mean-s.Live) > 1e-6 {
		t.Errorf("Live %v is not the mean of class 1 (%v)", s.Live, mean)
	}
}

// TestAntiSpoofPAD scores the three samples with YuNet's largest face. With
// YuNet at the image's own resolution (MaxWidth 640 >= 480) and boxes
// truncated to integers, it reproduces the published p(real) (0.14, 0.006,
// 0.998); measured 0.1401, 0.0057, 0.9976. Every other variant (float boxes,
// the default MaxWidth 320) must still classify all three with a margin,
// and so must the default preprocessing (area-averaged crops, the warm
// cast cap), which is not the published one: 0.143-0.218, 0.0014-0.0026,
// 0.9922-0.9952.
func TestAntiSpoofPAD(t *testing.T) {
	for _, published := range []bool{true, false} {
		a, err := NewAntiSpoof(AntiSpoofConfig{ModelDir: testenv.Models(t), AsPublished: published})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		testAntiSpoofPAD(t, a, published)
	}
}

func testAntiSpoofPAD(t *testing.T, a *AntiSpoof, published bool) {
	for _, maxWidth := range []int{640, 0} {
		d := newDetector(t, DetectorConfig{MaxWidth: maxWidth})
		for _, trunc := range []bool{true, false} {
			for _, p := range padImages {
				t.Run(fmt.Sprintf("published=%v/MaxWidth=%d/int=%v/%s", published, maxWidth, trunc, p.file), func(t *testing.T) {
					img := readPad(t, p.file)
					box := largestBox(t, d, img)
					if trunc {
						box = truncated(box)
					}
					s, err := a.Score(img, box)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("box %+v: Live %.4f, V2 %v, V1SE %v", box, s.Live, s.V2, s.V1SE)
					checkScore(t, s)
					if published && maxWidth == 640 && trunc && math.Abs(s.Live-p.ref) > p.tol {
						t.Errorf("Live %.4f, want the published %v +- %v", s.Live, p.ref, p.tol)
					}
					if p.live {
						if s.Live < p.minLive || s.argmax() != AntiSpoofReal {
							t.Errorf("live face: Live %.4f (want >= %v), class %d (want %d)", s.Live, p.minLive, s.argmax(), AntiSpoofReal)
						}
					} else {
						if s.Live > p.maxLive || s.argmax() == AntiSpoofReal {
							t.Errorf("attack: Live %.4f (want <= %v), class %d (want %d or %d)",
								s.Live, p.maxLive, s.argmax(), AntiSpoofPrint, AntiSpoofReplay)
						}
					}
				})
			}
		}
	}
}

// TestAntiSpoofFaces: every single-person photo in shared/data/faces is a
// live face. Measured Live at MaxWidth 320 / 640: 0.94-1.00 for all but
// obama2.jpg at 320 (0.87). As published (bilinear crops), they were
// 0.97-1.00 but for train_biden_biden2.jpg, a studio portrait with a
// painting behind, which MiniFASNetV2 found half print-like: 0.53 / 0.65
// (0.99 / 0.98 now). The shared README's "0.49-1.00" (13 photos, another
// set) has the same kind of outlier: Live just above 0.5 is a real
// possibility for a real face, so a caller's threshold belongs well below
// 0.85.
func TestAntiSpoofFaces(t *testing.T) {
	a := newAntiSpoof(t)
	photos := []struct {
		file    string
		minLive float64
	}{{biden2, 0.5}}
	for _, p := range facePhotos {
		if p.faces == 1 {
			photos = append(photos, struct {
				file    string
				minLive float64
			}{p.file, 0.85})
		}
	}
	if len(photos) < 8 {
		t.Fatalf("%d single-person photos, want at least 8", len(photos))
	}
	for _, maxWidth := range []int{0, 640} {
		d := newDetector(t, DetectorConfig{MaxWidth: maxWidth})
		for _, p := range photos {
			t.Run(fmt.Sprintf("MaxWidth=%d/%s", maxWidth, p.file), func(t *testing.T) {
				img := readPhoto(t, p.file)
				s, err := a.Score(img, largestBox(t, d, img))
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("Live %.4f, V2 %v, V1SE %v", s.Live, s.V2, s.V1SE)
				checkScore(t, s)
				if s.Live < p.minLive || s.argmax() != AntiSpoofReal {
					t.Errorf("Live %.4f (want >= %v), class %d, want %d", s.Live, p.minLive, s.argmax(), AntiSpoofReal)
				}
			})
		}
	}
}

// TestCropBox compares cropBox with the original Python function. The
// wanted rectangles were printed by CropImage._get_new_box, copied verbatim
// from minivision-ai/Silent-Face-Anti-Spoofing src/generate_patches.py and
// run with python3 on the same float32 boxes; (x1, y1) became Max = (x1+1,
// y1+1).
func TestCropBox(t *testing.T) {
	tests := []struct {
		name       string
		srcW, srcH int
		box        Rect
		scale      float64
		want       image.Rectangle
	}{
		{"centred", 640, 480, Rect{200, 150, 100, 120}, 2.7, image.Rect(115, 48, 386, 373)},
		{"centred, height limits scale", 640, 480, Rect{200, 150, 100, 120}, 4.0, image.Rect(50, 0, 450, 480)},
		{"near top left", 640, 480, Rect{10, 5, 100, 120}, 4.0, image.Rect(0, 0, 400, 480)},
		{"near bottom right", 640, 480, Rect{560, 400, 80, 80}, 2.7, image.Rect(423, 263, 640, 480)},
		{"partly left of image", 640, 480, Rect{-30, 100, 60, 80}, 2.7, image.Rect(0, 32, 163, 249)},
		{"partly below image", 640, 480, Rect{300, 440, 60, 80}, 4.0, image.Rect(210, 159, 451, 480)},
		{"large face limits scale", 640, 480, Rect{100, 50, 300, 400}, 4.0, image.Rect(70, 0, 430, 480)},
		{"box larger than image", 640, 480, Rect{-50, -50, 800, 600}, 2.7, image.Rect(0, 0, 640, 480)},
		{"tiny box", 640, 480, Rect{100.5, 100.5, 0.5, 0.5}, 4.0, image.Rect(99, 99, 102, 102)},
		{"YuNet F1, V2", 480, 640, Rect{191.565186, 123.29525, 189.480042, 225.369705}, 2.7, image.Rect(0, 0, 480, 570)},
		{"YuNet F1, V1SE", 480, 640, Rect{191.565186, 123.29525, 189.480042, 225.369705}, 4.0, image.Rect(0, 0, 480, 570)},
		{"YuNet T1, V1SE", 480, 640, Rect{116.2854, 121.738815, 181.227753, 230.670502}, 4.0, image.Rect(0, 0, 480, 610)},
		{"one pixel image", 1, 1, Rect{0, 0, 1, 1}, 2.7, image.Rect(0, 0, 1, 1)},
		{"one pixel wide image", 1, 100, Rect{0.25, 10, 0.5, 20}, 4.0, image.Rect(0, 20, 1, 21)},
	}
	for _, tc := range tests {
		if got := cropBox(tc.srcW, tc.srcH, tc.box, tc.scale); got != tc.want {
			t.Errorf("%s: cropBox(%d, %d, %+v, %v) = %v, want %v", tc.name, tc.srcW, tc.srcH, tc.box, tc.scale, got, tc.want)
		}
	}
	// Boxes checkBox accepts but far outside any face size stay inside.
	for _, box := range []Rect{
		{-1e38, -1e38, 3e38, 3e38},
		{639.9, 479.9, 1e-30, 1e-30},
		{-1e30, 0, 1e30 + 1, 1},
	} {
		for _, scale := range []float64{scaleV2, scaleV1SE} {
			r := cropBox(640, 480, box, scale)
			if r.Empty() || !r.In(image.Rect(0, 0, 640, 480)) {
				t.Errorf("cropBox(%+v, %v) = %v, not a non-empty part of 640x480", box, scale, r)
			}
		}
	}
}

// TestAntiSpoofRegion: a non-continuous view scores exactly like a
// continuous copy of it, and repeated calls give the same result.
func TestAntiSpoofRegion(t *testing.T) {
	a := newAntiSpoof(t)
	d := newDetector(t, DetectorConfig{})
	img := readPhoto(t, "two_people.jpg") // 1126x661, faces near x 300 and 860
	right := img.Region(image.Rect(563, 0, 1126, 661))
	defer right.Close()
	copied := right.Clone()
	defer copied.Close()
	box := largestBox(t, d, right)
	want, err := a.Score(copied, box)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := a.Score(right, box)
		if err != nil || got != want {
			t.Fatalf("region: %+v, %v; copy: %+v", got, err, want)
		}
	}
	// A box at the corner is cropped shifted into the image, not padded.
	corner := Rect{-40, -40, 100, 100}
	s, err := a.Score(img, corner)
	if err != nil {
		t.Fatalf("corner box: %v", err)
	}
	checkScore(t, s)
}

func TestAntiSpoofInvalidInput(t *testing.T) {
	a := newAntiSpoof(t)
	closed := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC3)
	closed.Close()
	good := Rect{20, 20, 40, 50}
	images := []struct {
		name string
		img  func() gocv.Mat
	}{
		{"empty", gocv.NewMat},
		{"closed", func() gocv.Mat { return closed }},
		{"grey", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC1) }},
		{"four channels", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC4) }},
		{"float", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV32FC3) }},
	}
	for _, tc := range images {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.img()
			defer img.Close()
			if s, err := a.Score(img, good); !errors.Is(err, ErrInvalidImage) || s != (AntiSpoofScore{}) {
				t.Fatalf("%+v, %v; want ErrInvalidImage", s, err)
			}
		})
	}

	img := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
	defer img.Close()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	boxes := []struct {
		name string
		box  Rect
	}{
		{"zero size", Rect{}},
		{"zero width", Rect{10, 10, 0, 50}},
		{"zero height", Rect{10, 10, 50, 0}},
		{"negative width", Rect{100, 10, -50, 50}},
		{"left of image", Rect{-60, 10, 50, 50}},
		{"right of image", Rect{320, 10, 50, 50}},
		{"above image", Rect{10, -50, 50, 50}},
		{"below image", Rect{10, 240, 50, 50}},
		{"touching the left edge from outside", Rect{-50, 10, 50, 50}},
		{"far outside", Rect{1e30, 1e30, 50, 50}},
		{"NaN x", Rect{nan, 10, 50, 50}},
		{"NaN width", Rect{10, 10, nan, 50}},
		{"infinite height", Rect{10, 10, 50, inf}},
		{"infinite x", Rect{-inf, 10, 50, 50}},
	}
	for _, tc := range boxes {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := a.Score(img, tc.box); !errors.Is(err, ErrInvalidBox) || s != (AntiSpoofScore{}) {
				t.Fatalf("%+v, %v; want ErrInvalidBox", s, err)
			}
		})
	}
	// Still usable, and the smallest overlap is accepted.
	for _, box := range []Rect{good, {-49.5, -49.5, 50, 50}, {319.5, 239.5, 0.5, 0.5}} {
		s, err := a.Score(img, box)
		if err != nil {
			t.Fatalf("%+v after bad input: %v", box, err)
		}
		checkScore(t, s)
	}
}

// TestAntiSpoofShimCatchesExceptions makes OpenCV throw through the shim,
// at load and at scoring, and checks the process gets an error and carries
// on.
func TestAntiSpoofShimCatchesExceptions(t *testing.T) {
	models := testenv.Models(t)
	v2, err := Path(models, MiniFASNetV2)
	if err != nil {
		t.Fatal(err)
	}
	v1se, err := Path(models, MiniFASNetV1SE)
	if err != nil {
		t.Fatal(err)
	}
	yunet, err := Path(models, YuNet)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "not-onnx.onnx")
	if err := os.WriteFile(text, []byte("this is not an ONNX model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		paths  [nets]string
		naming string // the model the error names
	}{
		{"not ONNX", [nets]string{text, v1se}, MiniFASNetV2},
		{"absent", [nets]string{v2, filepath.Join(dir, "absent.onnx")}, MiniFASNetV1SE},
		{"another model (YuNet: loads, wrong output)", [nets]string{v2, yunet}, MiniFASNetV1SE},
	} {
		a, err := newAntiSpoofUnchecked(tc.paths)
		if !errors.Is(err, ErrNative) || a != nil {
			t.Errorf("%s: %v, %v; want ErrNative", tc.name, a, err)
			continue
		}
		if !containsAll(err.Error(), "loading "+tc.naming+":") {
			t.Errorf("%s: %q does not name %s", tc.name, err, tc.naming)
		}
		t.Logf("%s: %v", tc.name, err)
	}

	a := newAntiSpoof(t)
	img := readPad(t, "image_T1.jpg")
	// A crop past the image makes cv::Mat's ROI constructor throw.
	a.setCrop(0, image.Rect(0, 0, 10, 10))
	a.setCrop(1, image.Rect(470, 630, 490, 650))
	if _, err := a.run(img); !errors.Is(err, ErrNative) {
		t.Fatalf("crop outside the image: %v, want ErrNative", err)
	}
	s, err := a.Score(img, Rect{116, 121, 181, 230})
	if err != nil || s.Live < 0.9 {
		t.Fatalf("after the error: %+v, %v", s, err)
	}
}

func TestAntiSpoofClose(t *testing.T) {
	a := newAntiSpoof(t)
	img := readPad(t, "image_T1.jpg")
	for range 2 {
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := a.Score(img, Rect{116, 121, 181, 230}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Score after Close: %v, want ErrClosed", err)
	}
}

// TestNewAntiSpoofModelFiles damages copies of the models: every case must
// be refused in Go before OpenCV sees a file.
func TestNewAntiSpoofModelFiles(t *testing.T) {
	models := testenv.Models(t)
	good := map[string][]byte{}
	for _, name := range []string{MiniFASNetV2, MiniFASNetV1SE} {
		p, err := Path(models, name)
		if err != nil {
			t.Fatal(err)
		}
		if good[name], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(b []byte) []byte {
		b = append([]byte(nil), b...)
		b[len(b)/2] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		v2     []byte // nil: no file
		v1se   []byte
		want   error
		naming string // the model the error names
	}{
		{"flipped byte in V2", flip(good[MiniFASNetV2]), good[MiniFASNetV1SE], ErrCorrupt, MiniFASNetV2},
		{"flipped byte in V1SE", good[MiniFASNetV2], flip(good[MiniFASNetV1SE]), ErrCorrupt, MiniFASNetV1SE},
		{"V1SE truncated", good[MiniFASNetV2], good[MiniFASNetV1SE][:1000], ErrCorrupt, MiniFASNetV1SE},
		{"files swapped", good[MiniFASNetV1SE], good[MiniFASNetV2], ErrCorrupt, MiniFASNetV2},
		{"V2 missing", nil, good[MiniFASNetV1SE], ErrMissing, MiniFASNetV2},
		{"V1SE missing", good[MiniFASNetV2], nil, ErrMissing, MiniFASNetV1SE},
		{"good copies", good[MiniFASNetV2], good[MiniFASNetV1SE], nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.v2 != nil {
				writeModel(t, dir, MiniFASNetV2, tc.v2)
			}
			if tc.v1se != nil {
				writeModel(t, dir, MiniFASNetV1SE, tc.v1se)
			}
			a, err := NewAntiSpoof(AntiSpoofConfig{ModelDir: dir})
			if a != nil {
				defer a.Close()
			}
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want != nil && (a != nil || !containsAll(err.Error(), "fetch-models.sh", tc.naming)) {
				t.Errorf("error %q should name %s and say what to do", err, tc.naming)
			}
		})
	}
}

// TestAntiSpoofNoAllocs: steady-state Score allocates nothing in Go.
func TestAntiSpoofNoAllocs(t *testing.T) {
	a := newAntiSpoof(t)
	img := readPad(t, "image_T1.jpg")
	box := Rect{116, 121, 181, 230}
	var err error
	allocs := testing.AllocsPerRun(20, func() {
		_, err = a.Score(img, box)
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("%v allocations per Score, want 0", allocs)
	}
}

// BenchmarkAntiSpoof scores the largest face of a 640x480 frame (image_T1
// resized) with both models on one OpenCV thread, as a kiosk core would.
// Run pinned to one core:
//
//	taskset -c 0 go test ./models -run '^$' -bench AntiSpoof -benchtime 3s
func BenchmarkAntiSpoof(b *testing.B) {
	SetNumThreads(1)
	b.Cleanup(func() { SetNumThreads(-1) })
	a := newAntiSpoof(b)
	d := newDetector(b, DetectorConfig{})
	img := gocv.NewMat()
	defer img.Close()
	gocv.Resize(readPad(b, "image_T1.jpg"), &img, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
	box := largestBox(b, d, img)
	s, err := a.Score(img, box)
	if err != nil || s.Live < 0.5 {
		b.Fatalf("%+v, %v", s, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Score(img, box); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
}
