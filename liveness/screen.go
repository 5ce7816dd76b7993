package liveness

// The screen-replay cue: specular glare on the face.
//
// Why: a phone or tablet shows the face behind glass, and the glass mirrors
// the room's lights as blobs that clip the camera's sensor to white. Skin
// reflects lights too, but diffusely and in small spots, so a live face has
// few clipped pixels. (A glossy photo print mirrors lights as well; the
// cue does not care which medium it is.)
//
// Measured on the inner face (see innerFace), as the fraction of pixels
// whose brightest channel is at least glareValue and whose saturation
// (max-min)/max is below glareMaxSat. Shared data: the tablet replay
// (pad/image_F2) 0.144; every genuine face at most 0.037 (a studio portrait
// with a forehead highlight), the genuine clips at most 0.005 (session
// medians); the phone replay in the minivision clip 0.001 (it shows no
// glare: this cue does not catch it).

const (
	// glareValue: a channel at or above this is clipped or nearly so.
	glareValue = 230
	// glareMaxSat: below this saturation (in 1/255) a pixel is colourless;
	// skin near clipping keeps a tint, a mirrored lamp does not.
	glareMaxSat = 50
)

// screenCurve maps the glare fraction to the cue: up to 8 % says nothing
// (the conservative curve of ConservativeCurves: 1.5 times the most any
// genuine frame showed, 3.7 %, plus 2 %); 16 % and more is strong evidence
// of a screen (0.1). It never exceeds 0.5: no glare is no evidence of
// live. Held out (pad-eval's cross-validation) no source needs it:
// MiniFASNet alone rejects every shared attack; it stays in the fusion for
// attacks that fool MiniFASNet, where the glare is far beyond a genuine
// face's.
var screenCurve = Curve{{0.08, 0.5}, {0.16, 0.1}}

// screenCue returns the screen cue for a glare fraction.
func screenCue(glare float64) float64 { return screenCurve.At(glare) }

// glareFraction returns the fraction of clipped, colourless pixels in px
// (packed BGR).
func glareFraction(px []byte) float64 {
	n := len(px) / 3
	if n == 0 {
		return 0
	}
	clipped := 0
	for i := 0; i+2 < len(px); i += 3 {
		b, g, r := int(px[i]), int(px[i+1]), int(px[i+2])
		hi, lo := max(b, g, r), min(b, g, r)
		// (hi-lo)/hi < glareMaxSat/255, without division.
		if hi >= glareValue && (hi-lo)*255 < glareMaxSat*hi {
			clipped++
		}
	}
	return float64(clipped) / float64(n)
}

// screenGlare is the screen cue as a FrameCue.
type screenGlare struct{ weight float64 }

func (c screenGlare) Name() string    { return CueScreen }
func (c screenGlare) Weight() float64 { return c.weight }

// ScoreFrame returns screenCue of the face's glare, 0.5 (neutral) when too
// little of the face is in the image.
func (c screenGlare) ScoreFrame(f *CueFrame) (float64, error) {
	m, ok := f.stillMeasures()
	if !ok {
		return 0.5, nil
	}
	return screenCue(m.Glare), nil
}
