package liveness

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// closedForm is the fusion as it was written before cues were pluggable:
// the built-in cues' weighted logits added in a fixed order. The cue-wise
// fusion must give exactly the same bits.
func closedForm(w FusionWeights, model, screen, print, motion float64, motionOK bool) float64 {
	lg := func(p, eps float64) float64 {
		p = math.Min(1-eps, math.Max(eps, p))
		return math.Log(p / (1 - p))
	}
	z := w.Bias + w.Model*lg(model, 0.001)
	z += w.Screen * lg(screen, 0.02)
	z += w.Print * lg(print, 0.02)
	if motionOK {
		z += w.Motion * lg(motion, 0.02)
	}
	return 1 / (1 + math.Exp(-z))
}

var builtinCues = []string{CueModel, CueScreen, CuePrint, CueMotion}

func cueNames(cs []CueScore) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// checkFrameCues checks one scored frame's cues against its fused score:
// recomputed from the reported cues, and by the closed form from the
// reported scores, both bit for bit.
func checkFrameCues(t *testing.T, what string, w FusionWeights, fs FrameScore) {
	t.Helper()
	if !slices.Equal(cueNames(fs.Cues), builtinCues) {
		t.Fatalf("%s: cues %v, want %v", what, cueNames(fs.Cues), builtinCues)
	}
	if got := FuseScores(w.Bias, fs.Cues); got != fs.Fused {
		t.Errorf("%s: fused %v, recomputed from the cues %v", what, fs.Fused, got)
	}
	if got := closedForm(w, fs.Model, fs.Screen, fs.Print, fs.Motion, fs.MotionAvailable); got != fs.Fused {
		t.Errorf("%s: fused %v, closed form %v", what, fs.Fused, got)
	}
	c := fs.Cues
	if c[0].Score != fs.Model || c[1].Score != fs.Screen || c[2].Score != fs.Print || c[3].Score != fs.Motion || c[3].Available != fs.MotionAvailable {
		t.Errorf("%s: cue scores %+v disagree with model %v screen %v print %v motion %v (%v)", what, c, fs.Model, fs.Screen, fs.Print, fs.Motion, fs.MotionAvailable)
	}
	wantW := []float64{w.Model, w.Screen, w.Print, w.Motion}
	for i, cs := range c {
		if cs.Weight != wantW[i] {
			t.Errorf("%s: cue %s weight %v, want %v", what, cs.Name, cs.Weight, wantW[i])
		}
		if math.IsNaN(cs.Contribution) || (!cs.Available && cs.Contribution != 0) {
			t.Errorf("%s: cue %+v", what, cs)
		}
	}
}

// TestCuesPinTheFusion scores the PAD photos and the minivision clip with
// the default and with other weights: every frame's fused score equals the
// one recomputed from its reported cues and the closed form, and the
// session's p(live) equals the recomputation from its cues (one frame) or
// the median of the frames' closed forms with the final motion (a clip).
func TestCuesPinTheFusion(t *testing.T) {
	r := newRig(t)
	for _, w := range []FusionWeights{DefaultFusionWeights, {Bias: -0.3, Model: 0.7, Screen: 2, Print: 0, Motion: 1.5}} {
		for _, rel := range []string{padLive, padPrint, padReplay} {
			img := readImage(t, shared(t, rel))
			p := r.passive(t, PassiveConfig{MinFrames: 1, Weights: w})
			an, err := r.an.Analyze(img)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := p.Observe(img, &an, time.Unix(0, 0))
			if err != nil || !fs.Scored {
				t.Fatalf("%s: scored %v, %v", rel, fs.Scored, err)
			}
			checkFrameCues(t, rel, w, fs)
			res := p.Result()
			if got := FuseScores(res.Bias, res.Cues); got != res.Live || res.Live != fs.Fused || res.Bias != w.Bias {
				t.Errorf("%s: live %v, frame %v, recomputed from the session's cues %v (bias %v)", rel, res.Live, fs.Fused, got, res.Bias)
			}
			if !slices.Equal(res.Cues, fs.Cues) {
				t.Errorf("%s: one frame, but session cues %+v differ from the frame's %+v", rel, res.Cues, fs.Cues)
			}
		}

		cam, err := devices.OpenCamera(context.Background(), "file:"+shared(t, minivision))
		if err != nil {
			t.Fatal(err)
		}
		p := r.passive(t, PassiveConfig{Weights: w})
		scored := 0
		for {
			f, err := cam.Read(context.Background())
			if errors.Is(err, devices.ErrEndOfStream) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			img, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data)
			if err != nil {
				t.Fatal(err)
			}
			an, err := r.an.Analyze(img)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := p.ObserveFrame(img, f, &an)
			img.Close()
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if fs.Scored {
				scored++
				checkFrameCues(t, minivision, w, fs)
			} else if fs.Cues != nil {
				t.Errorf("frame %d not scored but has cues", f.Seq)
			}
		}
		cam.Close()
		res := p.Result()
		if scored < 30 || res.Frames != scored || !res.MotionAvailable {
			t.Fatalf("scored %d frames (result %d), motion available %v", scored, res.Frames, res.MotionAvailable)
		}
		n := len(p.frameCs)
		var fused []float64
		for i := range res.Frames {
			s := p.scores[i*n : (i+1)*n]
			fused = append(fused, closedForm(w, s[0], s[1], s[2], res.Motion, res.MotionAvailable))
		}
		if got := median(fused); got != res.Live {
			t.Errorf("clip: live %v, median of the frames' closed forms %v", res.Live, got)
		}
		if !slices.Equal(cueNames(res.Cues), builtinCues) || res.Cues[0].Score != res.Model || res.Cues[1].Score != res.Screen ||
			res.Cues[2].Score != res.Print || res.Cues[3].Score != res.Motion || !res.Cues[3].Available {
			t.Errorf("clip: session cues %+v disagree with %+v", res.Cues, res)
		}
		t.Logf("weights %+v: clip live %.4f, cues %+v", w, res.Live, res.Cues)
	}
}

