package idecemu

import "math"

// knot is one point of the cosine-to-similarity calibration.
type knot struct{ cos, sim float64 }

// calibration maps MobileFaceNet's cosine onto a 0..1 similarity, linearly
// between the knots. Measured on shared/data/faces (TestCalibration):
// different people score cosine -0.09..0.15, the same person 0.55..0.81
// (the shared README, with other alignment code, gives at most 0.16 and
// 0.52..0.84). The knots put
//
//   - cosine <= 0 (unrelated faces) at 0..0.05,
//   - the different-people range at 0.05..0.23 (0.30 at cosine 0.20),
//   - cosine 0.35, the middle of the gap, at 0.95 (DefaultThreshold),
//   - the same-person range at 0.967..0.991 and cosine 1 at 1,
//
// so that a threshold of 0.95, the figure reported for IDEC, separates the
// two with margin on both sides, and similarity stays monotonic in cosine.
var calibration = []knot{
	{-1, 0},
	{0, 0.05},
	{0.20, 0.30},
	{0.35, 0.95},
	{0.80, 0.99},
	{1, 1},
}

// Similarity maps a cosine of two L2-normalised embeddings (-1..1) to the
// reported similarity (0..1) by the piecewise-linear calibration above.
// Values outside -1..1 are clamped; NaN maps to 0.
func Similarity(cos float64) float64 {
	if math.IsNaN(cos) || cos <= calibration[0].cos {
		return calibration[0].sim
	}
	for i := 1; i < len(calibration); i++ {
		a, b := calibration[i-1], calibration[i]
		if cos <= b.cos {
			return a.sim + (cos-a.cos)*(b.sim-a.sim)/(b.cos-a.cos)
		}
	}
	return calibration[len(calibration)-1].sim
}
