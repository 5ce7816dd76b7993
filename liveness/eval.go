package liveness

import (
	"math"
	"sort"
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
}

// bonaFide reports whether p is a bona fide presentation.
func (p Presentation) bonaFide() bool { return p.Species == "" || p.Species == Genuine }

// Report holds the ISO/IEC 30107-3 error rates at one threshold. A
// presentation is accepted as live when Score >= Threshold.
type Report struct {
	// Threshold the rates were computed at.
	Threshold float64
	// BPCER is the bona fide presentation classification error rate: the
	// fraction of bona fide presentations rejected (0 when there are none).
	BPCER float64
	// APCER is, per attack species, the attack presentation classification
	// error rate: the fraction of that species' presentations accepted.
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
	// attack species.
	Counts map[string]int
}

// Evaluate computes the error rates of ps at threshold. It does not modify
// ps.
func Evaluate(ps []Presentation, threshold float64) Report {
	r := Report{Threshold: threshold, APCER: map[string]float64{}, Counts: map[string]int{}}
	accepted := map[string]int{}
	rejected := 0
	for _, p := range ps {
		ok := p.Score >= threshold // false for NaN
		if p.bonaFide() {
			r.Counts[Genuine]++
			if !ok {
				rejected++
			}
			continue
		}
		r.Counts[p.Species]++
		if ok {
			accepted[p.Species]++
		}
	}
	if n := r.Counts[Genuine]; n > 0 {
		r.BPCER = float64(rejected) / float64(n)
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
		a := float64(accepted[s]) / float64(r.Counts[s])
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
