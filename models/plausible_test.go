package models

import (
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
// sets and SourceAFIS's samples), although YuNet alone scores some of them
// above the 0.9 threshold.
func TestFingerprintsAreNoFaces(t *testing.T) {
	root := filepath.Join(testenv.Shared(t), "data", "fingerprints")
	var paths []string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".png") {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) < 320 {
		t.Fatalf("%d fingerprint images under %s, want the 320 of FVC2002 and SourceAFIS's", len(paths), root)
	}
	var raw int
	for _, w := range detectorWidths {
		d := newDetector(t, DetectorConfig{MaxWidth: w})
		all := newDetector(t, DetectorConfig{MaxWidth: w})
		all.implausible = true
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
			raw += len(faces)
			if faces, err = d.Detect(img, faces); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, f := range faces {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("width %d: %s: a face at %+v, score %.3f", w, rel, f.Box, f.Score)
			}
			img.Close()
		}
	}
	// Without Plausible the threshold alone lets fingerprints through:
	// this test would fail.
	if raw == 0 {
		t.Error("YuNet alone found no face in any fingerprint image: the test no longer shows what Plausible removes")
	}
	t.Logf("YuNet alone, score >= %.2f: %d detections in %d fingerprint images x %d widths; Detect: 0",
		DefaultScoreThreshold, raw, len(paths), len(detectorWidths))
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
