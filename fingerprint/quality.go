package fingerprint

import (
	"fmt"
	"math"

	"github.com/biogate/biogate/devices"
)

// Hint says what the person at the sensor can do to give a better print.
// The values are part of the wire protocol: they do not change.
type Hint string

// The hints, in the order Assess considers them: the first that applies is
// the one reported, so that a person is told the most useful thing first
// (put a finger on the sensor before pressing it differently; place it
// right before pressing harder).
const (
	// HintNone: nothing to correct.
	HintNone Hint = ""
	// HintNoFinger: nothing on the sensor (a blank, flat or noisy image).
	HintNoFinger Hint = "no_finger"
	// HintOffCentre: a finger, but its print runs over an edge of the
	// sensor or lies far from its centre.
	HintOffCentre Hint = "off_centre"
	// HintTooSmall: a finger, but too little of it touches the sensor for
	// a match (a fingertip).
	HintTooSmall Hint = "too_small"
	// HintPressHarder: a light, faint print: low contrast on a light
	// background, thin or broken ridges.
	HintPressHarder Hint = "press_harder"
	// HintPressLighter: a dark print: ridges merged, valleys filled.
	HintPressLighter Hint = "press_lighter"
	// HintDryOrWet: contrast and grey level fine, but the ridges are not
	// clear (a dry finger breaks them, a wet one smears them).
	HintDryOrWet Hint = "dry_or_wet"
)

// QualityConfig tunes Assess. The zero value means the defaults.
type QualityConfig struct {
	// Segment configures the segmentation the features are measured on.
	Segment SegmentConfig
	// MinArea is the smallest foreground, in square millimetres, that is
	// not HintTooSmall; default DefaultMinArea, negative is invalid. A
	// reader whose whole sensor is smaller (some are 6.5 mm square) lowers
	// it.
	MinArea float64
}

// Quality is the assessment of one fingerprint image: an outcome, not an
// error. The per-feature values are image-level summaries over the
// foreground blocks; Score and Hint are derived from them.
//
// Later features (a minutiae count and their quality, once the extractor
// exists) are to be added as fields here and folded into Score by a
// separate function, so that this struct stays a plain value.
type Quality struct {
	// Score is 0 (no usable print) to 100 (best); see Assess for how.
	Score int
	// Hint is what the person can do about a poor print; HintNone if
	// nothing.
	Hint Hint

	// Foreground is the share of the image that is finger (Mask.Fraction),
	// 0-1; Area is the same in square millimetres (at the image's PPI, 500
	// if unknown).
	Foreground, Area float64
	// Blocks counts the foreground blocks the features are measured on.
	Blocks int

	// OCL is the mean orientation certainty level (NFIQ 2 OCL, 0-1, higher
	// is better): 1 - lambda_min/lambda_max of each block's gradient
	// covariance in a 32x32 window. Ridges run one way: near 1.
	OCL float64
	// LCS is the mean local clarity score (NFIQ 2 LCS, 0-1, higher is
	// better): how cleanly the grey levels across the ridges split into
	// ridge and valley by the profile's trend; 0 for a block whose ridges
	// or valleys are implausibly thick or thin.
	LCS float64
	// FDA is the mean frequency domain analysis score (NFIQ 2 FDA, 0-1,
	// higher is better): the share of the profile's spectrum at its
	// dominant ridge frequency.
	FDA float64
	// RVU is the ridge-valley uniformity (ISO/IEC 29794-4 RVU, >= 0, lower
	// is better): the standard deviation of the ratios of the widths of
	// neighbouring ridges and valleys over the foreground.
	RVU float64
	// OF is the orientation flow (NFIQ 2 OF, 0-1, lower is better): how
	// much the ridge orientation jumps between neighbouring blocks beyond
	// 4 degrees.
	OF float64
	// RidgeShare is the mean share of the profile across the ridges that
	// is ridge (darker than halfway between its darkest and lightest, the
	// trend taken out), 0-1: 0.4-0.45 for a typical print, higher when
	// pressure spreads the ridges and squeezes the valleys (not an NFIQ 2
	// feature).
	RidgeShare float64

	// Mean and StdDev are the grey level (0-255) of the foreground and its
	// standard deviation (the print's contrast).
	Mean, StdDev float64

	// CentreX and CentreY are the foreground's centroid relative to the
	// image's centre, -1 (left or top edge) to 1 (right or bottom edge).
	CentreX, CentreY float64
	// Border is the largest share, 0-1, of one image edge that the
	// foreground touches (its blocks along that edge).
	Border float64
}

