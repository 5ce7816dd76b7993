package fingerprint

import (
	"errors"
	"fmt"

	"github.com/biogate/biogate/devices"
)

// ErrExtract: no template could be made from an image (invalid input, or
// the extractor failed on it). A print too poor to use is not an error: it
// gives a Template with few or no minutiae and a low quality.
var ErrExtract = errors.New("fingerprint: cannot extract a template")

// ErrTemplate: a template is invalid (a record's size or minutiae out of
// bounds) or could not be compared.
var ErrTemplate = errors.New("fingerprint: invalid template")

// Score thresholds on the matcher's scale, with the false match rate each
// gives according to the SourceAFIS calibration (its authors' measurement
// on their own data, not ours): a threshold is chosen by the FMR a
// deployment accepts, never by fitting it to a test set.
const (
	// ThresholdFMR100: 1 false match in 100 impostor comparisons.
	ThresholdFMR100 = 18.22
	// ThresholdFMR1000: 1 in 1,000.
	ThresholdFMR1000 = 22.39
	// ThresholdFMR10000: 1 in 10,000.
	ThresholdFMR10000 = 27.24
)

// DefaultThreshold is the score at or above which two impressions are
// called the same finger: FMR 1/10,000 by the library's calibration, the
// rate a bank's 1:1 verification is held to (FIDO's biometric requirement
// for FMR is the same).
const DefaultThreshold = ThresholdFMR10000

// EnhanceBelowQuality is the quality score under which Extract enhances a
// print (Enhance) before finding its minutiae: chosen leave-one-set-out
// on the shared FVC2002 sets (the held-out sets chose 70 or 80; see
// Enhance for the figures). A clear print gains nothing from enhancement
// and may lose minutiae to it.
const EnhanceBelowQuality = 80

// Extract finds the minutiae of img. An image whose PPI is not PPI (0
// means PPI) is rescaled to it first; a print of quality under
// EnhanceBelowQuality is enhanced first. Minutiae outside the finger's
// foreground (Segment, with its defaults) are dropped: the extractor's own
// mask lets some of a noisy sensor's background through, and what it finds
// there is noise (on FVC2002 DB3 this took the EER from 10.0 % to 7.6 %
// before enhancement; the other shared sets did not change).
func Extract(img *devices.FingerprintImage) (*Template, error) {
	if err := checkImage(img); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	ppi := img.PPI
	if ppi == 0 {
		ppi = PPI
	}
	if ppi < 250 || ppi > 2000 {
		return nil, fmt.Errorf("%w: resolution %d ppi (250..2000)", ErrExtract, ppi)
	}
	mask, err := Segment(img, SegmentConfig{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	src := img
	if scoreOf(measure(img, mask), defaultCurves) < EnhanceBelowQuality {
		src = enhance(img, mask)
	}
	t, err := extract(src, ppi)
	if err != nil {
		return nil, err
	}
	s := float64(ppi) / PPI
	kept := t.Minutiae[:0:0]
	for _, m := range t.Minutiae {
		if mask.At(int(float64(m.X)*s), int(float64(m.Y)*s)) {
			kept = append(kept, m)
		}
	}
	if len(kept) == len(t.Minutiae) {
		return t, nil
	}
	return NewTemplate(t.Width, t.Height, kept)
}

// Compare scores two templates of one finger position: 0 when nothing
// corresponds, higher the more minutiae and their neighbourhoods agree.
// The score is symmetric: the mean of the matcher's score both ways, so
// enrolment and probe can be swapped (the library's one-way score differs
// by a few points between directions).
func Compare(a, b *Template) (float64, error) {
	if a == nil || b == nil || a.search == nil || b.search == nil {
		return 0, fmt.Errorf("%w: a template was not made by Extract or NewTemplate", ErrTemplate)
	}
	ab, err := compare(a, b)
	if err != nil {
		return 0, err
	}
	ba, err := compare(b, a)
	if err != nil {
		return 0, err
	}
	return (ab + ba) / 2, nil
}

// maxImageSide bounds an image's width and height: 4096 pixels is 8 inches
// at 500 ppi, beyond any reader.
const maxImageSide = 4096

// checkImage validates a FingerprintImage's shape.
func checkImage(img *devices.FingerprintImage) error {
	switch {
	case img == nil:
		return fmt.Errorf("%w: no image", ErrInvalidImage)
	case img.Width <= 0 || img.Height <= 0:
		return fmt.Errorf("%w: size %dx%d", ErrInvalidImage, img.Width, img.Height)
	case img.Width > maxImageSide || img.Height > maxImageSide:
		return fmt.Errorf("%w: size %dx%d, larger than %d a side", ErrInvalidImage, img.Width, img.Height, maxImageSide)
	case len(img.Pix) != img.Width*img.Height:
		return fmt.Errorf("%w: %d grey levels for a %dx%d image", ErrInvalidImage, len(img.Pix), img.Width, img.Height)
	}
	return nil
}
