package fingerprint

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Impression names one image of a database in the FVC layout:
// <finger>_<impression>.<ext>, for instance 101_3.png.
type Impression struct {
	Finger, Number int
	Path           string
}

var fvcName = regexp.MustCompile(`^(\d+)_(\d+)\.(png|tif|tiff|bmp|jpg|jpeg|wsq)$`)

// ListFVC finds the impressions of a database folder in the FVC layout,
// ordered by finger and impression. Files of other names are ignored.
func ListFVC(dir string) ([]Impression, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Impression
	for _, e := range entries {
		m := fvcName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		f, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		out = append(out, Impression{Finger: f, Number: n, Path: filepath.Join(dir, e.Name())})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Finger != out[j].Finger {
			return out[i].Finger < out[j].Finger
		}
		return out[i].Number < out[j].Number
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no images named <finger>_<impression>.<png|tif|bmp|jpg|wsq>", dir)
	}
	return out, nil
}

// Comparison is one scored pair of impressions.
type Comparison struct {
	A, B    int // indices into Evaluation.Impressions
	Genuine bool
	Score   float64
}

// Evaluation is the FVC protocol run on one database: genuine comparisons
// are every pair of impressions of one finger, impostor comparisons the
// first impression of each finger against the first of every other finger,
// each pair once (FVC2002's protocol: 2,800 and 4,950 on a 100x8 set, 280
// and 45 on a 10x8 "B" set).
//
// The rates are fractions (0.01 is 1 %). With few impostor comparisons,
// FMR100 and FMR1000 cannot be told apart from ZeroFMR: on a "B" set one
// false match is already an FMR of 2.2 %.
type Evaluation struct {
	Dir         string       `json:"dir"`
	PPI         int          `json:"ppi"`
	Impressions []Impression `json:"-"`
	// Templates, parallel to Impressions; without minutiae where
	// extraction failed.
	Templates []*Template `json:"-"`
	// Qualities, parallel to Impressions: each image's Assess.
	Qualities   []Quality    `json:"-"`
	Comparisons []Comparison `json:"-"`

	Fingers int `json:"fingers"`
	Images  int `json:"images"`
	// FailedToExtract counts images that gave no template (FTE).
	FailedToExtract int `json:"failed_to_extract"`
	GenuineCount    int `json:"genuine_comparisons"`
	ImpostorCount   int `json:"impostor_comparisons"`

	// EER is the equal error rate, the middle of [EERLow, EERHigh] as FVC
	// computes it.
	EER     float64 `json:"eer"`
	EERLow  float64 `json:"eer_low"`
	EERHigh float64 `json:"eer_high"`
	// FMR100, FMR1000 and ZeroFMR are the lowest FNMR at an FMR of at most
	// 1 %, 0.1 % and 0.
	FMR100  float64 `json:"fmr100"`
	FMR1000 float64 `json:"fmr1000"`
	ZeroFMR float64 `json:"zero_fmr"`
	// AtThreshold is the FNMR and FMR at DefaultThreshold.
	FNMRAtThreshold float64 `json:"fnmr_at_threshold"`
	FMRAtThreshold  float64 `json:"fmr_at_threshold"`
	Threshold       float64 `json:"threshold"`

	// ERC is the error-versus-reject curve of the quality score (ISO/IEC
	// 29794-1): the FNMR at Threshold after rejecting the genuine
	// comparisons of lowest quality (a comparison's quality is the lower
	// of its two images'). A score that means something makes it fall.
	ERC []ERCPoint `json:"erc"`

	// ExtractTime and CompareTime are the mean wall time of one extraction
	// and one (symmetric) comparison.
	ExtractTime time.Duration `json:"extract_ns"`
	CompareTime time.Duration `json:"compare_ns"`
}

// Evaluate runs the FVC protocol on the database in dir, whose images were
// taken at ppi (0: 500). A failed extraction counts as a template with no
// minutiae: its comparisons score 0, as FVC counts failures to enrol.
func Evaluate(ctx context.Context, dir string, ppi int) (*Evaluation, error) {
	imps, err := ListFVC(dir)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Dir: dir, PPI: ppi, Impressions: imps, Threshold: DefaultThreshold, Images: len(imps)}
	if ev.PPI == 0 {
		ev.PPI = PPI
	}
	ev.Templates = make([]*Template, len(imps))
	first := map[int]int{} // finger -> index of its first impression
	var extract time.Duration
	for i, imp := range imps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img, err := ReadImage(imp.Path)
		if err != nil {
			return nil, err
		}
		img.PPI = ev.PPI
		q, err := Assess(img, QualityConfig{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", imp.Path, err)
		}
		ev.Qualities = append(ev.Qualities, q)
		t0 := time.Now()
		t, err := Extract(img)
		extract += time.Since(t0)
		if err != nil {
			ev.FailedToExtract++
			t = &Template{}
		}
		ev.Templates[i] = t
		if _, ok := first[imp.Finger]; !ok {
			first[imp.Finger] = i
		}
	}
	ev.Fingers = len(first)
	ev.ExtractTime = extract / time.Duration(len(imps))

	var compare time.Duration
	score := func(a, b int, genuine bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var s float64
		if ta, tb := ev.Templates[a], ev.Templates[b]; ta.search != nil && tb.search != nil {
			t0 := time.Now()
			var err error
			if s, err = Compare(ta, tb); err != nil {
				return err
			}
			compare += time.Since(t0)
		}
		ev.Comparisons = append(ev.Comparisons, Comparison{A: a, B: b, Genuine: genuine, Score: s})
		return nil
	}
	for i := range imps {
		for j := i + 1; j < len(imps); j++ {
			switch {
			case imps[i].Finger == imps[j].Finger:
				if err := score(i, j, true); err != nil {
					return nil, err
				}
			case first[imps[i].Finger] == i && first[imps[j].Finger] == j:
				if err := score(i, j, false); err != nil {
					return nil, err
				}
			}
		}
	}
	if n := len(ev.Comparisons); n > 0 {
		ev.CompareTime = compare / time.Duration(n)
	}
	var gen, imp []float64
	for _, c := range ev.Comparisons {
		if c.Genuine {
			gen = append(gen, c.Score)
		} else {
			imp = append(imp, c.Score)
		}
	}
	ev.GenuineCount, ev.ImpostorCount = len(gen), len(imp)
	r := Rates(gen, imp)
	ev.EER, ev.EERLow, ev.EERHigh = r.EER, r.EERLow, r.EERHigh
	ev.FMR100, ev.FMR1000, ev.ZeroFMR = r.FNMRAtFMR(0.01), r.FNMRAtFMR(0.001), r.FNMRAtFMR(0)
	ev.FNMRAtThreshold, ev.FMRAtThreshold = r.At(DefaultThreshold)
	ev.ERC = ErrorVersusReject(ev, DefaultThreshold, ercFractions)
	return ev, nil
}

