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
	Threshold     float64            `json:"threshold"`
	BPCER         float64            `json:"bpcer"`
	APCER         map[string]float64 `json:"apcer"`
	APCERMax      float64            `json:"apcer_max"`
	WorstSpecies  string             `json:"worst_species"`
	ACER          float64            `json:"acer"`
	Presentations map[string]int     `json:"presentations"`
	Table         []padRow           `json:"table"`
	// FusionBias is where each presentation's fused logit starts before
	// its cues' contributions (liveness.FuseScores).
	FusionBias float64    `json:"fusion_bias"`
	Scores     []padScore `json:"scores"`
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate pad-eval --genuine PATH... --attack SPECIES=PATH... [--json] [--threshold P]")
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

	bias := 0.0
	var ps []liveness.Presentation
	var scores []padScore
	for _, it := range items {
		paths, err := expandPresentations(it.path)
		if err != nil {
			fmt.Fprintf(stderr, "biogate pad-eval: %v\n", err)
			return exitFailure
		}
		for _, p := range paths {
			r, err := scorePresentation(ctx, scorer, p)
			if err != nil {
				fmt.Fprintf(stderr, "biogate pad-eval: %s: %v\n", p, err)
				return exitFailure
			}
			bias = r.Bias
			ps = append(ps, liveness.Presentation{Species: it.species, Score: r.Live, Source: p})
			sp := it.species
			if sp == "" {
				sp = "genuine"
			}
			scores = append(scores, padScore{Species: sp, Source: p, Live: r.Live, Frames: r.Frames, Model: r.Model, Cues: r.Cues})
		}
	}

	rep := liveness.Evaluate(ps, *threshold)
	out := padReport{
		Threshold: rep.Threshold, BPCER: rep.BPCER, APCER: rep.APCER, APCERMax: rep.APCERMax,
		WorstSpecies: rep.WorstSpecies, ACER: rep.ACER, Presentations: rep.Counts, FusionBias: bias, Scores: scores,
	}
	for _, r := range liveness.Sweep(ps, sweepThresholds(*threshold)) {
		out.Table = append(out.Table, padRow{Threshold: r.Threshold, BPCER: r.BPCER, APCER: r.APCER, APCERMax: r.APCERMax, ACER: r.ACER})
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

func scorePresentation(ctx context.Context, s *liveness.PresentationScorer, p string) (liveness.PassiveResult, error) {
	file, seg := splitSegment(p)
	ext := strings.ToLower(filepath.Ext(file))
	if imageExts[ext] {
		img := gocv.IMRead(file, gocv.IMReadColor)
		defer img.Close()
		if img.Empty() {
			return liveness.PassiveResult{}, errors.New("not an image OpenCV can decode")
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
	defer cam.Close()
	return s.ScoreCamera(ctx, cam)
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
