package fingerprint

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

// qualityDBs are the four FVC2002 sets; the score curves and hint thresholds
// are chosen on the first three, DB4_B (synthetic prints) is held out.
var (
	qualityDBs = []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"}
	chosenDBs  = qualityDBs[:3]
)

// qualityPPI is each set's resolution (FVC2002: DB2's sensor is 569 ppi, the
// others about 500).
var qualityPPI = map[string]int{"DB1_B": 500, "DB2_B": 569, "DB3_B": 500, "DB4_B": 500}

// A transform simulates a fault on a real print; k is the image's index in
// its set, q its assessment, for faults that depend on them.
type transform struct {
	name string
	// want is the hint the fault should give ("" if none is asserted).
	want Hint
	// minRate is the least share of each chosen set's transformed prints
	// that must get want; minHeldOut the same for a held-out set (left out
	// of the choice of the thresholds), except for the sets in exempt.
	minRate, minHeldOut float64
	exempt              []string
	apply               func(img *devices.FingerprintImage, k int, q Quality) *devices.FingerprintImage
}

var faults = []transform{
	{"light", HintPressHarder, 0.9, 0.8, nil, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return lighten(img)
	}},
	// A pure gain change on DB1 lands where DB3's normal prints are (mean
	// and contrast alike), so only the other sets are asserted.
	{"dark", HintPressLighter, 0.9, 0.8, []string{"DB1_B"}, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return darken(img)
	}},
	// Erosion alone: the ridge share that tells it differs from sensor to
	// sensor (DB4's synthetic prints have thin ridges: none is caught), so
	// it is caught less often; asserted loosely on the real sensors.
	{"erode", HintPressLighter, 0.3, 0.3, []string{"DB4_B"}, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return erode(img, 1)
	}},
	// A heavy press: ridges merged and the print darker; DB1's prints stay
	// as light as DB3's normal ones, as for "dark".
	{"heavy", HintPressLighter, 0.9, 0.8, []string{"DB1_B"}, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return darken(erode(img, 1))
	}},
	{"shift", HintOffCentre, 0.9, 0.8, nil, func(img *devices.FingerprintImage, k int, _ Quality) *devices.FingerprintImage {
		d := [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}}[k%4]
		return shiftPrint(img, d[0]*img.Width/2, d[1]*img.Height/2)
	}},
	{"crop", HintTooSmall, 0.9, 0.8, nil, func(img *devices.FingerprintImage, _ int, q Quality) *devices.FingerprintImage {
		side := 96 * img.PPI / 500 // 4.9 mm: a fingertip
		return cropCentre(img, int((q.CentreX+1)*float64(img.Width)/2), int((q.CentreY+1)*float64(img.Height)/2), side)
	}},
	{"blur2", "", 0, 0, nil, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return boxBlur(img, 2)
	}},
	{"blur3", "", 0, 0, nil, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return boxBlur(img, 3)
	}},
	// A 9x9 box, about one ridge period at 500 ppi, cancels the ridges'
	// fundamental: they merge. The hint is reported, not asserted: the
	// blur lowers the score (TestBlurLowersScore), but which hint a
	// smudged print gets depends on its grey levels too.
	{"blur4", HintDryOrWet, 0, 0, nil, func(img *devices.FingerprintImage, _ int, _ Quality) *devices.FingerprintImage {
		return boxBlur(img, 4)
	}},
	{"noise10", "", 0, 0, nil, func(img *devices.FingerprintImage, k int, _ Quality) *devices.FingerprintImage {
		return addNoise(img, 10, uint64(k))
	}},
	{"noise25", "", 0, 0, nil, func(img *devices.FingerprintImage, k int, _ Quality) *devices.FingerprintImage {
		return addNoise(img, 25, uint64(k))
	}},
	{"noise50", "", 0, 0, nil, func(img *devices.FingerprintImage, k int, _ Quality) *devices.FingerprintImage {
		return addNoise(img, 50, uint64(k))
	}},
}

// assessed is one print's assessment and its faults'.
type assessed struct {
	name string
	orig Quality
	tr   map[string]Quality
}

var (
	assessMu    sync.Mutex
	assessCache = map[string][]assessed{}
)