// relayLag is a cue of the kind the relay metadata is for: it doubts
// frames that reached the gateway long after the client says it captured
// them, and has no evidence (NaN) on frames that did not come through the
// relay. It records what it saw.
type relayLag struct {
	weight float64
	seen   []devices.RelayMeta
	times  []time.Time
}

func (c *relayLag) Name() string    { return "relay_lag" }
func (c *relayLag) Weight() float64 { return c.weight }
func (c *relayLag) ScoreFrame(f *CueFrame) (float64, error) {
	if f.Relay == nil {
		return math.NaN(), nil
	}
	c.seen = append(c.seen, *f.Relay)
	c.times = append(c.times, f.Time)
	if f.Relay.Arrival.Sub(f.Relay.ClientTime) > time.Second {
		return 0.2, nil
	}
	return 0.5, nil
}

// frameCount is a session cue that counts the frames it sees: live once
// it has seen three in a row.
type frameCount struct{ run, total int }

func (c *frameCount) Name() string           { return "run" }
func (c *frameCount) Weight() float64        { return 0.25 }
func (c *frameCount) ObserveFrame(*CueFrame) { c.run++; c.total++ }
func (c *frameCount) SkipFrame()             { c.run = 0 }
func (c *frameCount) Score() (float64, bool) { return 0.9, c.run >= 3 }
func (c *frameCount) Reset()                 { c.run, c.total = 0, 0 }

