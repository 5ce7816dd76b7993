package liveness

import (
	"math"
	"testing"
)

// rec is a synthetic recording of one frame.
func rec(group, species string, model, glare, chroma float64) Recording {
	return Recording{
		Presentation: Presentation{Species: species, Source: group + "/" + species},
		Group:        group, Frames: []FrameMeasure{{Model: model, Glare: glare, Chroma: chroma}}, MotionRatio: math.NaN(),
	}
}

func TestCalibrationScore(t *testing.T) {
	r := Recording{Frames: []FrameMeasure{{0.9, 0, 30}, {0.2, 0.2, 5}, {0.6, math.NaN(), math.NaN()}}, MotionRatio: 1.5, MotionAvailable: true}
	c := DefaultCalibration()
	// By hand: each frame's fusion, then the median.
	var fused []float64
	for _, f := range r.Frames {
		fused = append(fused, Fuse(c.Weights, FusionInput{Model: f.Model, Screen: screenCue(f.Glare), Print: printCue(f.Chroma),
			Motion: motionCurve.At(1.5), MotionAvailable: true}))
	}
	if got, want := c.Score(r), median(fused); got != want {
		t.Errorf("Score %v, want %v", got, want)
	}
	if got := ModelOnly().Score(r); got != 0.6 {
		t.Errorf("model only: %v, want the median model score 0.6", got)
	}
	if got := c.Score(Recording{}); got != 0 {
		t.Errorf("no frames: %v", got)
	}
}

func TestConservativeCurves(t *testing.T) {
	recs := []Recording{
		rec("a", "", 0.9, 0.02, 20), rec("b", "", 0.9, 0.04, 30),
		rec("c", "print", 0.1, 0.5, 2), // attacks do not move the curves
	}
	recs[0].MotionRatio, recs[0].MotionAvailable = 0.9, true
	s, p, m := ConservativeCurves(recs)
	// Neutral at and beyond every genuine frame, with the margin.
	for _, r := range recs[:2] {
		f := r.Frames[0]
		if s.At(f.Glare) != 0.5 || p.At(f.Chroma) != 0.5 {
			t.Errorf("genuine %+v: screen %v print %v, want neutral", f, s.At(f.Glare), p.At(f.Chroma))
		}
	}
	if got := p.At(0.7 * 20); got != 0.5 {
		t.Errorf("print at the knee: %v", got)
	}
	if got := p.At(7); got != 0.1 {
		t.Errorf("print at half the knee: %v, want 0.1", got)
	}
	if got := s.At(1.5*0.04 + 0.02); got != 0.5 {
		t.Errorf("screen at the knee: %v", got)
	}
	if got := s.At(0.3); got != 0.1 {
		t.Errorf("screen far beyond: %v", got)
	}
	if m.At(0.7) != 0.5 || m.At(0.1) != 0.1 {
		t.Errorf("motion: %v at 0.7, %v at 0.1", m.At(0.7), m.At(0.1))
	}
	// No curve ever says live.
	for _, c := range []Curve{s, p, m} {
		for _, pt := range c {
			if pt.Y > 0.5 {
				t.Errorf("curve %v pushes towards live", c)
			}
		}
	}
	// Without genuine data: neutral everywhere.
	s, p, m = ConservativeCurves(recs[2:])
	if s.At(1) != 0.5 || p.At(0) != 0.5 || m.At(0) != 0.5 {
		t.Error("curves without genuine data are not neutral")
	}
}