// assessSet assesses every print of an FVC2002 set and its faults, once
// per test binary.
func assessSet(t *testing.T, db string) []assessed {
	t.Helper()
	assessMu.Lock()
	defer assessMu.Unlock()
	if out, ok := assessCache[db]; ok {
		return out
	}
	var out []assessed
	for k, s := range fvcSet(t, db) {
		s.img.PPI = qualityPPI[db]
		a := assessed{name: s.name, orig: mustAssess(t, s.name, s.img), tr: map[string]Quality{}}
		for _, tr := range faults {
			a.tr[tr.name] = mustAssess(t, s.name+" "+tr.name, tr.apply(s.img, k, a.orig))
		}
		out = append(out, a)
	}
	assessCache[db] = out
	return out
}

func mustAssess(t *testing.T, name string, img *devices.FingerprintImage) Quality {
	t.Helper()
	q, err := Assess(img, QualityConfig{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if q.Score < 0 || q.Score > 100 {
		t.Fatalf("%s: score %d outside 0-100", name, q.Score)
	}
	return q
}

// pooled gathers the assessments of several sets.
func pooled(t *testing.T, dbs []string) []assessed {
	var all []assessed
	for _, db := range dbs {
		all = append(all, assessSet(t, db)...)
	}
	return all
}

// qPercentile is the percentile of xs (sorted in place), p in 0-1.
func qPercentile(xs []float64, p float64) float64 {
	slices.Sort(xs)
	return xs[int(p*float64(len(xs)-1)+0.5)]
}

// twoDigits rounds x to two significant digits.
func twoDigits(x float64) float64 {
	if x == 0 {
		return 0
	}
	e := math.Pow(10, math.Floor(math.Log10(math.Abs(x)))-1)
	return math.Round(x/e) * e
}

// chooseCurves is how defaultCurves were chosen: for each feature, a ramp
// from its 5th to its 95th percentile over the original prints of dbs
// (reversed where lower is better), two significant digits.
func chooseCurves(t *testing.T, dbs []string) scoreCurves {
	feature := func(f func(Quality) float64, lowerIsBetter bool) ramp {
		var xs []float64
		for _, a := range pooled(t, dbs) {
			xs = append(xs, f(a.orig))
		}
		lo, hi := twoDigits(qPercentile(xs, 0.05)), twoDigits(qPercentile(xs, 0.95))
		if lowerIsBetter {
			lo, hi = hi, lo
		}
		return ramp{lo, hi}
	}
	return scoreCurves{
		ocl: feature(func(q Quality) float64 { return q.OCL }, false),
		lcs: feature(func(q Quality) float64 { return q.LCS }, false),
		fda: feature(func(q Quality) float64 { return q.FDA }, false),
		rvu: feature(func(q Quality) float64 { return q.RVU }, true),
		of:  feature(func(q Quality) float64 { return q.OF }, true),
	}
}

// A hintRule is one threshold of hintRules with the transform it is chosen
// against.
type hintRule struct {
	transform string
	feature   func(Quality) float64
	// above: the rule fires when the feature exceeds the threshold,
	// otherwise when it is under it.
	above bool
	grid  []float64
	set   func(*hintRules, float64)
}

func qGrid(from, to, step float64) []float64 {
	var g []float64
	for i := 0; from+float64(i)*step <= to+step/1e6; i++ {
		g = append(g, math.Round((from+float64(i)*step)/step*1e6)*step/1e6)
	}
	return g
}

var hintRuleGrid = []hintRule{
	{"shift", func(q Quality) float64 { return max(math.Abs(q.CentreX), math.Abs(q.CentreY)) }, true, qGrid(0.2, 0.8, 0.05), func(r *hintRules, v float64) { r.offCentre = v }},
	{"crop", func(q Quality) float64 { return q.Area }, false, qGrid(10, 120, 5), func(r *hintRules, v float64) { r.minArea = v }},
	{"light", func(q Quality) float64 { return q.Mean - q.StdDev }, true, qGrid(100, 240, 5), func(r *hintRules, v float64) { r.lightRidges = v }},
	{"dark", func(q Quality) float64 { return q.Mean + q.StdDev }, false, qGrid(30, 180, 5), func(r *hintRules, v float64) { r.darkValleys = v }},
	{"erode", func(q Quality) float64 { return q.RidgeShare }, true, qGrid(0.4, 0.7, 0.01), func(r *hintRules, v float64) { r.maxRidgeShare = v }},
	{"blur4", func(q Quality) float64 { return q.LCS }, false, qGrid(0.3, 0.8, 0.01), func(r *hintRules, v float64) { r.minClarity = v }},
}

// maxFalseHints is the largest share of the original prints one rule may
// fire on when it is chosen.
const maxFalseHints = 0.05

// chooseRules is how defaultRules were chosen: each threshold is the grid
// value that maximises the share of dbs' transformed prints it catches
// minus the share of their original prints it catches, among those that
// catch at most maxFalseHints of the originals; the middle of the best run
// of grid values on a tie.
func chooseRules(t *testing.T, dbs []string) hintRules {
	var r hintRules
	all := pooled(t, dbs)
	for _, rule := range hintRuleGrid {
		fires := func(q Quality, th float64) bool {
			if v := rule.feature(q); rule.above {
				return v > th
			} else {
				return v < th
			}
		}
		best, first, last := math.Inf(-1), 0, 0
		for i, th := range rule.grid {
			caught, false_ := 0, 0
			for _, a := range all {
				if fires(a.tr[rule.transform], th) {
					caught++
				}
				if fires(a.orig, th) {
					false_++
				}
			}
			j := float64(caught-false_) / float64(len(all))
			if float64(false_) > maxFalseHints*float64(len(all)) {
				j = math.Inf(-1)
			}
			switch {
			case j > best+1e-12:
				best, first, last = j, i, i
			case math.Abs(j-best) <= 1e-12 && last == i-1:
				last = i
			}
		}
		rule.set(&r, rule.grid[(first+last)/2])
	}
	return r
}

// TestScoreCurvesChosen: the score's ramps are what chooseCurves gives on
// DB1_B-DB3_B.
func TestScoreCurvesChosen(t *testing.T) {
	got := chooseCurves(t, chosenDBs)
	t.Logf("chosen on %v: %+v", chosenDBs, got)
	if got != defaultCurves {
		t.Errorf("DB1-DB3 choose %+v; defaultCurves are %+v", got, defaultCurves)
	}
}

// TestHintRulesChosen: the hint thresholds are what chooseRules gives on
// DB1_B-DB3_B.
func TestHintRulesChosen(t *testing.T) {
	got := chooseRules(t, chosenDBs)
	t.Logf("chosen on %v: %+v", chosenDBs, got)
	if got != defaultRules {
		t.Errorf("DB1-DB3 choose %+v; defaultRules are %+v", got, defaultRules)
	}
}

// TestFVCScores: every FVC2002 print has a score (0-100, checked by
// mustAssess) and a finger; the scores' spread per set is logged, and so is
// how many originals get a hint (FVC2002's volunteers were asked to vary
// pressure and placement, so some should).
func TestFVCScores(t *testing.T) {
	for _, db := range qualityDBs {
		var scores []float64
		hints := map[Hint]int{}
		for _, a := range assessSet(t, db) {
			if a.orig.Hint == HintNoFinger {
				t.Errorf("%s: no finger found", a.name)
			}
			scores = append(scores, float64(a.orig.Score))
			hints[a.orig.Hint]++
		}
		t.Logf("%s: score min %.0f median %.0f max %.0f (10th %.0f, 90th %.0f); hints %v", db,
			qPercentile(scores, 0), qPercentile(scores, 0.5), qPercentile(scores, 1), qPercentile(scores, 0.1), qPercentile(scores, 0.9), hints)
		if n := len(scores) - hints[HintNone]; n > len(scores)/3 {
			t.Errorf("%s: %d of %d original prints get a hint", db, n, len(scores))
		}
		if m := qPercentile(scores, 0.5); m < 30 {
			t.Errorf("%s: median score %.0f for a set of usable prints", db, m)
		}
	}
}

// hintRate is the share of dbs' prints transformed by tr that get want
// under rules (with minArea from rules too).
func hintRate(t *testing.T, db, tr string, want Hint, rules hintRules) float64 {
	n := 0
	set := assessSet(t, db)
	for _, a := range set {
		if hintOf(a.tr[tr], rules) == want {
			n++
		}
	}
	return float64(n) / float64(len(set))
}

// TestHints: each fault gives its hint for most prints of each set: with
// the default thresholds (chosen on DB1-DB3; DB4 is held out), and with
// thresholds chosen on the other three sets for each set left out.
func TestHints(t *testing.T) {
	loso := map[string]hintRules{}
	for _, out := range qualityDBs {
		var others []string
		for _, db := range qualityDBs {
			if db != out {
				others = append(others, db)
			}
		}
		loso[out] = chooseRules(t, others)
		t.Logf("chosen without %s: %+v", out, loso[out])
	}
	for _, tr := range faults {
		if tr.want == "" {
			continue
		}
		line := fmt.Sprintf("%-5s -> %-13s", tr.name, tr.want)
		for _, db := range qualityDBs {
			rate, left := hintRate(t, db, tr.name, tr.want, defaultRules), hintRate(t, db, tr.name, tr.want, loso[db])
			heldOut := !slices.Contains(chosenDBs, db)
			line += fmt.Sprintf("  %s %3.0f%% (left out %3.0f%%)", db, 100*rate, 100*left)
			if slices.Contains(tr.exempt, db) {
				continue
			}
			want := tr.minRate
			if heldOut {
				want = tr.minHeldOut
			}
			if rate < want {
				t.Errorf("%s on %s (held out: %v): %.2f get %q, want at least %.2f", tr.name, db, heldOut, rate, tr.want, want)
			}
			if left < tr.minHeldOut {
				t.Errorf("%s on %s left out of the choice: %.2f get %q, want at least %.2f", tr.name, db, left, tr.want, tr.minHeldOut)
			}
		}
		t.Log(line)
	}
}

// TestBlurLowersScore: a box blur that merges the ridges lowers the score
// of nearly every print.
func TestBlurLowersScore(t *testing.T) {
	for _, db := range qualityDBs {
		lower := 0
		set := assessSet(t, db)
		for _, a := range set {
			if a.tr["blur4"].Score < a.orig.Score {
				lower++
			}
		}
		rate := float64(lower) / float64(len(set))
		t.Logf("%s: blur lowers %.0f%% of the scores", db, 100*rate)
		if rate < 0.9 {
			t.Errorf("%s: blur lowers only %.2f of the scores", db, rate)
		}
	}
}

// TestScoreMonotonic: the mean score falls at each step of blur (5x5, 7x7
// and 9x9 boxes) and of noise (Gaussian, 10, 25 and 50 grey levels, after
// the original). A 3x3 box is left out: it smooths sensor noise more than
// it merges ridges, and raises the score of most prints (as it would help
// a matcher).
func TestScoreMonotonic(t *testing.T) {
	for _, db := range qualityDBs {
		for _, steps := range [][]string{{"blur2", "blur3", "blur4"}, {"", "noise10", "noise25", "noise50"}} {
			var means []float64
			for _, step := range steps {
				sum := 0.0
				set := assessSet(t, db)
				for _, a := range set {
					q := a.orig
					if step != "" {
						q = a.tr[step]
					}
					sum += float64(q.Score)
				}
				means = append(means, sum/float64(len(set)))
			}
			t.Logf("%s %q: mean scores %.1f", db, steps, means)
			for i := 1; i < len(means); i++ {
				if means[i] >= means[i-1] {
					t.Errorf("%s: mean score %.1f after %s, %.1f before", db, means[i], steps[i], means[i-1])
				}
			}
		}
	}
}

// TestNoFingerHint: images without a finger score 0 with no_finger (the
// choice: an empty foreground is no finger, whatever its grey level).
func TestNoFingerHint(t *testing.T) {
	uniform := func(v byte) *devices.FingerprintImage { return uniformImage(388, 374, v) }
	for _, tc := range []struct {
		name string
		img  *devices.FingerprintImage
	}{
		{"blank white", uniform(255)},
		{"uniform grey", uniform(128)},
		{"black", uniform(0)},
		{"uniform noise", noiseImage(388, 374, 7)},
		{"uniform noise, DB2's size", noiseImage(296, 560, 8)},
	} {
		q, err := Assess(tc.img, QualityConfig{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if q.Hint != HintNoFinger || q.Score != 0 {
			t.Errorf("%s: score %d hint %q, want 0 and %q", tc.name, q.Score, q.Hint, HintNoFinger)
		}
	}
}

// TestOtherImages: the SourceAFIS samples and the USB readers' captures
// (libfprint's recordings of real readers) are assessed without error; the
// SourceAFIS prints (good 500 ppi prints) have a finger and a fair score.
func TestOtherImages(t *testing.T) {
	shared := testenv.Shared(t)
	for _, name := range []string{"probe", "matching", "nonmatching"} {
		q := mustAssess(t, name, readGray(t, filepath.Join(shared, "data", "fingerprints", "sourceafis", name+".png")))
		t.Logf("sourceafis %s: score %d hint %q foreground %.2f", name, q.Score, q.Hint, q.Foreground)
		if q.Hint == HintNoFinger || q.Score < 30 {
			t.Errorf("sourceafis %s: score %d hint %q", name, q.Score, q.Hint)
		}
	}
	usb, err := filepath.Glob(filepath.Join(shared, "data", "usb", "*", "capture.png"))
	if err != nil || len(usb) == 0 {
		t.Fatalf("no USB captures (%v)", err)
	}
	for _, p := range usb {
		// readGray converts colour to grey (luma), close enough to the
		// green channel for these grey-looking captures.
		q := mustAssess(t, p, readGray(t, p))
		t.Logf("usb %s: score %d hint %q foreground %.2f area %.0f mm²", filepath.Base(filepath.Dir(p)), q.Score, q.Hint, q.Foreground, q.Area)
	}
}

func TestAssessErrors(t *testing.T) {
	good := noiseImage(32, 32, 1)
	for _, tc := range []struct {
		name string
		img  *devices.FingerprintImage
		cfg  QualityConfig
		want error // nil: any error
	}{
		{"nil image", nil, QualityConfig{}, ErrInvalidImage},
		{"zero size", &devices.FingerprintImage{}, QualityConfig{}, ErrInvalidImage},
		{"short Pix", &devices.FingerprintImage{Width: 32, Height: 32, Pix: make([]byte, 32*31)}, QualityConfig{}, ErrInvalidImage},
		{"negative MinArea", good, QualityConfig{MinArea: -1}, nil},
		{"NaN MinArea", good, QualityConfig{MinArea: math.NaN()}, nil},
		{"bad segment config", good, QualityConfig{Segment: SegmentConfig{BlockSize: 2}}, nil},
	} {
		q, err := Assess(tc.img, tc.cfg)
		if err == nil || q != (Quality{}) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %+v, %v; want an error (%v)", tc.name, q, err, tc.want)
		}
	}
}

// TestMinAreaConfig: a reader with a small sensor lowers MinArea and a
// fingertip is no longer too small.
func TestMinAreaConfig(t *testing.T) {
	a := assessSet(t, "DB1_B")[0]
	if a.tr["crop"].Hint != HintTooSmall {
		t.Fatalf("%s cropped: hint %q, want %q with the default MinArea", a.name, a.tr["crop"].Hint, HintTooSmall)
	}
	img := fvcSet(t, "DB1_B")[0].img
	img.PPI = 500
	crop := cropCentre(img, int((a.orig.CentreX+1)*float64(img.Width)/2), int((a.orig.CentreY+1)*float64(img.Height)/2), 96)
	q, err := Assess(crop, QualityConfig{MinArea: 10})
	if err != nil {
		t.Fatal(err)
	}
	if q.Hint == HintTooSmall {
		t.Errorf("MinArea 10 mm²: a %.0f mm² print still too small", q.Area)
	}
}

// BenchmarkAssess times one 388x374 FVC2002 DB1 print.
func BenchmarkAssess(b *testing.B) {
	f, err := os.Open(filepath.Join(testenv.Shared(b), "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	g, ok := src.(*image.Gray)
	if !ok || g.Stride != g.Rect.Dx() {
		b.Fatalf("not a packed grey image: %T", src)
	}
	img := &devices.FingerprintImage{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Pix: g.Pix, PPI: 500}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assess(img, QualityConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