// TestAddedCues adds a frame cue and a session cue to a Passive: they are
// fused after the built-in ones, reported by name, and a cue without
// evidence adds nothing.
func TestAddedCues(t *testing.T) {
	r := newRig(t)
	img := readImage(t, shared(t, padLive))
	an, err := r.an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	lag, run := &relayLag{weight: 2}, &frameCount{}
	p, err := NewPassive(PassiveConfig{MinFrames: 1, EveryN: 1}, r.spoof, lag, run)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := append(slices.Clone(builtinCues), "relay_lag", "run")
	t0 := time.Unix(1000, 0)
	for i := range 4 {
		f := devices.NewFrame(uint64(i), t0.Add(time.Duration(i)*100*time.Millisecond), "test", devices.JPEG, 0, 0, 0, []byte{1}, nil)
		if i >= 2 { // relayed, the client's clock 3 s behind
			f.SetRelay(devices.RelayMeta{ClientTime: f.Time.Add(-3 * time.Second), ClientSeq: uint32(i), Arrival: f.Time, MessageBytes: 1000 + i})
		}
		fs, err := p.ObserveFrame(img, f, &an)
		if err != nil || !fs.Scored {
			t.Fatalf("frame %d: scored %v, %v", i, fs.Scored, err)
		}
		if !slices.Equal(cueNames(fs.Cues), want) {
			t.Fatalf("cues %v, want %v", cueNames(fs.Cues), want)
		}
		l, c := fs.Cues[4], fs.Cues[5]
		if relayed := i >= 2; l.Available != relayed || (relayed && (l.Score != 0.2 || l.Weight != 2 || l.Contribution >= 0)) || (!relayed && l.Contribution != 0) {
			t.Errorf("frame %d: relay cue %+v", i, l)
		}
		if c.Available != (i >= 2) || (c.Available && c.Contribution <= 0) {
			t.Errorf("frame %d: session cue %+v after %d frames", i, c, run.run)
		}
		if got := FuseScores(0, fs.Cues); got != fs.Fused {
			t.Errorf("frame %d: fused %v, recomputed %v", i, fs.Fused, got)
		}
		if i == 0 && math.Abs(fs.Fused-closedForm(DefaultFusionWeights, fs.Model, fs.Screen, fs.Print, 0.5, false)) != 0 {
			t.Errorf("frame 0: added cues without evidence changed the fused score")
		}
		if i == 3 && fs.Fused >= closedForm(DefaultFusionWeights, fs.Model, fs.Screen, fs.Print, 0.5, false) {
			t.Errorf("frame 3: a lagging relayed frame did not lower the fused score")
		}
	}
	if len(lag.seen) != 2 || lag.seen[1].MessageBytes != 1003 || !lag.times[1].Equal(t0.Add(300*time.Millisecond)) {
		t.Errorf("relay cue saw %+v at %v", lag.seen, lag.times)
	}
	res := p.Result()
	if l := res.Cues[4]; !l.Available || l.Score != 0.2 { // the median of the relayed frames only
		t.Errorf("session relay cue %+v", l)
	}
	p.Reset()
	if run.total != 0 {
		t.Error("Reset did not reset the added session cue")
	}

	for _, bad := range [][]Cue{
		{&relayLag{weight: -1}},
		{&relayLag{weight: math.NaN()}},
		{&relayLag{weight: 1}, &relayLag{weight: 1}},
		{namedOnly("plain")},
		{nil},
	} {
		if _, err := NewPassive(PassiveConfig{}, r.spoof, bad...); err == nil {
			t.Errorf("cues %v accepted", bad)
		}
	}
}

// namedOnly is a Cue that is neither a FrameCue nor a SessionCue.
type namedOnly string

func (n namedOnly) Name() string  { return string(n) }
func (namedOnly) Weight() float64 { return 1 }

// TestCheckerAddsConfiguredCues runs a Checker with Config.Cues on the
// print segment of the minivision clip, twice: each run gets new cues, the
// session's result reports them after the built-in ones, and a recording's
// frames give the relay cue no evidence. A configuration whose cues clash
// is refused by New.
func TestCheckerAddsConfiguredCues(t *testing.T) {
	var made []*frameCount
	chk := newChecker(t, Config{Cues: func() []Cue {
		run := &frameCount{}
		made = append(made, run)
		return []Cue{&relayLag{weight: 1}, run}
	}})
	for i := range 2 {
		raw, err := devices.OpenCamera(context.Background(), "file:"+shared(t, minivision))
		if err != nil {
			t.Fatal(err)
		}
		cam, err := Segment(raw, 2070*time.Millisecond, 2930*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		res, err := chk.Run(context.Background(), cam)
		cam.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(builtinCues), "relay_lag", "run")
		cs := res.Passive.Cues
		if !slices.Equal(cueNames(cs), want) {
			t.Fatalf("run %d: cues %v, want %v", i, cueNames(cs), want)
		}
		if cs[4].Available || cs[4].Contribution != 0 || !cs[5].Available || cs[5].Score != 0.9 {
			t.Errorf("run %d: added cues %+v", i, cs[4:])
		}
		if len(made) != i+2 || made[i+1].total < 3 || made[i+1].total < res.Passive.Frames {
			t.Errorf("run %d: %d cue sets made, the run's session cue saw %d frames of %d scored", i, len(made), made[len(made)-1].total, res.Passive.Frames)
		}
		if res.Verdict != Spoof {
			t.Errorf("run %d: verdict %s, want spoof (an added cue pushing towards live must not overturn it)", i, res.Verdict)
		}
	}
	r := newRig(t)
	if _, err := New(Config{Cues: func() []Cue { return []Cue{&relayLag{weight: 1}, &relayLag{weight: 2}} }}, nil, r.spoof); err == nil {
		t.Error("cues with the same name accepted")
	}
}

// doubt is a frame cue that always finds some evidence of an attack.
type doubt struct{}

func (doubt) Name() string                          { return "doubt" }
func (doubt) Weight() float64                       { return 1 }
func (doubt) ScoreFrame(*CueFrame) (float64, error) { return 0.1, nil }

