package models

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// Photos in shared/data/faces and how many faces each holds.
var facePhotos = []struct {
	file    string
	faces   int
	frontal bool // landmark order checks apply to every face
}{
	{"alex-lacamoire.png", 1, true},
	{"biden.jpg", 1, true},
	{"obama.jpg", 1, true},
	{"obama2.jpg", 1, true},
	{"obama_small.jpg", 1, true},
	{"tests_obama3.jpg", 1, true},
	{"train_alex_lacamoire_img1.jpg", 1, true},
	{"two_people.jpg", 2, true},
	{"test_obama_and_biden.jpg", 3, false}, // Biden, Obama and a girl, bottom right, head turned
}

// biden2 has a painted face in the background (top left) besides the real
// one, whose nose tip is near (650, 500) in the 1200x1200 photo.
const biden2 = "train_biden_biden2.jpg"

var biden2Nose = Point{650, 500}

func newDetector(t testing.TB, cfg DetectorConfig) *FaceDetector {
	t.Helper()
	cfg.ModelDir = testenv.Models(t)
	d, err := NewFaceDetector(cfg)
	if err != nil {
		t.Fatalf("NewFaceDetector: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// readPhoto loads shared/data/faces/name as BGR; the Mat is closed at cleanup.
func readPhoto(t testing.TB, name string) gocv.Mat { return readShared(t, "faces", name) }

// readShared loads shared/data/folder/name as BGR; the Mat is closed at
// cleanup.
func readShared(t testing.TB, folder, name string) gocv.Mat {
	t.Helper()
	path := filepath.Join(testenv.Shared(t), "data", folder, name)
	img := gocv.IMRead(path, gocv.IMReadColor)
	if img.Empty() {
		img.Close()
		t.Fatalf("cannot read %s", path)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

// largest returns the index of the face with the largest box and the index
// of another face, or -1 if there is none.
func largest(faces []Face) (big, other int) {
	for i, f := range faces {
		if f.Box.W*f.Box.H > faces[big].Box.W*faces[big].Box.H {
			big = i
		}
	}
	other = -1
	for i := range faces {
		if i != big {
			other = i
		}
	}
	return big, other
}

func (r Rect) contains(p Point) bool {
	return p.X >= r.X && p.X < r.X+r.W && p.Y >= r.Y && p.Y < r.Y+r.H
}

// TestDetectPhotos runs on every photo at the default MaxWidth (320) and at
// 640. Both find every real face; only 640 also finds biden2's painting.
func TestDetectPhotos(t *testing.T) {
	for _, maxWidth := range []int{0, 640} {
		d := newDetector(t, DetectorConfig{MaxWidth: maxWidth})
		for _, p := range facePhotos {
			t.Run(fmt.Sprintf("MaxWidth=%d/%s", maxWidth, p.file), func(t *testing.T) {
				img := readPhoto(t, p.file)
				faces, err := d.Detect(img, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(faces) != p.faces {
					t.Fatalf("MaxWidth %d: %d faces, want %d: %+v", maxWidth, len(faces), p.faces, faces)
				}
				for _, f := range faces {
					checkFace(t, f, img, p.frontal)
				}
			})
		}
	}
}

func checkFace(t *testing.T, f Face, img gocv.Mat, frontal bool) {
	t.Helper()
	if f.Score < DefaultScoreThreshold || f.Score > 1 {
		t.Errorf("score %v not in [%v, 1]", f.Score, DefaultScoreThreshold)
	}
	// Boxes are in the photo's coordinates, not the downscaled input's.
	if f.Box.W < 20 || f.Box.X+f.Box.W/2 < 0 || f.Box.X+f.Box.W/2 > float32(img.Cols()) ||
		f.Box.Y+f.Box.H/2 < 0 || f.Box.Y+f.Box.H/2 > float32(img.Rows()) {
		t.Errorf("box %+v does not fit a %dx%d photo", f.Box, img.Cols(), img.Rows())
	}
	for i, l := range f.Landmarks {
		grown := Rect{f.Box.X - f.Box.W/4, f.Box.Y - f.Box.H/4, f.Box.W * 1.5, f.Box.H * 1.5}
		if !grown.contains(l) {
			t.Errorf("landmark %d %+v far outside box %+v", i, l, f.Box)
		}
	}
	if !frontal {
		return
	}
	lm := f.Landmarks
	if lm[RightEye].X >= lm[LeftEye].X {
		t.Errorf("right eye x %v not left of left eye x %v", lm[RightEye].X, lm[LeftEye].X)
	}
	if lm[RightMouth].X >= lm[LeftMouth].X {
		t.Errorf("right mouth x %v not left of left mouth x %v", lm[RightMouth].X, lm[LeftMouth].X)
	}
	if n := lm[NoseTip].X; n <= lm[RightEye].X || n >= lm[LeftEye].X {
		t.Errorf("nose x %v not between the eyes (%v, %v)", n, lm[RightEye].X, lm[LeftEye].X)
	}
	eyes := max(lm[RightEye].Y, lm[LeftEye].Y)
	if lm[NoseTip].Y <= eyes {
		t.Errorf("nose y %v not below the eyes (%v)", lm[NoseTip].Y, eyes)
	}
	if lm[RightMouth].Y <= lm[NoseTip].Y || lm[LeftMouth].Y <= lm[NoseTip].Y {
		t.Errorf("mouth y (%v, %v) not below nose y %v", lm[RightMouth].Y, lm[LeftMouth].Y, lm[NoseTip].Y)
	}
}

// TestDetectLargestIsReal: the painted face in biden2 is found at MaxWidth
// 640 (not at 320), and the real face is always the largest.
func TestDetectLargestIsReal(t *testing.T) {
	for _, tc := range []struct {
		maxWidth, faces int
	}{
		{640, 2},
		{0, 1},
	} {
		d := newDetector(t, DetectorConfig{MaxWidth: tc.maxWidth})
		img := readPhoto(t, biden2)
		faces, err := d.Detect(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) != tc.faces {
			t.Fatalf("MaxWidth %d: %d faces, want %d: %+v", tc.maxWidth, len(faces), tc.faces, faces)
		}
		big, other := largest(faces)
		if !faces[big].Box.contains(biden2Nose) {
			t.Errorf("MaxWidth %d: largest box %+v does not hold the real face at %+v", tc.maxWidth, faces[big].Box, biden2Nose)
		}
		if other >= 0 && faces[other].Box.contains(biden2Nose) {
			t.Errorf("MaxWidth %d: the other box %+v holds the real face too", tc.maxWidth, faces[other].Box)
		}
		checkFace(t, faces[big], img, true)
	}
}

// TestDetectScale: a photo at or below MaxWidth is not resized, so
// detecting on a 2x upscale must give boxes twice as large.
func TestDetectScale(t *testing.T) {
	d := newDetector(t, DetectorConfig{MaxWidth: 320})
	small := readPhoto(t, "obama_small.jpg") // 320x240: detected as is
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(small, &big, image.Pt(640, 480), 0, 0, gocv.InterpolationLinear)
	a, err := d.Detect(small, nil)
	if err != nil || len(a) != 1 {
		t.Fatalf("small: %v, %v", a, err)
	}
	b, err := d.Detect(big, nil)
	if err != nil || len(b) != 1 {
		t.Fatalf("big: %v, %v", b, err)
	}
	near := func(x, y float32) bool { return x-y < 4 && y-x < 4 }
	if !near(b[0].Box.X, 2*a[0].Box.X) || !near(b[0].Box.W, 2*a[0].Box.W) ||
		!near(b[0].Box.Y, 2*a[0].Box.Y) || !near(b[0].Box.H, 2*a[0].Box.H) {
		t.Errorf("upscaled box %+v, want about 2 x %+v", b[0].Box, a[0].Box)
	}
}

// TestDetectRegion: a non-continuous view into a larger Mat works, and
// results are in the view's coordinates.
func TestDetectRegion(t *testing.T) {
	d := newDetector(t, DetectorConfig{})
	img := readPhoto(t, "two_people.jpg") // 1126x661, faces near x 300 and 860
	whole, err := d.Detect(img, nil)
	if err != nil || len(whole) != 2 {
		t.Fatalf("whole: %v, %v", whole, err)
	}
	right := img.Region(image.Rect(563, 0, 1126, 661))
	defer right.Close()
	faces, err := d.Detect(right, nil)
	if err != nil || len(faces) != 1 {
		t.Fatalf("right half: %v, %v", faces, err)
	}
	want := whole[0]
	if whole[1].Box.X > want.Box.X {
		want = whole[1]
	}
	if dx := faces[0].Box.X + 563 - want.Box.X; dx < -6 || dx > 6 {
		t.Errorf("region box x %v + 563, want about %v", faces[0].Box.X, want.Box.X)
	}
}

func TestDetectInvalidImage(t *testing.T) {
	d := newDetector(t, DetectorConfig{})
	closed := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC3)
	closed.Close()
	tests := []struct {
		name string
		img  func() gocv.Mat
	}{
		{"empty", gocv.NewMat},
		{"closed", func() gocv.Mat { return closed }},
		{"one channel", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC1) }},
		{"four channels", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC4) }},
		{"float", func() gocv.Mat { return gocv.NewMatWithSize(240, 320, gocv.MatTypeCV32FC3) }},
		{"too small", func() gocv.Mat { return gocv.NewMatWithSize(63, 320, gocv.MatTypeCV8UC3) }},
		{"too small once downscaled", func() gocv.Mat { return gocv.NewMatWithSize(100, 2000, gocv.MatTypeCV8UC3) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.img()
			defer img.Close()
			faces, err := d.Detect(img, make([]Face, 3))
			if !errors.Is(err, ErrInvalidImage) {
				t.Fatalf("err = %v, want ErrInvalidImage", err)
			}
			if len(faces) != 0 {
				t.Errorf("%d faces returned with an error", len(faces))
			}
		})
	}
	// The smallest accepted size works.
	img := gocv.NewMatWithSize(MinDetectorInput, MinDetectorInput, gocv.MatTypeCV8UC3)
	defer img.Close()
	if _, err := d.Detect(img, nil); err != nil {
		t.Errorf("%dx%d: %v", MinDetectorInput, MinDetectorInput, err)
	}
}

// TestShimCatchesExceptions makes OpenCV throw through the shim, at load and
// at detection, and checks the process gets an error and carries on.
func TestShimCatchesExceptions(t *testing.T) {
	cfg, err := DetectorConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "not-onnx.onnx")
	if err := os.WriteFile(text, []byte("this is not an ONNX model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{text, filepath.Join(dir, "absent.onnx")} {
		d, err := newFaceDetectorUnchecked(path, cfg)
		if !errors.Is(err, ErrNative) || d != nil {
			t.Errorf("load %s: %v, %v; want ErrNative", filepath.Base(path), d, err)
		}
	}

	d := newDetector(t, DetectorConfig{})
	img := readPhoto(t, "obama_small.jpg")
	// A 0x0 target makes cv::resize throw inside biogate_yunet_detect.
	if _, err := d.detectAt(img, 0, 0, nil); !errors.Is(err, ErrNative) {
		t.Fatalf("detectAt 0x0: %v, want ErrNative", err)
	}
	// A network input below 63 px makes the DNN throw.
	if _, err := d.detectAt(img, 32, 32, nil); !errors.Is(err, ErrNative) {
		t.Fatalf("detectAt 32x32: %v, want ErrNative", err)
	}
	// The detector is still usable.
	faces, err := d.Detect(img, nil)
	if err != nil || len(faces) != 1 {
		t.Fatalf("after errors: %d faces, %v", len(faces), err)
	}
}

func TestDetectorClose(t *testing.T) {
	d := newDetector(t, DetectorConfig{})
	img := readPhoto(t, "obama_small.jpg")
	for range 2 {
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := d.Detect(img, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Detect after Close: %v, want ErrClosed", err)
	}
}

func TestNewFaceDetectorConfig(t *testing.T) {
	models := testenv.Models(t)
	bad := []DetectorConfig{
		{ScoreThreshold: -0.1},
		{ScoreThreshold: 1.5},
		{NMSThreshold: -1},
		{NMSThreshold: 2},
		{TopK: -1},
		{TopK: 5001},
		{MaxWidth: MinDetectorInput - 1},
		{MaxWidth: -320},
	}
	for _, cfg := range bad {
		cfg.ModelDir = models
		if d, err := NewFaceDetector(cfg); !errors.Is(err, ErrInvalidConfig) {
			if d != nil {
				d.Close()
			}
			t.Errorf("%+v: %v, want ErrInvalidConfig", cfg, err)
		}
	}
	got, err := DetectorConfig{}.withDefaults()
	want := DetectorConfig{ScoreThreshold: 0.9, NMSThreshold: 0.3, TopK: 50, MaxWidth: 320}
	if err != nil || got != want {
		t.Errorf("defaults: %+v, %v; want %+v", got, err, want)
	}
}

// TestNewFaceDetectorModelFile damages a copy of the model: every case must
// be refused in Go before OpenCV sees the file.
func TestNewFaceDetectorModelFile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(testenv.Models(t), "yunet", "face_detection_yunet_2022mar.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x01
	garbage := make([]byte, len(good)) // right size, wrong bytes
	for i := range garbage {
		garbage[i] = byte(i * 7)
	}
	tests := []struct {
		name    string
		content []byte // nil: no file
		want    error
	}{
		{"missing", nil, ErrMissing},
		{"flipped byte", flipped, ErrCorrupt},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"empty", []byte{}, ErrCorrupt},
		{"garbage of the right size", garbage, ErrCorrupt},
		{"garbage", []byte("<html>rate limited</html>"), ErrCorrupt},
		{"good copy", good, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != nil {
				writeModel(t, dir, YuNet, tc.content)
			}
			d, err := NewFaceDetector(DetectorConfig{ModelDir: dir})
			if d != nil {
				defer d.Close()
			}
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want != nil && (d != nil || !containsAll(err.Error(), "fetch-models.sh", "BIOGATE_MODELS", YuNet)) {
				t.Errorf("error %q should name the model and say what to do", err)
			}
		})
	}
}

