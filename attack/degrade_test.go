package attack_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/biogate/biogate/attack"
)

// testImage is a deterministic gradient with some texture.
func testImage() *attack.Image {
	im := attack.NewImage(64, 48)
	for i := range im.Pix {
		im.Pix[i] = byte((i*7 + i/192*3) % 256)
	}
	return im
}

// TestDegradeDeterministic: each degradation keeps the image's size,
// changes it, and gives the same pixels for the same seed and different
// ones for another seed.
func TestDegradeDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(*attack.Image, *rand.Rand)
	}{
		{"print", attack.PrintDegrade},
		{"screen", attack.ScreenDegrade},
		{"overlay", func(im *attack.Image, r *rand.Rand) { attack.NewOverlay(r).Apply(im) }},
		{"noise", func(im *attack.Image, r *rand.Rand) { attack.AddNoise(im, 3, r) }},
	} {
		run := func(seed uint64) *attack.Image {
			im := testImage()
			tc.f(im, rand.New(rand.NewPCG(seed, 1)))
			return im
		}
		a, b, c := run(1), run(1), run(2)
		if a.W != 64 || a.H != 48 || len(a.Pix) != 64*48*3 {
			t.Errorf("%s: size %dx%d (%d bytes)", tc.name, a.W, a.H, len(a.Pix))
		}
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: same seed, different pixels", tc.name)
		}
		if bytes.Equal(a.Pix, c.Pix) {
			t.Errorf("%s: different seeds, same pixels", tc.name)
		}
		if bytes.Equal(a.Pix, testImage().Pix) {
			t.Errorf("%s: image unchanged", tc.name)
		}
	}
}

// TestParamsFromSeed: a seed gives the same parameters, within the
// documented ranges; a fixed fps wins.
func TestParamsFromSeed(t *testing.T) {
	for seed := range uint64(50) {
		p := attack.NewParams(seed, 0)
		if p != attack.NewParams(seed, 0) {
			t.Fatalf("seed %d: parameters differ", seed)
		}
		if p.FPS < 8 || p.FPS > 15 || p.JPEGQuality < 75 || p.JPEGQuality > 95 || p.Noise <= 0 {
			t.Errorf("seed %d: %+v out of range", seed, p)
		}
	}
	if p := attack.NewParams(1, 12); p.FPS != 12 {
		t.Errorf("fps %g, want 12", p.FPS)
	}
}

// TestParseSpecies accepts the five species and refuses others.
func TestParseSpecies(t *testing.T) {
	for _, s := range attack.AllSpecies() {
		if got, err := attack.ParseSpecies(string(s)); err != nil || got != s {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := attack.ParseSpecies("mask"); err == nil {
		t.Error("mask accepted")
	}
}
