package liveness

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Genuine is the key of bona fide presentations in Report.Counts.
const Genuine = "genuine"

// Presentation is one scored presentation to the system: a session over a
// clip or a single image.
type Presentation struct {
	// Species is the attack species ("print", "replay", ...); "" (or
	// Genuine) is a bona fide presentation.
	Species string
	// Score is the system's p(live) for the presentation, in [0, 1]. A NaN
	// score is never accepted: it rejects a bona fide presentation and
	// stops an attack.
	Score float64
	// Source names where the presentation came from, for reports.
	Source string
	// NoResponse: the system gave no decision, its Score aside: no frame
	// met the quality gate (the person was shown hints, such as more
	// light, instead). ISO/IEC 30107-3 counts such presentations in the
	// non-response rates (BPNRR, APNRR), not as classification errors;
	// for an attack it is a defence (no decision is never a match).
	NoResponse bool
}

// bonaFide reports whether p is a bona fide presentation.
func (p Presentation) bonaFide() bool { return p.Species == "" || p.Species == Genuine }

// Report holds the ISO/IEC 30107-3 error rates at one threshold. A
// presentation is accepted as live when Score >= Threshold.
type Report struct {
	// Threshold the rates were computed at.
	Threshold float64
	// BPCER is the bona fide presentation classification error rate: the
	// fraction of bona fide presentations that got a decision and were
	// rejected (0 when there are none).
	BPCER float64
	// BPNRR is the bona fide presentation non-response rate: the fraction
	// of bona fide presentations that got no decision (Presentation's
	// NoResponse); APNRR, per attack species, the same for attacks.
	BPNRR float64
	APNRR map[string]float64
	// APCER is, per attack species, the attack presentation classification
	// error rate: the fraction of that species' presentations that got a
	// decision and were accepted.
	// Only species with at least one presentation appear.
	APCER map[string]float64
	// APCERMax is the largest APCER over the species, the headline figure
	// (0 when there are no attacks).
	APCERMax float64
	// WorstSpecies is the species with APCERMax; ties go to the name that
	// sorts first, "" when there are no attacks.
	WorstSpecies string
	// ACER is (APCERMax + BPCER) / 2, the OULU-NPU convention.
	ACER float64
	// Counts holds the number of presentations under Genuine and under each
	// attack species, non-responses included.
	Counts map[string]int
}

// Evaluate computes the error rates of ps at threshold. It does not modify
// ps.
func Evaluate(ps []Presentation, threshold float64) Report {
	r := Report{Threshold: threshold, APCER: map[string]float64{}, APNRR: map[string]float64{}, Counts: map[string]int{}}
	accepted, silent := map[string]int{}, map[string]int{}
	rejected := 0
	for _, p := range ps {
		ok := p.Score >= threshold // false for NaN
		s := p.Species
		if p.bonaFide() {
			s = Genuine
		}
		r.Counts[s]++
		switch {
		case p.NoResponse:
			silent[s]++
		case s == Genuine && !ok:
			rejected++
		case s != Genuine && ok:
			accepted[s]++
		}
	}
	if n := r.Counts[Genuine]; n > 0 {
		r.BPNRR = float64(silent[Genuine]) / float64(n)
		if d := n - silent[Genuine]; d > 0 {
			r.BPCER = float64(rejected) / float64(d)
		}
	}
	species := make([]string, 0, len(r.Counts))
	for s := range r.Counts {
		if s != Genuine {
			species = append(species, s)
		}
	}
	sort.Strings(species)
	r.APCERMax = math.Inf(-1)
	for _, s := range species {
		r.APNRR[s] = float64(silent[s]) / float64(r.Counts[s])
		a := 0.0
		if d := r.Counts[s] - silent[s]; d > 0 {
			a = float64(accepted[s]) / float64(d)
		}
		r.APCER[s] = a
		if a > r.APCERMax {
			r.APCERMax, r.WorstSpecies = a, s
		}
	}
	if len(species) == 0 {
		r.APCERMax = 0
	}
	r.ACER = (r.APCERMax + r.BPCER) / 2
	return r
}

// Sweep evaluates ps at each threshold, in the given order.
func Sweep(ps []Presentation, thresholds []float64) []Report {
	out := make([]Report, len(thresholds))
	for i, t := range thresholds {
		out[i] = Evaluate(ps, t)
	}
	return out
}