// TestDetectNoAllocs: with dst passed back, steady-state Detect allocates
// nothing in Go, downscaling or not.
func TestDetectNoAllocs(t *testing.T) {
	d := newDetector(t, DetectorConfig{})
	for _, name := range []string{"two_people.jpg", "obama_small.jpg"} {
		img := readPhoto(t, name)
		faces, err := d.Detect(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			faces, err = d.Detect(img, faces)
		})
		if err != nil || len(faces) == 0 {
			t.Fatalf("%s: %d faces, %v", name, len(faces), err)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Detect, want 0", name, allocs)
		}
	}
}

func benchmarkDetect(b *testing.B, w, h int) {
	d := newDetector(b, DetectorConfig{})
	photo := readPhoto(b, "two_people.jpg")
	img := gocv.NewMat()
	defer img.Close()
	gocv.Resize(photo, &img, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
	faces, err := d.Detect(img, nil)
	if err != nil || len(faces) != 2 {
		b.Fatalf("%d faces, %v", len(faces), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		faces, err = d.Detect(img, faces)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect measures a frame at camera sizes, with the default
// MaxWidth (so both are downscaled to 320 px wide).
func BenchmarkDetect(b *testing.B) {
	b.Run("640x480", func(b *testing.B) { benchmarkDetect(b, 640, 480) })
	b.Run("1280x720", func(b *testing.B) { benchmarkDetect(b, 1280, 720) })
}
