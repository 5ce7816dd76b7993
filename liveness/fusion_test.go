package liveness

import (
	"math"
	"testing"
)

func TestFuse(t *testing.T) {
	w := DefaultFusionWeights
	t.Run("neutral cues leave the model's score", func(t *testing.T) {
		for _, m := range []float64{0.001, 0.02, 0.3, 0.5, 0.77, 0.999} {
			in := FusionInput{Model: m, Screen: 0.5, Print: 0.5, Motion: 0.5, MotionAvailable: true}
			if got := Fuse(w, in); math.Abs(got-m) > 1e-12 {
				t.Errorf("model %v: fused %v", m, got)
			}
		}
	})
	t.Run("hand-computed", func(t *testing.T) {
		// logit(0.9) = -logit(0.1) = ln 9: a screen cue at 0.1 cancels a
		// model at 0.9; the print cue, at weight 0, changes nothing.
		if got := Fuse(w, FusionInput{Model: 0.9, Screen: 0.1, Print: 0.5}); math.Abs(got-0.5) > 1e-12 {
			t.Errorf("model 0.9, screen 0.1: %v, want 0.5", got)
		}
		if got := Fuse(w, FusionInput{Model: 0.9, Screen: 0.5, Print: 0.1}); math.Abs(got-0.9) > 1e-12 {
			t.Errorf("model 0.9, print 0.1: %v, want 0.9 (print not counted)", got)
		}
		// Weights 1, 2, 0.5, bias -1: z = -1 + ln 3 + 2 ln(0.25/0.75) + 0.5 ln 4.
		ww := FusionWeights{Bias: -1, Model: 1, Screen: 2, Print: 0, Motion: 0.5}
		z := -1 + math.Log(3) + 2*math.Log(1.0/3) + 0.5*math.Log(4)
		want := 1 / (1 + math.Exp(-z))
		got := Fuse(ww, FusionInput{Model: 0.75, Screen: 0.25, Print: 0.01, Motion: 0.8, MotionAvailable: true})
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("clamps", func(t *testing.T) {
		// The model is clamped to [0.001, 0.999], the cues to [0.02, 0.98].
		if a, b := Fuse(w, FusionInput{Model: 1, Screen: 0.5, Print: 0.5}), Fuse(w, FusionInput{Model: 0.999, Screen: 0.5, Print: 0.5}); a != b {
			t.Errorf("model 1 fused %v, model 0.999 %v", a, b)
		}
		if a, b := Fuse(w, FusionInput{Model: 0.5, Screen: 0, Print: 0.5}), Fuse(w, FusionInput{Model: 0.5, Screen: 0.02, Print: 0.5}); a != b {
			t.Errorf("screen 0 fused %v, screen 0.02 %v", a, b)
		}
	})
	t.Run("monotonic in every signal", func(t *testing.T) {
		ww := FusionWeights{Model: 1, Screen: 1, Print: 1, Motion: 1}
		base := FusionInput{Model: 0.6, Screen: 0.4, Print: 0.4, Motion: 0.4, MotionAvailable: true}
		for name, set := range map[string]func(*FusionInput, float64){
			"model":  func(in *FusionInput, v float64) { in.Model = v },
			"screen": func(in *FusionInput, v float64) { in.Screen = v },
			"print":  func(in *FusionInput, v float64) { in.Print = v },
			"motion": func(in *FusionInput, v float64) { in.Motion = v },
		} {
			lo, hi := base, base
			set(&lo, 0.3)
			set(&hi, 0.7)
			if Fuse(ww, lo) >= Fuse(ww, hi) {
				t.Errorf("%s: fused %v at 0.3, %v at 0.7", name, Fuse(ww, lo), Fuse(ww, hi))
			}
		}
	})
	t.Run("motion counts only when available", func(t *testing.T) {
		ww := FusionWeights{Model: 1, Motion: 1}
		a := Fuse(ww, FusionInput{Model: 0.6, Motion: 0.1})
		if math.Abs(a-0.6) > 1e-12 {
			t.Errorf("unavailable motion changed the score: %v", a)
		}
		if b := Fuse(ww, FusionInput{Model: 0.6, Motion: 0.1, MotionAvailable: true}); b >= 0.6 {
			t.Errorf("available motion 0.1 did not lower the score: %v", b)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		if got := Fuse(w, FusionInput{Model: 0.8, Screen: math.NaN(), Print: math.NaN()}); math.Abs(got-0.8) > 1e-12 {
			t.Errorf("NaN cues: %v, want the model's 0.8", got)
		}
		if got := Fuse(w, FusionInput{Model: math.NaN(), Screen: 0.5, Print: 0.5}); !math.IsNaN(got) {
			t.Errorf("NaN model: %v, want NaN", got)
		}
	})
	t.Run("cues cannot overturn a sure model", func(t *testing.T) {
		// Both still cues at their floor, the model at 0.99: still live.
		if got := Fuse(w, FusionInput{Model: 0.99, Screen: screenCue(1), Print: printCue(0)}); got < 0.5 {
			t.Errorf("fused %v", got)
		}
		// The best the cues can say, the model at 0.01: still spoof.
		if got := Fuse(w, FusionInput{Model: 0.01, Screen: screenCue(0), Print: printCue(100)}); got >= 0.5 {
			t.Errorf("fused %v", got)
		}
	})
}

func TestFusionWeightsValidate(t *testing.T) {
	if err := DefaultFusionWeights.validate(); err != nil {
		t.Fatal(err)
	}
	for _, w := range []FusionWeights{
		{Model: 0},
		{Model: -1},
		{Model: 1, Print: -0.1},
		{Model: 1, Motion: math.NaN()},
		{Model: 1, Bias: math.Inf(-1)},
	} {
		if err := w.validate(); err == nil {
			t.Errorf("%+v accepted", w)
		}
	}
}