// Assess measures the quality of img. The features are NFIQ 2's (ISO/IEC
// 29794-4:2017) computed over the foreground that Segment finds, but the
// score is not NFIQ 2's: NFIQ 2 maps histograms of these features to a
// score with a random forest trained on NIST data, which we do not have.
// Score is a fixed, documented combination instead (see FullArea), and Hint
// the first of a few threshold rules (see the Hint constants), so the
// numbers are comparable with each other, not with NFIQ 2 values.
//
// A poor or empty print is an outcome (a low Score and a Hint), not an
// error. Errors wrap ErrInvalidImage (nil image, zero size, Pix shorter
// than Width*Height) or report a bad cfg, as Segment's do. img is read, not
// kept; Assess is safe for concurrent use on different inputs.
func Assess(img *devices.FingerprintImage, cfg QualityConfig) (Quality, error) {
	if cfg.MinArea == 0 {
		cfg.MinArea = DefaultMinArea
	}
	if !(cfg.MinArea >= 0) || math.IsInf(cfg.MinArea, 0) {
		return Quality{}, fmt.Errorf("fingerprint: quality config: MinArea %v, want >= 0", cfg.MinArea)
	}
	m, err := Segment(img, cfg.Segment)
	if err != nil {
		return Quality{}, err
	}
	q := measure(img, m)
	q.Score = scoreOf(q, defaultCurves)
	rules := defaultRules
	rules.minArea = cfg.MinArea
	q.Hint = hintOf(q, rules)
	return q, nil
}

// measure computes every feature of q but Score and Hint.
func measure(img *devices.FingerprintImage, m *Mask) Quality {
	var q Quality
	q.Foreground = m.Fraction()
	mmPerPixel := 25.4 / 500
	if img.PPI > 0 {
		mmPerPixel = 25.4 / float64(img.PPI)
	}
	q.Area = q.Foreground * float64(img.Width*img.Height) * mmPerPixel * mmPerPixel

	a := newBlockAnalyser(img)
	theta := make([]float64, m.Cols*m.Rows)
	var sum, sum2, pixels, sx, sy float64
	var ocl, lcs, fda, share float64
	var edge [4]int // blocks along the top, bottom, left and right edges
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.Block(c, r) {
				continue
			}
			x0, y0 := c*m.BlockSize, r*m.BlockSize
			w, h := min(m.BlockSize, img.Width-x0), min(m.BlockSize, img.Height-y0)
			n := float64(w * h)
			s := m.Stats[r*m.Cols+c]
			sum += s.Mean * n
			sum2 += (s.StdDev*s.StdDev + s.Mean*s.Mean) * n
			pixels += n
			cx, cy := float64(x0)+float64(w)/2, float64(y0)+float64(h)/2
			sx += cx * n
			sy += cy * n
			if r == 0 {
				edge[0]++
			}
			if r == m.Rows-1 {
				edge[1]++
			}
			if c == 0 {
				edge[2]++
			}
			if c == m.Cols-1 {
				edge[3]++
			}
			b := a.analyse(cx, cy)
			theta[r*m.Cols+c] = b.theta
			ocl += b.ocl
			lcs += b.lcs
			fda += b.fda
			share += b.ridgeShare
			q.Blocks++
		}
	}
	if q.Blocks == 0 {
		return q
	}
	n := float64(q.Blocks)
	q.OCL, q.LCS, q.FDA, q.RidgeShare = ocl/n, lcs/n, fda/n, share/n
	q.RVU = spread(a.ratios)
	q.OF = orientationFlow(m, theta)
	q.Mean = sum / pixels
	q.StdDev = math.Sqrt(max(0, sum2/pixels-q.Mean*q.Mean))
	q.CentreX = 2*sx/pixels/float64(img.Width) - 1
	q.CentreY = 2*sy/pixels/float64(img.Height) - 1
	q.Border = max(float64(edge[0])/float64(m.Cols), float64(edge[1])/float64(m.Cols),
		float64(edge[2])/float64(m.Rows), float64(edge[3])/float64(m.Rows))
	return q
}
