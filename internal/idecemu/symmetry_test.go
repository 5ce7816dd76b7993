package idecemu

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// maxAsymmetry is how far the cosine of a pair may move when the
// reference and the probe swap roles.
const maxAsymmetry = 0.02

// TestMatchIsSymmetric: every shared genuine pair scores the same (within
// maxAsymmetry) whichever photo is enrolled and whichever is the probe.
// Probes are JPEG only and hold one face, so the pairs are of the JPEG
// single-face photos of one person.
func TestMatchIsSymmetric(t *testing.T) {
	m, err := newMatcher(testenv.Models(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	pairs := [][2]string{
		{"obama.jpg", "obama2.jpg"}, {"obama.jpg", "tests_obama3.jpg"}, {"obama.jpg", "obama_small.jpg"},
		{"obama2.jpg", "tests_obama3.jpg"}, {"obama2.jpg", "obama_small.jpg"}, {"tests_obama3.jpg", "obama_small.jpg"},
	} // train_biden_biden2.jpg is no probe: a painted face beside the real one (several faces)
	embed := func(name string, kind photoKind) models.Embedding {
		b, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "faces", name))
		if err != nil {
			t.Fatal(err)
		}
		e, err := m.embed(b, kind, 1<<26)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return e
	}
	var worst float64
	for _, p := range pairs {
		ab := float64(models.Cosine(embed(p[0], kindReference), embed(p[1], kindProbe)))
		ba := float64(models.Cosine(embed(p[1], kindReference), embed(p[0], kindProbe)))
		d := math.Abs(ab - ba)
		worst = max(worst, d)
		t.Logf("%s / %s: cosine %.4f enrolled first, %.4f enrolled second (similarity %.3f, %.3f)", p[0], p[1], ab, ba, Similarity(ab), Similarity(ba))
		if d > maxAsymmetry {
			t.Errorf("%s / %s: cosine %.4f one way, %.4f the other", p[0], p[1], ab, ba)
		}
	}
	t.Logf("largest difference between the two ways: %.4f", worst)
}
