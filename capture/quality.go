package capture

import (
	"math"
)

// Measure is one quality measure: its raw value in the unit the field's
// comment gives, and its score on 0-100 (100 = ideal), in the spirit of
// ISO/IEC 29794-5 (OFIQ), where every measure maps to 0-100.
type Measure struct {
	Value float64 `json:"value"`
	Score float64 `json:"score"`
}

// Quality holds the per-frame measures of the subject face and their unified
// score. Every measure here is cheap enough to compute on every frame of a
// 30 fps stream; OFIQ's expensive ones (occlusion, expression) are left out.
type Quality struct {
	// Score is the unified quality, 0-100: the weighted geometric mean of the
	// measure scores (weights in Weights), and 0 unless exactly one face is
	// in view (see Faces).
	Score float64 `json:"score"`

	// Sharpness: variance of the Laplacian of the face, resampled to 128x128
	// grey (so it does not depend on the face's size in pixels).
	Sharpness Measure `json:"sharpness"`
	// LuminanceMean: mean grey level of the inner face, 0-255.
	LuminanceMean Measure `json:"luminance_mean"`
	// LuminanceSpread: standard deviation of the inner face's grey levels.
	LuminanceSpread Measure `json:"luminance_spread"`
	// UnderExposure: fraction of inner-face pixels at or below 25.
	UnderExposure Measure `json:"under_exposure"`
	// OverExposure: fraction of inner-face pixels at or above 235.
	OverExposure Measure `json:"over_exposure"`
	// InterEye: distance between the eye centres in frame pixels.
	InterEye Measure `json:"inter_eye_px"`
	// Yaw, Pitch, Roll: head pose in degrees (see Pose for signs).
	Yaw   Measure `json:"yaw"`
	Pitch Measure `json:"pitch"`
	Roll  Measure `json:"roll"`
	// FaceSize: face box width over frame width.
	FaceSize Measure `json:"face_size"`
	// Centring: offset of the face centre from the frame centre, as the
	// larger of the horizontal and vertical offsets over half the frame's
	// width and height (0 = centred, 1 = at the edge).
	Centring Measure `json:"centring"`
	// Faces: number of faces in view that count (the subject plus any other
	// face at least OtherFaceMinRatio of its width); score 100 only for 1.
	Faces Measure `json:"faces"`
	// Colour: mean chroma magnitude of the inner face (MeanChroma, YCrCb
	// units; 0 for a grey image, 15 and more for skin under a colour
	// camera). Not in the unified score: a greyscale or infrared camera's
	// frames are sharp and well lit, and only liveness's anti-spoofing
	// model, trained on colour, cannot use them (Colourless).
	Colour Measure `json:"colour"`

	colourMeasured bool
}

// ColourlessBelow is the face chroma under which a frame has no colour to
// speak of: a greyscale or infrared camera (0, also through JPEG), far
// below a colour camera's faces (24-39 on the shared photos; 6 on a
// heavily desaturated, colour-graded one).
const ColourlessBelow = 2

// Colourless reports whether the subject face was measured and has no
// colour (Colour below ColourlessBelow): the no_colour hint, and a frame
// liveness does not score.
func (q *Quality) Colourless() bool { return q.colourMeasured && q.Colour.Value < ColourlessBelow }

