package liveness

// The print cue: chroma lost in reproduction.
//
// Why: a print's inks (and a screen's primaries) cover a smaller colour
// gamut than a lit face, paper adds white, and re-capturing the copy with
// a camera desaturates it again; so the face of a presented copy carries
// less chroma than the same camera sees on skin.
//
// Measured on the inner face (see innerFace) as the mean chroma magnitude
// sqrt((Cr-128)^2 + (Cb-128)^2) in OpenCV's 8-bit YCrCb, which does not
// depend on brightness. Shared data (session medians, lowest frame in
// brackets): printed photos 10.7 (7.7) in the minivision clip and 13.4
// (pad/image_F1); the tablet replay pad/image_F2 11.0, the phone replay
// 17.1 (15.3); genuine faces 18.2 (17.5) for Intel's grey, dim head turn,
// 19.5 (15.6) for the genuine part of the minivision clip, 22-43 for the
// other photos and clips.
//
// Not confident, so not counted (DefaultFusionWeights.Print is 0): real
// cameras make genuine faces as grey as any print. Desaturated by a colour
// grade to 30 % (pad-eval --transform desaturate), genuine faces measure
// 6-13; a monochrome camera gives 0. The cue, counted, rejected 16 of 16
// genuine presentations in greyscale and 2 of 16 desaturated that
// MiniFASNet alone rejected 12 and 0 of; on presentations the project had
// never seen, a colour-graded photo of a real person measured about 6
// against 13.7 for a printed attack (issue 15). It is reported in results
// and pad-eval so that its evidence can be watched, and its curve is the
// conservative one (ConservativeCurves of every shared source): neutral
// down to 0.7 of the lowest genuine frame's chroma.

// printCurve maps chroma to the cue: neutral (0.5) from 11 up (0.7 x 15.6,
// the lowest genuine frame), down to 0.1 at 5.5; never above 0.5.
var printCurve = Curve{{5.5, 0.1}, {11, 0.5}}

// printCue returns the print cue for a mean chroma.
func printCue(chroma float64) float64 { return printCurve.At(chroma) }

// printChroma is the print cue as a FrameCue.
type printChroma struct{ weight float64 }

func (c printChroma) Name() string    { return CuePrint }
func (c printChroma) Weight() float64 { return c.weight }

// ScoreFrame returns printCue of the face's chroma, 0.5 (neutral) when too
// little of the face is in the image.
func (c printChroma) ScoreFrame(f *CueFrame) (float64, error) {
	m, ok := f.stillMeasures()
	if !ok {
		return 0.5, nil
	}
	return printCue(m.Chroma), nil
}
