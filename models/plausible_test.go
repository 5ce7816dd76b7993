package models

import (
	"image"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
)

// detectorWidths are the MaxWidth values the code runs YuNet at: capture
// and the emulator's probes (320), the emulator's references and the
// attack generator (640).
var detectorWidths = []int{320, 640}

// Fingerprint images hold no face: at every detector width the code uses,
// Detect finds none in any shared fingerprint image (the four FVC2002 B
// sets, SourceAFIS's samples and the images of the four USB readers'
// recordings), although YuNet alone scores some of them above the 0.9
// threshold. Each of the two checks, Plausible's geometry and the ridge
// check, keeps them all out on its own.
func TestFingerprintsAreNoFaces(t *testing.T) {
	paths := fingerprintImages(t)
	var raw, plausible, smooth int
	for _, w := range detectorWidths {
		d := newDetector(t, DetectorConfig{MaxWidth: w})
		all := newDetector(t, DetectorConfig{MaxWidth: w})
		all.keepImplausible, all.keepRidged = true, true
		var faces []Face
		for _, p := range paths {
			img := gocv.IMRead(p, gocv.IMReadColor)
			if img.Empty() {
				img.Close()
				t.Fatalf("cannot read %s", p)
			}
			var err error
			if faces, err = all.Detect(img, faces); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for i, f := range faces {
				raw++
				share := all.shares[i]
				if f.Plausible(img.Cols(), img.Rows()) {
					plausible++
					t.Errorf("width %d: %s: Plausible keeps a face at %+v, score %.3f (the ridge check: %.3f)", w, p, f.Box, f.Score, share)
				}
				if share < RidgeShareMax {
					smooth++
					t.Errorf("width %d: %s: the ridge check keeps a face at %+v, score %.3f, ridge share %.3f", w, p, f.Box, f.Score, share)
				}
			}
			if faces, err = d.Detect(img, faces); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, f := range faces {
				t.Errorf("width %d: %s: Detect finds a face at %+v, score %.3f", w, p, f.Box, f.Score)
			}
			img.Close()
		}
	}
	// Without the checks the threshold alone lets fingerprints through:
	// this test would fail.
	if raw == 0 {
		t.Error("YuNet alone found no face in any fingerprint image: the test no longer shows what the checks remove")
	}
	t.Logf("YuNet alone, score >= %.2f: %d detections in %d fingerprint images x %d widths; kept by Plausible alone %d, by the ridge check alone %d, by Detect 0",
		DefaultScoreThreshold, raw, len(paths), len(detectorWidths), plausible, smooth)
}

// fingerprintImages lists the shared fingerprint images: FVC2002's four B
// sets, SourceAFIS's samples and the USB recordings' images.
func fingerprintImages(t *testing.T) []string {
	t.Helper()
	root := filepath.Join(testenv.Shared(t), "data")
	var paths []string
	filepath.WalkDir(filepath.Join(root, "fingerprints"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".png") {
			paths = append(paths, p)
		}
		return nil
	})
	usb, _ := filepath.Glob(filepath.Join(root, "usb", "*", "capture.png"))
	if len(paths) < 320 || len(usb) < 4 {
		t.Fatalf("%d fingerprint images and %d USB captures under %s, want the 320 of FVC2002 and SourceAFIS's and 4", len(paths), len(usb), root)
	}
	return append(paths, usb...)
}

// Plausible takes no face away from any shared photo, at every width.
func TestPlausibleKeepsEveryFace(t *testing.T) {
	for _, w := range detectorWidths {
		d := newDetector(t, DetectorConfig{MaxWidth: w})
		var faces []Face
		for _, p := range facePhotos {
			img := readPhoto(t, p.file)
			var err error
			if faces, err = d.Detect(img, faces); err != nil {
				t.Fatal(err)
			}
			if len(faces) != p.faces {
				t.Errorf("width %d: %s: %d faces, want %d", w, p.file, len(faces), p.faces)
			}
		}
	}
}

func TestPlausibleGeometry(t *testing.T) {
	// A frontal face in a 200x200 box at (100, 100) of a 640x480 image.
	face := Face{Box: Rect{100, 100, 200, 200}, Score: 1, Landmarks: [5]Point{
		RightEye: {160, 170}, LeftEye: {240, 170}, NoseTip: {200, 210}, RightMouth: {170, 245}, LeftMouth: {230, 245}}}
	if !face.Plausible(640, 480) {
		t.Fatal("a frontal face is not plausible")
	}
	for name, edit := range map[string]func(f *Face){
		"landmark left of the image":   func(f *Face) { f.Landmarks[RightEye].X = -1 },
		"landmark below the image":     func(f *Face) { f.Landmarks[LeftMouth].Y = 480 },
		"landmark far outside the box": func(f *Face) { f.Landmarks[NoseTip] = Point{330, 210} },
		"mouth too far below the eyes": func(f *Face) { f.Landmarks[RightMouth].Y, f.Landmarks[LeftMouth].Y = 285, 285 },
		"mouth on the eyes": func(f *Face) {
			f.Landmarks[RightMouth], f.Landmarks[LeftMouth] = f.Landmarks[RightEye], f.Landmarks[LeftEye]
		},
		"nose above the eyes":  func(f *Face) { f.Landmarks[NoseTip].Y = 150 },
		"nose below the mouth": func(f *Face) { f.Landmarks[NoseTip].Y = 260 },
		"empty box":            func(f *Face) { f.Box.W = 0 },
	} {
		f := face
		edit(&f)
		if f.Plausible(640, 480) {
			t.Errorf("%s: plausible", name)
		}
	}
	// A head turned or tilted keeps its landmarks near the box: a nose a
	// little past the box's side still counts.
	f := face
	f.Landmarks[NoseTip].X = 105
	f.Landmarks[RightEye].X = 95
	if !f.Plausible(640, 480) {
		t.Error("a turned head's landmarks just past the box: not plausible")
	}
}

// BenchmarkRidgeShare measures the ridge check on one face, as Detect runs
// it on every plausible detection: obama.jpg's face in a 640x480 frame,
// measured on the 320x240 image the network saw.
func BenchmarkRidgeShare(b *testing.B) {
	d := newDetector(b, DetectorConfig{})
	photo := readPhoto(b, "obama.jpg")
	frame := gocv.NewMat()
	defer frame.Close()
	gocv.Resize(photo, &frame, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
	faces, err := d.Detect(frame, nil)
	if err != nil || len(faces) != 1 {
		b.Fatalf("%d faces, %v", len(faces), err)
	}
	s := float32(d.cfg.MaxWidth) / float32(frame.Cols())
	box := Rect{X: faces[0].Box.X * s, Y: faces[0].Box.Y * s, W: faces[0].Box.W * s, H: faces[0].Box.H * s}
	b.ReportMetric(float64(box.W), "box-px")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.ridgeShare(nil, box); err != nil {
			b.Fatal(err)
		}
	}
}
