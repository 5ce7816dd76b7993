package capture

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// newDetector returns a real YuNet detector; maxWidth 0 takes the default.
func newDetector(t testing.TB, maxWidth int) *models.FaceDetector {
	t.Helper()
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t), MaxWidth: maxWidth})
	if err != nil {
		t.Fatalf("NewFaceDetector: %v", err)
	}
	t.Cleanup(func() { det.Close() })
	return det
}

func newAnalyzer(t testing.TB, maxWidth int) *Analyzer {
	t.Helper()
	an, err := NewAnalyzer(newDetector(t, maxWidth))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { an.Close() })
	return an
}

// face returns the path of a photo in shared/data/faces.
func face(t testing.TB, name string) string {
	return filepath.Join(testenv.Shared(t), "data", "faces", name)
}

// video returns the path of a clip in shared/data/video.
func video(t testing.TB, name string) string {
	return filepath.Join(testenv.Shared(t), "data", "video", name)
}

// readImage loads a BGR image that the test owns.
func readImage(t testing.TB, path string) gocv.Mat {
	t.Helper()
	m := gocv.IMRead(path, gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		t.Fatalf("cannot read %s", path)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
