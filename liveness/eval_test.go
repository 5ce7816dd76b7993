package liveness

import (
	"math"
	"reflect"
	"testing"
)

// evalSet: 4 genuine (0.9, 0.6, 0.45, 0.2), 3 prints (0.1, 0.55, 0.7),
// 2 replays (0.3, 0.8), 1 mask (0.05).
var evalSet = []Presentation{
	{Score: 0.9, Source: "g1"},
	{Score: 0.6, Source: "g2"},
	{Species: Genuine, Score: 0.45, Source: "g3"},
	{Score: 0.2, Source: "g4"},
	{Species: "print", Score: 0.1},
	{Species: "print", Score: 0.55},
	{Species: "print", Score: 0.7},
	{Species: "replay", Score: 0.3},
	{Species: "replay", Score: 0.8},
	{Species: "mask", Score: 0.05},
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name string
		ps   []Presentation
		thr  float64
		want Report
	}{
		{
			// Accepted attacks: print 0.55, 0.7 (2/3); replay 0.8 (1/2);
			// mask none. Rejected genuine: 0.45, 0.2 (2/4).
			name: "0.5", ps: evalSet, thr: 0.5,
			want: Report{Threshold: 0.5, BPCER: 0.5,
				APCER:    map[string]float64{"print": 2.0 / 3, "replay": 0.5, "mask": 0},
				APCERMax: 2.0 / 3, WorstSpecies: "print", ACER: (2.0/3 + 0.5) / 2,
				Counts: map[string]int{Genuine: 4, "print": 3, "replay": 2, "mask": 1}},
		},
		{
			// Score == threshold is accepted: print 0.7 and replay 0.8
			// (1/3, 1/2); genuine 0.9 passes, 0.6 does not (3/4 rejected).
			name: "0.7 (inclusive)", ps: evalSet, thr: 0.7,
			want: Report{Threshold: 0.7, BPCER: 0.75,
				APCER:    map[string]float64{"print": 1.0 / 3, "replay": 0.5, "mask": 0},
				APCERMax: 0.5, WorstSpecies: "replay", ACER: (0.5 + 0.75) / 2,
				Counts: map[string]int{Genuine: 4, "print": 3, "replay": 2, "mask": 1}},
		},
		{
			// Everything accepted: every species at 1, ties go to the
			// first name ("mask"); no genuine rejected.
			name: "0 (ties)", ps: evalSet, thr: 0,
			want: Report{Threshold: 0, BPCER: 0,
				APCER:    map[string]float64{"print": 1, "replay": 1, "mask": 1},
				APCERMax: 1, WorstSpecies: "mask", ACER: 0.5,
				Counts: map[string]int{Genuine: 4, "print": 3, "replay": 2, "mask": 1}},
		},
		{
			// NaN is never accepted: the attack is stopped, the genuine
			// presentation rejected.
			name: "NaN", thr: 0.5,
			ps: []Presentation{{Score: math.NaN()}, {Score: 0.8}, {Species: "print", Score: math.NaN()}},
			want: Report{Threshold: 0.5, BPCER: 0.5, APCER: map[string]float64{"print": 0},
				APCERMax: 0, WorstSpecies: "print", ACER: 0.25,
				Counts: map[string]int{Genuine: 2, "print": 1}},
		},
		{
			name: "no attacks", thr: 0.5, ps: []Presentation{{Score: 0.4}},
			want: Report{Threshold: 0.5, BPCER: 1, APCER: map[string]float64{}, ACER: 0.5,
				Counts: map[string]int{Genuine: 1}},
		},
		{
			name: "no genuine", thr: 0.5, ps: []Presentation{{Species: "replay", Score: 0.6}},
			want: Report{Threshold: 0.5, APCER: map[string]float64{"replay": 1}, APCERMax: 1,
				WorstSpecies: "replay", ACER: 0.5, Counts: map[string]int{"replay": 1}},
		},
		{
			// No decision is neither an error nor a success: out of BPCER
			// and APCER, into the non-response rates, whatever the score.
			name: "no response", thr: 0.5,
			ps: []Presentation{{Score: 0, NoResponse: true}, {Score: 0.9}, {Score: 0.2}, {Score: 0.1, NoResponse: true},
				{Species: "print", Score: 0.9, NoResponse: true}, {Species: "print", Score: 0.1}, {Species: "print", Score: 0.7}},
			want: Report{Threshold: 0.5, BPCER: 0.5, BPNRR: 0.5, APCER: map[string]float64{"print": 0.5},
				APNRR: map[string]float64{"print": 1.0 / 3}, APCERMax: 0.5, WorstSpecies: "print", ACER: 0.5,
				Counts: map[string]int{Genuine: 4, "print": 3}},
		},
		{
			name: "all silent", thr: 0.5, ps: []Presentation{{NoResponse: true}, {Species: "print", Score: 1, NoResponse: true}},
			want: Report{Threshold: 0.5, BPNRR: 1, APCER: map[string]float64{"print": 0}, APNRR: map[string]float64{"print": 1},
				WorstSpecies: "print", Counts: map[string]int{Genuine: 1, "print": 1}},
		},
		{
			name: "empty", thr: 0.5,
			want: Report{Threshold: 0.5, APCER: map[string]float64{}, Counts: map[string]int{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.ps, tc.thr)
			if !reportsEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	thr := []float64{0.7, 0.5, 0}
	got := Sweep(evalSet, thr)
	if len(got) != len(thr) {
		t.Fatalf("%d reports for %d thresholds", len(got), len(thr))
	}
	for i, r := range got {
		if want := Evaluate(evalSet, thr[i]); !reportsEqual(r, want) {
			t.Errorf("report %d: %+v, want %+v", i, r, want)
		}
	}
	if len(Sweep(evalSet, nil)) != 0 {
		t.Error("Sweep with no thresholds returned reports")
	}
}

// reportsEqual compares reports with a tolerance on the rates.
func reportsEqual(a, b Report) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	if !near(a.Threshold, b.Threshold) || !near(a.BPCER, b.BPCER) || !near(a.APCERMax, b.APCERMax) ||
		!near(a.ACER, b.ACER) || a.WorstSpecies != b.WorstSpecies || !reflect.DeepEqual(a.Counts, b.Counts) ||
		len(a.APCER) != len(b.APCER) {
		return false
	}
	for k, v := range a.APCER {
		w, ok := b.APCER[k]
		if !ok || !near(v, w) {
			return false
		}
	}
	if !near(a.BPNRR, b.BPNRR) {
		return false
	}
	for _, m := range []map[string]float64{a.APNRR, b.APNRR} { // a missing species is 0
		for k := range m {
			if !near(a.APNRR[k], b.APNRR[k]) {
				return false
			}
		}
	}
	return true
}
