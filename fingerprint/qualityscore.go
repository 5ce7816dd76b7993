package fingerprint

import "math"

// How Score combines the features (scoreOf). NFIQ 2 feeds histograms of its
// features to a random forest trained on NIST's data; we have 320 images
// and no matcher of record, too little to train one honestly. Instead:
//
//	Score = 100 * mean(g_OCL, g_LCS, g_FDA, g_RVU, g_OF)
//	            * min(1, Area/FullArea) * min(1, StdDev/FullContrast)
//
// where each g is a straight ramp, clamped to 0-1, from the feature's
// value at the 5th percentile of the FVC2002 DB1_B-DB3_B prints (0) to its
// value at their 95th (1), reversed for RVU and OF where lower is better.
// So a feature scores against what three real sensors give, not against an
// ideal; DB4_B (synthetic prints) is held out (TestScoreCurvesChosen in
// quality_test.go re-derives the ramps). The factors make a print lose in
// proportion to what is missing: ridge area a matcher can use, and ridges
// deep enough in grey levels not to drown in quantisation.
const (
	// FullArea is the foreground, in square millimetres, from which area
	// no longer limits the score: about half the 12.8 x 16.5 mm of a FAP 10
	// single-finger sensor (PIV's smallest), where FVC2002's prints cover
	// 100-250 mm². Fixed, not tuned.
	FullArea = 100.0
	// FullContrast is the foreground's grey-level standard deviation
	// from which contrast no longer limits the score. Fixed, not tuned:
	// FVC2002's faintest sensor (DB3) has 20-30.
	FullContrast = 15.0
)

// ramp is a feature's score curve: 0 at lo, 1 at hi (lo > hi for a
// feature where lower is better).
type ramp struct{ lo, hi float64 }

func (r ramp) at(x float64) float64 {
	if r.hi == r.lo {
		return 0
	}
	return min(1, max(0, (x-r.lo)/(r.hi-r.lo)))
}

// scoreCurves are the ramps of the five features of the score.
type scoreCurves struct{ ocl, lcs, fda, rvu, of ramp }

// defaultCurves were chosen on FVC2002 DB1_B-DB3_B (5th and 95th
// percentiles, two significant digits); TestScoreCurvesChosen checks them.
var defaultCurves = scoreCurves{
	ocl: ramp{0.49, 0.88},
	lcs: ramp{0.56, 0.86},
	fda: ramp{0.26, 0.42},
	rvu: ramp{0.89, 0.32},
	of:  ramp{0.085, 0.033},
}

// scoreOf is the score of q's features (see FullArea): 0 for no finger.
func scoreOf(q Quality, c scoreCurves) int {
	if q.Blocks == 0 {
		return 0
	}
	g := (c.ocl.at(q.OCL) + c.lcs.at(q.LCS) + c.fda.at(q.FDA) + c.rvu.at(q.RVU) + c.of.at(q.OF)) / 5
	s := 100 * g * min(1, q.Area/FullArea) * min(1, q.StdDev/FullContrast)
	return int(math.Round(min(100, max(0, s))))
}

// DefaultMinArea is QualityConfig.MinArea's default, in square
// millimetres (about 6.3 mm square): chosen with the other hint thresholds
// (hintRules).
const DefaultMinArea = 40.0

// hintRules are the thresholds of hintOf. Each was chosen on FVC2002
// DB1_B-DB3_B as the value on a fixed grid that best tells the original
// prints from the same prints transformed to show the fault: the largest
// share of transformed prints caught minus the share of originals caught,
// among the values that fire on at most 5% of the originals, the middle of
// the best range on a tie. quality_test.go's
// TestHintRulesChosen reproduces the choice and TestHints reports the rates
// on DB4_B, held out, and for each set left out of the choice.
type hintRules struct {
	// offCentre: the largest |CentreX| or |CentreY| of a placed finger
	// (originals against prints shifted half off the image).
	offCentre float64
	// minArea: as QualityConfig.MinArea (against a 96-pixel patch of the
	// print's centre on an empty image).
	minArea float64
	// lightRidges: a print whose ridges are lighter than this grey level
	// (Mean - StdDev, the typical ridge) is light: press harder (against
	// the print pulled towards white, v' = 255 - 0.3(255-v)).
	lightRidges float64
	// darkValleys: a print whose valleys are darker than this grey level
	// (Mean + StdDev) is dark: press lighter (against v' = 0.4v).
	darkValleys float64
	// maxRidgeShare: a print with more of its profile ridge is squeezed:
	// press lighter (against a grey-level erosion, 3x3, that widens the
	// ridges and closes the valleys).
	maxRidgeShare float64
	// minClarity: a print of fine contrast and grey level whose LCS is
	// lower is smudged or broken: dry or wet (against a 9x9 box blur, about
	// one ridge period, that merges the ridges).
	minClarity float64
}

// defaultRules are the thresholds chosen on DB1_B-DB3_B.
var defaultRules = hintRules{
	offCentre:     0.45,
	minArea:       DefaultMinArea,
	lightRidges:   180,
	darkValleys:   80,
	maxRidgeShare: 0.6,
	minClarity:    0.55,
}

// hintOf is the first hint whose rule q meets, in the order of the Hint
// constants: no finger (an empty foreground), off centre, too small, press
// harder, press lighter, dry or wet.
func hintOf(q Quality, r hintRules) Hint {
	switch {
	case q.Blocks == 0:
		return HintNoFinger
	case max(math.Abs(q.CentreX), math.Abs(q.CentreY)) > r.offCentre:
		return HintOffCentre
	case q.Area < r.minArea:
		return HintTooSmall
	case q.Mean-q.StdDev > r.lightRidges:
		return HintPressHarder
	case q.Mean+q.StdDev < r.darkValleys || q.RidgeShare > r.maxRidgeShare:
		return HintPressLighter
	case q.LCS < r.minClarity:
		return HintDryOrWet
	}
	return HintNone
}