// MeanChroma returns the mean chroma magnitude of px (packed BGR), with
// OpenCV's YCrCb coefficients: Cr-128 = 0.713 (R-Y), Cb-128 = 0.564 (B-Y).
func MeanChroma(px []byte) float64 {
	sum, n := chromaSum(px, 1)
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// chromaSum sums the chroma magnitude of every step-th pixel of px
// (packed BGR) and counts them.
func chromaSum(px []byte, step int) (sum float64, n int) {
	for i := 0; i+2 < len(px); i += 3 * step {
		b, g, r := float64(px[i]), float64(px[i+1]), float64(px[i+2])
		y := 0.299*r + 0.587*g + 0.114*b
		sum += math.Hypot(0.713*(r-y), 0.564*(b-y))
		n++
	}
	return sum, n
}

// patchColour measures Colour on a PatchSize x PatchSize BGR patch of the
// face box: the inner face of patchStats, every other pixel of every
// other row.
func patchColour(p []byte, q *Quality) {
	const n = PatchSize
	lo, hi := n/5, n-n/5
	var sum float64
	var cnt int
	for y := lo; y < hi; y += 2 {
		s, c := chromaSum(p[(y*n+lo)*3:(y*n+hi)*3], 2)
		sum, cnt = sum+s, cnt+c
	}
	q.Colour.Value = math.Round(sum/float64(cnt)*10) / 10
	q.colourMeasured = true
}

// Weights of the unified score (they sum to 1). Sharpness and eye distance
// weigh most because they limit what the matcher at IDEC can do; exposure and
// pose next; framing last because the person is coached on it by hints.
var Weights = struct {
	Sharpness, LuminanceMean, LuminanceSpread, UnderExposure, OverExposure,
	InterEye, Yaw, Pitch, Roll, FaceSize, Centring float64
}{
	Sharpness:       0.20,
	LuminanceMean:   0.10,
	LuminanceSpread: 0.05,
	UnderExposure:   0.05,
	OverExposure:    0.05,
	InterEye:        0.15,
	Yaw:             0.10,
	Pitch:           0.05,
	Roll:            0.05,
	FaceSize:        0.10,
	Centring:        0.10,
}

// OtherFaceMinRatio: another face counts against "exactly one face" only if
// its box is at least this fraction of the subject's width, so a passer-by
// far behind (or a face in a poster) does not block a kiosk.
const OtherFaceMinRatio = 0.4

// Score mappings. Each is piecewise linear between documented points.
var (
	// Laplacian variance at 128x128: 0 at 20 (a smeared face), 100 from 250.
	sharpRange = ramp{20, 250}
	// Mean grey: 100 between 80 and 180, 0 at 25 and 235.
	lumBand = band{25, 80, 180, 235}
	// Spread: 0 at 8 (a flat grey patch), 100 from 35.
	spreadRange = ramp{8, 35}
	// Under/over-exposed fraction: 100 at up to 5 %, 0 at 40 %.
	exposureRange = ramp{0.40, 0.05}
	// Inter-eye distance: 0 at 20 px, 100 from 60 px (ICAO's minimum for a
	// usable portrait is 60 px; a live frame below it still matches, worse).
	interEyeRange = ramp{20, 60}
	// Yaw: 100 within 10 degrees, 0 at 40.
	yawRange = ramp{40, 10}
	// Pitch: 100 within 12 degrees, 0 at 40.
	pitchRange = ramp{40, 12}
	// Roll: 100 within 8 degrees, 0 at 30.
	rollRange = ramp{30, 8}
	// Face width over frame width: 100 between 0.18 and 0.55, 0 at 0.06 and 0.85.
	sizeBand = band{0.06, 0.18, 0.55, 0.85}
	// Centring offset: 100 up to 0.25, 0 at 0.8.
	centringRange = ramp{0.8, 0.25}
	// Face chroma: 0 at ColourlessBelow, 100 from 6.
	colourRange = ramp{ColourlessBelow, 6}
)

// blurryBelow is the Laplacian variance under which the blurry hint shows.
const blurryBelow = 40

// ramp maps a value linearly from 0 at Zero to 100 at Full (either order).
type ramp struct{ Zero, Full float64 }

func (r ramp) score(v float64) float64 {
	t := (v - r.Zero) / (r.Full - r.Zero)
	return 100 * clamp01(t)
}

// band is 0 at Lo0, rising to 100 at Lo1, flat to Hi1, falling to 0 at Hi0.
type band struct{ Lo0, Lo1, Hi1, Hi0 float64 }

func (b band) score(v float64) float64 {
	switch {
	case v < b.Lo1:
		return ramp{b.Lo0, b.Lo1}.score(v)
	case v > b.Hi1:
		return ramp{b.Hi0, b.Hi1}.score(v)
	}
	return 100
}

func clamp01(t float64) float64 {
	switch {
	case t < 0:
		return 0
	case t > 1:
		return 1
	}
	return t
}

// PatchSize is the side of the square grey patch the face is resampled to for
// the sharpness and luminance measures.
const PatchSize = 128

// patchStats computes sharpness and luminance measures from a PatchSize x
// PatchSize grey patch of the face box. The inner face for luminance is the
// central 60 % (it leaves out hair and background at the box's edges).
func patchStats(p []byte, q *Quality) {
	const n = PatchSize
	// Laplacian variance over the whole patch (4-neighbour kernel).
	var sum, sum2 float64
	for y := 1; y < n-1; y++ {
		row := p[y*n:]
		up := p[(y-1)*n:]
		dn := p[(y+1)*n:]
		for x := 1; x < n-1; x++ {
			l := float64(int(up[x]) + int(dn[x]) + int(row[x-1]) + int(row[x+1]) - 4*int(row[x]))
			sum += l
			sum2 += l * l
		}
	}
	cnt := float64((n - 2) * (n - 2))
	mean := sum / cnt
	q.Sharpness.Value = sum2/cnt - mean*mean

	// Luminance of the inner face.
	lo, hi := n/5, n-n/5
	var lsum, lsum2 float64
	var under, over int
	for y := lo; y < hi; y++ {
		for _, v := range p[y*n+lo : y*n+hi] {
			f := float64(v)
			lsum += f
			lsum2 += f * f
			if v <= 25 {
				under++
			} else if v >= 235 {
				over++
			}
		}
	}
	m := float64((hi - lo) * (hi - lo))
	lm := lsum / m
	q.LuminanceMean.Value = lm
	q.LuminanceSpread.Value = math.Sqrt(math.Max(0, lsum2/m-lm*lm))
	q.UnderExposure.Value = float64(under) / m
	q.OverExposure.Value = float64(over) / m
}

// scoreAll fills every measure's score and the unified score from the
// values already set.
func (q *Quality) scoreAll() {
	q.Sharpness.Score = sharpRange.score(q.Sharpness.Value)
	q.LuminanceMean.Score = lumBand.score(q.LuminanceMean.Value)
	q.LuminanceSpread.Score = spreadRange.score(q.LuminanceSpread.Value)
	q.UnderExposure.Score = exposureRange.score(q.UnderExposure.Value)
	q.OverExposure.Score = exposureRange.score(q.OverExposure.Value)
	q.InterEye.Score = interEyeRange.score(q.InterEye.Value)
	q.Yaw.Score = yawRange.score(math.Abs(q.Yaw.Value))
	q.Pitch.Score = pitchRange.score(math.Abs(q.Pitch.Value))
	q.Roll.Score = rollRange.score(math.Abs(q.Roll.Value))
	q.FaceSize.Score = sizeBand.score(q.FaceSize.Value)
	q.Centring.Score = centringRange.score(q.Centring.Value)
	q.Colour.Score = colourRange.score(q.Colour.Value)
	if q.Faces.Value == 1 {
		q.Faces.Score = 100
	} else {
		q.Faces.Score = 0
	}

	w := Weights
	parts := [...]struct{ s, w float64 }{
		{q.Sharpness.Score, w.Sharpness},
		{q.LuminanceMean.Score, w.LuminanceMean},
		{q.LuminanceSpread.Score, w.LuminanceSpread},
		{q.UnderExposure.Score, w.UnderExposure},
		{q.OverExposure.Score, w.OverExposure},
		{q.InterEye.Score, w.InterEye},
		{q.Yaw.Score, w.Yaw},
		{q.Pitch.Score, w.Pitch},
		{q.Roll.Score, w.Roll},
		{q.FaceSize.Score, w.FaceSize},
		{q.Centring.Score, w.Centring},
	}
	// Weighted geometric mean with each score floored at 1: one very bad
	// measure pulls the whole score down hard without zeroing it.
	var logSum float64
	for _, p := range parts {
		logSum += p.w * math.Log(math.Max(1, p.s))
	}
	q.Score = math.Exp(logSum)
	if q.Faces.Score == 0 {
		q.Score = 0
	}
	q.Score = math.Round(q.Score*10) / 10
}

// Hint is advice a person in front of the camera can act on. The values are
// stable identifiers; the calling app turns them into sentences.
type Hint string

// Hints, in the order they are reported (most pressing first).
const (
	HintNoFace        Hint = "no_face"
	HintMultipleFaces Hint = "multiple_faces"
	HintNoColour      Hint = "no_colour"
	HintTooDark       Hint = "too_dark"
	HintTooBright     Hint = "too_bright"
	HintTooFar        Hint = "too_far"
	HintTooClose      Hint = "too_close"
	HintNotCentered   Hint = "not_centered"
	HintBlurry        Hint = "blurry"
	HintTurnToCamera  Hint = "turn_to_camera"
)

// Hints lists what the person should change, most pressing first, appended
// to dst[:0]. An empty list means nothing to correct.
func (q *Quality) Hints(dst []Hint) []Hint {
	dst = dst[:0]
	switch {
	case q.Faces.Value == 0:
		return append(dst, HintNoFace)
	case q.Faces.Value > 1:
		dst = append(dst, HintMultipleFaces)
	}
	// The camera, not the person: liveness cannot decide on these frames.
	if q.Colourless() {
		dst = append(dst, HintNoColour)
	}
	if q.LuminanceMean.Value < lumBand.Lo1 && q.LuminanceMean.Score < 60 || q.UnderExposure.Score < 50 {
		dst = append(dst, HintTooDark)
	} else if q.LuminanceMean.Value > lumBand.Hi1 && q.LuminanceMean.Score < 60 || q.OverExposure.Score < 50 {
		dst = append(dst, HintTooBright)
	}
	if q.FaceSize.Value < sizeBand.Lo1 || q.InterEye.Score < 50 {
		dst = append(dst, HintTooFar)
	} else if q.FaceSize.Value > sizeBand.Hi1 {
		dst = append(dst, HintTooClose)
	}
	if q.Centring.Score < 50 {
		dst = append(dst, HintNotCentered)
	}
	// Webcam faces of 100 px score 50-75 in Laplacian variance (sharpness
	// score 13-24) on the shared clips, and the person can do nothing about
	// the lens; the hint is for real smear (motion, focus): below 40.
	if q.Sharpness.Value < blurryBelow {
		dst = append(dst, HintBlurry)
	}
	if q.Yaw.Score < 50 || q.Pitch.Score < 50 || q.Roll.Score < 50 {
		dst = append(dst, HintTurnToCamera)
	}
	return dst
}