// TestPresentationScorerAddsCues: pad-eval's scorer fuses added cues as a
// session does, reports them by name after the built-in ones, with new
// cues for each presentation, and refuses invalid ones up front.
func TestPresentationScorerAddsCues(t *testing.T) {
	dir := testenv.Models(t)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	r := newRig(t)
	img := readImage(t, shared(t, padLive))

	plain, err := NewPresentationScorer(PassiveConfig{}, det, r.spoof, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	base, err := plain.ScoreImage(img)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	added, err := NewPresentationScorer(PassiveConfig{}, det, r.spoof, func() []Cue { calls++; return []Cue{doubt{}} })
	if err != nil {
		t.Fatal(err)
	}
	defer added.Close()
	for range 2 {
		res, err := added.ScoreImage(img)
		if err != nil {
			t.Fatal(err)
		}
		if want := append(slices.Clone(builtinCues), "doubt"); !slices.Equal(cueNames(res.Cues), want) {
			t.Fatalf("cues %v, want %v", cueNames(res.Cues), want)
		}
		if d := res.Cues[4]; !d.Available || d.Score != 0.1 || d.Contribution >= 0 || res.Live >= base.Live {
			t.Errorf("doubt cue %+v: p(live) %v, without it %v; want it lowered", d, res.Live, base.Live)
		}
	}
	if calls != 3 { // one to validate, one per presentation
		t.Errorf("cue factory called %d times, want 3", calls)
	}
	if _, err := NewPresentationScorer(PassiveConfig{}, det, r.spoof, func() []Cue { return []Cue{doubt{}, doubt{}} }); err == nil {
		t.Error("two cues of one name accepted")
	}
}

// verdictCue is a session cue that decides alone (a Decider): its score
// is set by the test.
type verdictCue struct {
	score  float64
	reason outcome.Reason
	below  float64
}

func (c *verdictCue) Name() string           { return "verdict" }
func (c *verdictCue) Weight() float64        { return 0.5 }
func (c *verdictCue) ObserveFrame(*CueFrame) {}
func (c *verdictCue) SkipFrame()             {}
func (c *verdictCue) Score() (float64, bool) { return c.score, !math.IsNaN(c.score) }
func (c *verdictCue) Reset()                 {}
func (c *verdictCue) Reason() outcome.Reason { return c.reason }
func (c *verdictCue) DecideBelow() float64   { return c.below }

// TestDeciderDecidesAlone: a live presentation stays live while a Decider
// cue's score is above its DecideBelow, and becomes a spoof with the cue's
// reason once it reaches it, whatever the fusion says; the check's verdict
// carries that reason. A Decider with the fusion's own reason, a reason
// outcome does not know or a DecideBelow out of range is refused.
func TestDeciderDecidesAlone(t *testing.T) {
	r := newRig(t)
	img := readImage(t, shared(t, padLive))
	an, err := r.an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	c := &verdictCue{score: 0.3, reason: outcome.ReasonFlatPresentation, below: 0.2}
	p, err := NewPassive(PassiveConfig{MinFrames: 1}, r.spoof, c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Observe(img, &an, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	res := p.Result()
	if res.Decision != DecisionLive || res.DecidedBy != "" || res.Reason != "" {
		t.Fatalf("cue above its DecideBelow: %s by %q (%q), live %.3f", res.Decision, res.DecidedBy, res.Reason, res.Live)
	}
	c.score = 0.2
	res = p.Result()
	if res.Decision != DecisionSpoof || res.DecidedBy != "verdict" || res.Reason != outcome.ReasonFlatPresentation {
		t.Fatalf("cue at its DecideBelow: %s by %q (%q)", res.Decision, res.DecidedBy, res.Reason)
	}
	if res.Live < 0.5 {
		t.Errorf("the fusion alone said attack (%.3f): the test proves nothing", res.Live)
	}
	if v, reasons := decide(&Result{Passive: res}, ""); v != Spoof || !slices.Equal(reasons, []outcome.Reason{outcome.ReasonFlatPresentation}) {
		t.Errorf("verdict %s %v", v, reasons)
	}
	c.score = math.NaN() // no evidence: never decides
	if res = p.Result(); res.Decision != DecisionLive {
		t.Errorf("cue without evidence: %s", res.Decision)
	}

	for _, bad := range []*verdictCue{
		{reason: outcome.ReasonPassiveSpoof, below: 0.1},
		{reason: "looks_odd", below: 0.1},
		{reason: outcome.ReasonReplayedFrames, below: 0.5},
		{reason: outcome.ReasonReplayedFrames, below: -0.1},
	} {
		if _, err := NewPassive(PassiveConfig{}, r.spoof, bad); err == nil {
			t.Errorf("decider %+v accepted", *bad)
		}
	}
}