// ercFractions are the rejected fractions Evaluate reports.
var ercFractions = []float64{0, 0.05, 0.1, 0.2, 0.3}

// ERCPoint is one point of an error-versus-reject curve.
type ERCPoint struct {
	// Rejected is the fraction of genuine comparisons rejected for low
	// quality; FNMR the false non-match rate of the rest.
	Rejected float64 `json:"rejected"`
	FNMR     float64 `json:"fnmr"`
}

// ErrorVersusReject computes the FNMR at threshold after rejecting each
// fraction of ev's genuine comparisons, lowest pairwise quality first
// (ties broken by the comparison order, so the curve is deterministic).
func ErrorVersusReject(ev *Evaluation, threshold float64, fractions []float64) []ERCPoint {
	type pair struct {
		q     int
		match bool
	}
	var gen []pair
	for _, c := range ev.Comparisons {
		if c.Genuine {
			gen = append(gen, pair{min(ev.Qualities[c.A].Score, ev.Qualities[c.B].Score), c.Score >= threshold})
		}
	}
	sort.SliceStable(gen, func(i, j int) bool { return gen[i].q < gen[j].q })
	out := make([]ERCPoint, 0, len(fractions))
	for _, f := range fractions {
		kept := gen[min(len(gen), int(math.Round(f*float64(len(gen))))):]
		miss := 0
		for _, p := range kept {
			if !p.match {
				miss++
			}
		}
		p := ERCPoint{Rejected: f}
		if len(kept) > 0 {
			p.FNMR = float64(miss) / float64(len(kept))
		}
		out = append(out, p)
	}
	return out
}

// ErrorRates holds genuine and impostor scores, sorted, and answers the
// usual questions about them. A comparison matches when its score is at or
// above the threshold.
type ErrorRates struct {
	genuine, impostor    []float64
	EER, EERLow, EERHigh float64
}

// Rates sorts copies of the scores and computes the EER as FVC does: at the
// thresholds t1 (the highest with FNMR <= FMR) and t2 (the lowest with
// FNMR >= FMR), the pair of rates with the smaller sum bounds the EER.
func Rates(genuine, impostor []float64) *ErrorRates {
	r := &ErrorRates{genuine: append([]float64(nil), genuine...), impostor: append([]float64(nil), impostor...)}
	sort.Float64s(r.genuine)
	sort.Float64s(r.impostor)
	if len(r.genuine) == 0 || len(r.impostor) == 0 {
		return r
	}
	ts := append(append([]float64{0}, r.genuine...), r.impostor...)
	ts = append(ts, r.genuine[len(r.genuine)-1]+1, r.impostor[len(r.impostor)-1]+1)
	sort.Float64s(ts)
	t1, t2 := -1.0, -1.0
	for _, t := range ts {
		fnmr, fmr := r.At(t)
		if fnmr <= fmr {
			t1 = t
		}
		if fnmr >= fmr && t2 < 0 {
			t2 = t
		}
	}
	fnmr1, fmr1 := r.At(t1)
	fnmr2, fmr2 := r.At(t2)
	if fnmr1+fmr1 <= fnmr2+fmr2 {
		r.EERLow, r.EERHigh = fnmr1, fmr1
	} else {
		r.EERLow, r.EERHigh = fmr2, fnmr2
	}
	r.EER = (r.EERLow + r.EERHigh) / 2
	return r
}

// At returns the FNMR and FMR at threshold t.
func (r *ErrorRates) At(t float64) (fnmr, fmr float64) {
	below := sort.SearchFloat64s(r.genuine, t) // genuine scores < t
	atOrAbove := len(r.impostor) - sort.SearchFloat64s(r.impostor, t)
	if len(r.genuine) > 0 {
		fnmr = float64(below) / float64(len(r.genuine))
	}
	if len(r.impostor) > 0 {
		fmr = float64(atOrAbove) / float64(len(r.impostor))
	}
	return fnmr, fmr
}

// FNMRAtFMR is the lowest FNMR at a threshold whose FMR is at most fmr.
func (r *ErrorRates) FNMRAtFMR(fmr float64) float64 {
	if len(r.impostor) == 0 {
		return 0
	}
	// The lowest threshold with FMR <= fmr is just above the impostor score
	// that must be excluded.
	allowed := int(fmr * float64(len(r.impostor))) // false matches allowed
	var t float64
	if allowed < len(r.impostor) {
		t = math.Nextafter(r.impostor[len(r.impostor)-1-allowed], math.Inf(1))
	}
	fnmr, _ := r.At(t)
	return fnmr
}