// Margins of the conservative curves ConservativeCurves fits: how far
// beyond every genuine frame of the data a cue's measure must lie before
// the cue says anything. Chosen before looking at held-out figures, wide
// rather than tight: a genuine camera the data lacks (a grey scene, a
// strong lamp, a hand-held phone) moves the measures.
const (
	// printKnee: the print cue is neutral down to this fraction of the
	// lowest genuine chroma, and at its floor (0.1) at half of that.
	printKnee = 0.7
	// screenKnee, screenSlack: the screen cue is neutral up to
	// screenKnee times the highest genuine glare plus screenSlack, and
	// at its floor 0.08 beyond.
	screenKnee  = 1.5
	screenSlack = 0.02
	// motionSlack: the motion cue is neutral down to the lowest genuine
	// ratio less motionSlack, and at its floor 0.5 lower.
	motionSlack = 0.2
)

// ConservativeCurves fits curves that only ever push towards attack, and
// only beyond a level no bona fide presentation of recs reached, with a
// margin (printKnee, screenKnee, motionSlack): neutral (0.5) wherever a
// genuine frame was, falling to 0.1 beyond. A measure genuine data never
// had (no genuine motion, say) gets an empty, always-neutral curve.
func ConservativeCurves(recs []Recording) (screen, print, motion Curve) {
	minChroma, maxGlare, minRatio := math.Inf(1), math.Inf(-1), math.Inf(1)
	for _, r := range recs {
		if !r.bonaFide() {
			continue
		}
		for _, f := range r.Frames {
			if !math.IsNaN(f.Chroma) {
				minChroma = math.Min(minChroma, f.Chroma)
			}
			if !math.IsNaN(f.Glare) {
				maxGlare = math.Max(maxGlare, f.Glare)
			}
		}
		if r.MotionAvailable && !math.IsNaN(r.MotionRatio) {
			minRatio = math.Min(minRatio, r.MotionRatio)
		}
	}
	if !math.IsInf(maxGlare, 0) {
		k := screenKnee*maxGlare + screenSlack
		screen = Curve{{k, 0.5}, {k + 0.08, 0.1}}
	}
	if !math.IsInf(minChroma, 0) && minChroma > 0 {
		k := printKnee * minChroma
		print = Curve{{k / 2, 0.1}, {k, 0.5}}
	}
	if !math.IsInf(minRatio, 0) {
		k := minRatio - motionSlack
		motion = Curve{{k - 0.5, 0.1}, {k, 0.5}}
	}
	return screen, print, motion
}

// Candidate is one calibration a cross-validation may choose.
type Candidate struct {
	// Family is "conservative" (ConservativeCurves of the training data)
	// or "shipped" (the package's curves).
	Family      string
	Calibration Calibration
}

// cueWeights are the weights a cross-validation tries for each cue.
var cueWeights = []float64{0, 0.5, 1}