func TestCrossValidate(t *testing.T) {
	t.Run("the model alone when it makes no error", func(t *testing.T) {
		recs := []Recording{
			rec("a", "", 0.9, 0, 30), rec("b", "", 0.8, 0, 25), rec("c", "print", 0.2, 0, 10),
			rec("d", "replay", 0.1, 0.3, 20), rec("e", "", 0.7, 0, 6), // a grey genuine face
		}
		cv, err := CrossValidate(recs, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cv.Folds) != 5 {
			t.Fatalf("%d folds", len(cv.Folds))
		}
		for _, f := range cv.Folds {
			if w := f.Chosen.Calibration.Weights; w.Screen+w.Print+w.Motion != 0 {
				t.Errorf("fold %s chose %+v though MiniFASNet alone makes no error", f.Group, w)
			}
		}
		if cv.Report.BPCER != 0 || cv.Report.APCERMax != 0 || !cv.NoWorse.OK {
			t.Errorf("held out %+v, no worse %+v", cv.Report, cv.NoWorse)
		}
	})
	t.Run("a cue that fixes an error earns a weight", func(t *testing.T) {
		// Two replays the model passes, with glare no genuine face has.
		recs := []Recording{
			rec("a", "", 0.9, 0.01, 30), rec("b", "", 0.8, 0.02, 25), rec("c", "", 0.85, 0, 28),
			rec("d", "replay", 0.6, 0.4, 20), rec("e", "replay", 0.55, 0.5, 20),
		}
		cv, err := CrossValidate(recs, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range cv.Folds {
			if f.Chosen.Calibration.Weights.Screen == 0 {
				t.Errorf("fold %s: screen weight 0", f.Group)
			}
		}
		if cv.Report.APCER["replay"] != 0 || cv.Report.BPCER != 0 {
			t.Errorf("held out %+v", cv.Report)
		}
		if cv.Model.APCER["replay"] != 1 {
			t.Errorf("model alone %+v, want both replays accepted", cv.Model)
		}
		// With the screen cue off, held out, the replays pass.
		cv, err = CrossValidate(recs, 0.5, CueScreen)
		if err != nil {
			t.Fatal(err)
		}
		if cv.Report.APCER["replay"] != 1 {
			t.Errorf("screen off: %+v", cv.Report)
		}
	})
	t.Run("a cue tuned to the other sources is caught held out", func(t *testing.T) {
		// Glare on the genuine face of source e, beyond every other
		// genuine face: a screen weight chosen elsewhere rejects it.
		recs := []Recording{
			rec("a", "", 0.9, 0.01, 30), rec("b", "", 0.8, 0.02, 25),
			rec("d", "replay", 0.6, 0.4, 20), rec("e", "", 0.7, 0.5, 30),
		}
		cv, err := CrossValidate(recs, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if cv.Report.BPCER == 0 || cv.NoWorse.OK {
			t.Errorf("held out %+v, no worse %+v: want the genuine face of e rejected, worse than the model", cv.Report, cv.NoWorse)
		}
	})
	if _, err := CrossValidate([]Recording{rec("a", "", 0.9, 0, 30)}, 0.5); err == nil {
		t.Error("one source accepted")
	}
}

func TestBPCERAtAndCompareDET(t *testing.T) {
	ps := []Presentation{{Score: 0.9}, {Score: 0.4}, {Species: "print", Score: 0.5}, {Species: "print", Score: 0.1}}
	// APCER 0 needs a threshold above 0.5: the 0.9 genuine passes, 0.4 not.
	if b, thr := BPCERAt(ps, 0); b != 0.5 || thr != 0.9 {
		t.Errorf("BPCER at APCER 0: %v at %v, want 0.5 at 0.9", b, thr)
	}
	if b, _ := BPCERAt(ps, 0.5); b != 0 {
		t.Errorf("BPCER at APCER 0.5: %v, want 0", b)
	}
	better := []Presentation{{Score: 0.9}, {Score: 0.4}, {Species: "print", Score: 0.3}, {Species: "print", Score: 0.1}}
	if c := CompareDET(better, ps); !c.OK {
		t.Errorf("better scoring: %+v", c)
	}
	if c := CompareDET(ps, better); c.OK || c.WorstAPCER != 0 || c.BPCER != 0.5 || c.BaselineBPCER != 0 {
		t.Errorf("worse scoring: %+v", c)
	}
}
