package fingerprint

import (
	"fmt"
	"math"
)

// PPI is the resolution every Template is expressed in: an image of another
// resolution is rescaled to it before extraction (as SourceAFIS does), so
// templates from readers of different resolutions compare directly.
const PPI = 500

// MinutiaKind says what a minutia is.
type MinutiaKind uint8

const (
	// Ending: a ridge ends.
	Ending MinutiaKind = iota + 1
	// Bifurcation: a ridge splits in two.
	Bifurcation
	// OtherKind: a minutia of a kind a record did not name.
	OtherKind
)

func (k MinutiaKind) String() string {
	switch k {
	case Ending:
		return "ending"
	case Bifurcation:
		return "bifurcation"
	case OtherKind:
		return "other"
	}
	return fmt.Sprintf("MinutiaKind(%d)", int(k))
}

// Minutia is one ridge ending or bifurcation, at PPI.
type Minutia struct {
	// X and Y are pixels from the top-left corner, at PPI.
	X, Y int
	// Angle is the minutia's direction in radians, in [0, 2π), measured
	// counter-clockwise from the x axis as ISO/IEC 19794-2 measures it (the
	// image's y axis points down, so this is the angle a person sees on
	// the screen).
	Angle float64
	Kind  MinutiaKind
}

// Template is the features of one fingerprint impression that a comparison
// needs: its minutiae at PPI and the size of the (rescaled) image they came
// from. It is biometric data: never log it.
//
// A Template is immutable once made and safe for concurrent use.
type Template struct {
	// Width and Height are the image size at PPI.
	Width, Height int
	// Minutiae in the extractor's order (most reliable first).
	Minutiae []Minutia

	search *searchTemplate
}

// maxTemplateSide bounds a template's declared image size (at PPI): 2.5
// inches, far beyond any finger, so a forged record cannot make the
// matcher allocate for a giant image.
const maxTemplateSide = 1250

// maxMinutiae bounds a template's minutiae: a finger has under a hundred
// reliable ones (the extractor keeps at most 100); records may carry up to
// 255 per view.
const maxMinutiae = 255

// NewTemplate makes a Template from minutiae (from a record, say),
// validating them: the size within bounds, every minutia inside it, a known
// kind, a finite angle.
func NewTemplate(width, height int, minutiae []Minutia) (*Template, error) {
	if width <= 0 || height <= 0 || width > maxTemplateSide || height > maxTemplateSide {
		return nil, fmt.Errorf("%w: template size %dx%d (1..%d a side at %d ppi)", ErrTemplate, width, height, maxTemplateSide, PPI)
	}
	if len(minutiae) > maxMinutiae {
		return nil, fmt.Errorf("%w: %d minutiae, at most %d", ErrTemplate, len(minutiae), maxMinutiae)
	}
	ms := make([]Minutia, len(minutiae))
	for i, m := range minutiae {
		if m.X < 0 || m.Y < 0 || m.X >= width || m.Y >= height {
			return nil, fmt.Errorf("%w: minutia %d at (%d,%d) outside %dx%d", ErrTemplate, i, m.X, m.Y, width, height)
		}
		if math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0) {
			return nil, fmt.Errorf("%w: minutia %d has no angle", ErrTemplate, i)
		}
		if m.Kind < Ending || m.Kind > OtherKind {
			return nil, fmt.Errorf("%w: minutia %d of kind %d", ErrTemplate, i, m.Kind)
		}
		m.Angle = normaliseAngle(m.Angle)
		ms[i] = m
	}
	t := &Template{Width: width, Height: height, Minutiae: ms}
	t.search = newSearchTemplate(t)
	return t, nil
}

// normaliseAngle maps a to [0, 2π).
func normaliseAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	if a >= 2*math.Pi {
		a = 0
	}
	return a
}