// Candidates lists the calibrations a cross-validation chooses among on
// train: MiniFASNet at weight 1 and bias 0, each of the screen, print and
// motion cues at each of cueWeights, with the shipped curves or the
// conservative ones fitted to train. A cue named in off keeps weight 0.
func Candidates(train []Recording, off ...string) []Candidate {
	cs, cp, cm := ConservativeCurves(train)
	families := []Candidate{
		{Family: "conservative", Calibration: Calibration{Screen: cs, Print: cp, Motion: cm}},
		{Family: "shipped", Calibration: DefaultCalibration()},
	}
	isOff := map[string]bool{}
	for _, o := range off {
		isOff[o] = true
	}
	choices := func(cue string) []float64 {
		if isOff[cue] {
			return []float64{0}
		}
		return cueWeights
	}
	var out []Candidate
	for _, fam := range families {
		for _, ws := range choices(CueScreen) {
			for _, wp := range choices(CuePrint) {
				for _, wm := range choices(CueMotion) {
					c := fam
					c.Calibration.Weights = FusionWeights{Model: 1, Screen: ws, Print: wp, Motion: wm}
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// Fold is one held-out source of a cross-validation.
type Fold struct {
	// Group is the source held out.
	Group string
	// Chosen is the candidate chosen on every other source.
	Chosen Candidate
	// TrainErrors is the chosen candidate's APCERMax + BPCER on the
	// other sources, at the threshold.
	TrainErrors float64
	// Held are the group's presentations scored under Chosen.
	Held []Presentation
}

// CrossValidation is a leave-one-source-out evaluation of the fusion: for
// each source (Recording.Group), the calibration is chosen on every other
// source and the source's presentations are scored under it.
type CrossValidation struct {
	Threshold float64
	// Off are the cues kept at weight 0 (an ablation).
	Off []string
	// Folds, one per source, in the order of the sources' names.
	Folds []Fold
	// Held is every presentation scored by its own fold's choice.
	Held []Presentation
	// Report is Evaluate(Held, Threshold): the held-out figures.
	Report Report
	// Model is MiniFASNet alone on the same presentations (nothing to
	// tune, so held out by construction).
	Model Report
	// ModelHeld are the presentations scored by MiniFASNet alone.
	ModelHeld []Presentation
	// NoWorse reports whether, held out, the fusion's BPCER is nowhere
	// higher than MiniFASNet's alone at the same APCER (CompareDET).
	NoWorse DETComparison
}

// CrossValidate runs a leave-one-source-out cross-validation of the
// fusion over recs at threshold. On each fold it chooses, among
// Candidates of the other sources (cues in off kept at weight 0), the one
// with the fewest errors there (APCERMax + BPCER at threshold); ties go to
// the smallest sum of cue weights (a cue earns a say only by fixing errors
// MiniFASNet makes), then to the conservative curves, then to the
// candidate listed first. It needs at least two sources.
func CrossValidate(recs []Recording, threshold float64, off ...string) (CrossValidation, error) {
	cv := CrossValidation{Threshold: threshold, Off: off}
	var groups []string
	seen := map[string]bool{}
	for _, r := range recs {
		if !seen[r.Group] {
			seen[r.Group] = true
			groups = append(groups, r.Group)
		}
	}
	sort.Strings(groups)
	if len(groups) < 2 {
		return cv, fmt.Errorf("liveness: cross-validation needs at least 2 sources, have %d", len(groups))
	}
	model := ModelOnly()
	for _, g := range groups {
		var train, test []Recording
		for _, r := range recs {
			if r.Group == g {
				test = append(test, r)
			} else {
				train = append(train, r)
			}
		}
		best, bestErr, bestW := Candidate{}, math.Inf(1), math.Inf(1)
		for _, c := range Candidates(train, off...) {
			rep := Evaluate(rescore(c.Calibration, train), threshold)
			e := rep.APCERMax + rep.BPCER
			w := c.Calibration.Weights
			sw := w.Screen + w.Print + w.Motion
			if e < bestErr-1e-12 || (math.Abs(e-bestErr) <= 1e-12 && sw < bestW-1e-12) {
				best, bestErr, bestW = c, e, sw
			}
		}
		f := Fold{Group: g, Chosen: best, TrainErrors: bestErr, Held: rescore(best.Calibration, test)}
		cv.Folds = append(cv.Folds, f)
		cv.Held = append(cv.Held, f.Held...)
		cv.ModelHeld = append(cv.ModelHeld, rescore(model, test)...)
	}
	cv.Report = Evaluate(cv.Held, threshold)
	cv.Model = Evaluate(cv.ModelHeld, threshold)
	cv.NoWorse = CompareDET(cv.Held, cv.ModelHeld)
	return cv, nil
}

// rescore scores each recording under c.
func rescore(c Calibration, recs []Recording) []Presentation {
	out := make([]Presentation, len(recs))
	for i, r := range recs {
		out[i] = r.Presentation
		out[i].Score = c.Score(r)
	}
	return out
}

// Rescore returns recs' presentations scored under c.
func Rescore(c Calibration, recs []Recording) []Presentation { return rescore(c, recs) }

// detPoint is one operating point: a threshold and its rates.
type detPoint struct{ threshold, apcer, bpcer float64 }

// detPoints evaluates ps at every threshold that changes a decision: each
// score, and one above 1 (nothing accepted).
func detPoints(ps []Presentation) []detPoint {
	ts := []float64{math.Nextafter(1, 2)}
	for _, p := range ps {
		if !math.IsNaN(p.Score) {
			ts = append(ts, p.Score)
		}
	}
	sort.Float64s(ts)
	out := make([]detPoint, 0, len(ts))
	for i, t := range ts {
		if i > 0 && t == ts[i-1] {
			continue
		}
		r := Evaluate(ps, t)
		out = append(out, detPoint{t, r.APCERMax, r.BPCER})
	}
	return out
}

// bpcerAt is BPCERAt over precomputed points.
func bpcerAt(pts []detPoint, apcer float64) (bpcer, threshold float64) {
	bpcer, threshold = math.Inf(1), math.Inf(1)
	for _, p := range pts {
		if p.apcer <= apcer+1e-12 && p.bpcer < bpcer {
			bpcer, threshold = p.bpcer, p.threshold
		}
	}
	return bpcer, threshold
}

// BPCERAt returns the least BPCER of ps at any threshold whose APCERMax is
// at most apcer, and that threshold (accepting no presentation, at a
// threshold above 1, always qualifies).
func BPCERAt(ps []Presentation, apcer float64) (bpcer, threshold float64) {
	return bpcerAt(detPoints(ps), apcer)
}

// DETComparison compares two scorings of the same presentations over every
// operating point.
type DETComparison struct {
	// OK is true when at every APCER the baseline reaches, the scoring
	// compared reaches a BPCER no higher.
	OK bool `json:"ok"`
	// WorstAPCER is the APCER with the largest excess of the compared
	// scoring's BPCER over the baseline's (or the lowest APCER when
	// none), and BPCER and BaselineBPCER the two there.
	WorstAPCER    float64 `json:"worst_apcer"`
	BPCER         float64 `json:"bpcer"`
	BaselineBPCER float64 `json:"baseline_bpcer"`
}

// CompareDET checks, at every APCER the baseline reaches at some
// threshold, that ps reaches (at some threshold of its own) a BPCER no
// higher than the baseline's least there.
func CompareDET(ps, baseline []Presentation) DETComparison {
	mine, base := detPoints(ps), detPoints(baseline)
	levels := map[float64]bool{0: true}
	for _, p := range base {
		levels[p.apcer] = true
	}
	as := make([]float64, 0, len(levels))
	for a := range levels {
		as = append(as, a)
	}
	sort.Float64s(as)
	out := DETComparison{OK: true, WorstAPCER: as[0]}
	worst := math.Inf(-1)
	for _, a := range as {
		b, _ := bpcerAt(mine, a)
		bb, _ := bpcerAt(base, a)
		if b-bb > worst {
			worst = b - bb
			out.WorstAPCER, out.BPCER, out.BaselineBPCER = a, b, bb
		}
		if b > bb+1e-12 {
			out.OK = false
		}
	}
	return out
}

// AblationRow is the fusion with some cues off.
type AblationRow struct {
	// Off names the cues at weight 0 ("" none; "screen,print,motion":
	// MiniFASNet alone).
	Off string
	// Pooled is the default calibration, those cues at weight 0, on every
	// presentation (nothing tuned).
	Pooled Report
	// LowestGenuine and HighestAttack are the pooled scores' extremes.
	LowestGenuine, HighestAttack float64
	// Held is the cross-validation with those cues off.
	Held Report
	// HeldNoWorse compares the held-out scores with MiniFASNet's alone.
	HeldNoWorse DETComparison
}

// Ablate evaluates the fusion with each built-in cue off in turn (weight
// 0), with none off and with all off (MiniFASNet alone): pooled under the
// default calibration and held out (CrossValidate).
func Ablate(recs []Recording, threshold float64) ([]AblationRow, error) {
	sets := [][]string{nil, {CueScreen}, {CuePrint}, {CueMotion}, {CueScreen, CuePrint, CueMotion}}
	var rows []AblationRow
	for _, off := range sets {
		c := DefaultCalibration()
		for _, o := range off {
			switch o {
			case CueScreen:
				c.Weights.Screen = 0
			case CuePrint:
				c.Weights.Print = 0
			case CueMotion:
				c.Weights.Motion = 0
			}
		}
		ps := rescore(c, recs)
		row := AblationRow{Off: strings.Join(off, ","), Pooled: Evaluate(ps, threshold), LowestGenuine: math.Inf(1), HighestAttack: math.Inf(-1)}
		for _, p := range ps {
			if p.bonaFide() {
				row.LowestGenuine = math.Min(row.LowestGenuine, p.Score)
			} else {
				row.HighestAttack = math.Max(row.HighestAttack, p.Score)
			}
		}
		cv, err := CrossValidate(recs, threshold, off...)
		if err != nil {
			return nil, err
		}
		row.Held, row.HeldNoWorse = cv.Report, cv.NoWorse
		rows = append(rows, row)
	}
	return rows, nil
}
