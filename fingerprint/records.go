package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint/record"
)

// ppcm is PPI in pixels per centimetre, as the records declare resolution
// (500 ppi is 196.85 px/cm, written 197).
const ppcm = 197

// MinutiaeRecord encodes t as a finger minutiae record of format
// (ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004) for finger position pos
// (0 unknown, 1-10), with the view's quality (0-100). Angles are
// quantised to the format's unit (1.40625° or 2°).
func (t *Template) MinutiaeRecord(format record.Format, pos int, quality int) ([]byte, error) {
	if pos < 0 || pos > 10 || quality < 0 || quality > 100 {
		return nil, fmt.Errorf("%w: finger position %d, quality %d", ErrTemplate, pos, quality)
	}
	view := record.FingerView{Position: record.FingerPosition(pos), Impression: record.LiveScanPlain, Quality: uint8(quality)}
	for _, m := range t.Minutiae {
		a, err := format.AngleFromDegrees(m.Angle * 180 / math.Pi)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
		}
		typ := record.OtherMinutia
		switch m.Kind {
		case Ending:
			typ = record.RidgeEnding
		case Bifurcation:
			typ = record.Bifurcation
		}
		// The extractor rates no minutia; 0 is "not reported" in ISO.
		view.Minutiae = append(view.Minutiae, record.Minutia{Type: typ, X: uint16(m.X), Y: uint16(m.Y), Angle: a})
	}
	rec := &record.MinutiaeRecord{Format: format, Width: uint16(t.Width), Height: uint16(t.Height),
		XResolution: ppcm, YResolution: ppcm, Views: []record.FingerView{view}}
	return rec.Encode(format)
}

// TemplateFromRecord reads the first finger view of a minutiae record
// (ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004, told apart by their
// headers) into a Template, rescaling positions from the record's
// resolution to PPI. Errors wrap ErrTemplate (and record.ErrFormat for a
// record that does not parse).
func TemplateFromRecord(b []byte) (*Template, error) {
	rec, format, err := record.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	if len(rec.Views) == 0 {
		return nil, fmt.Errorf("%w: the record has no finger view", ErrTemplate)
	}
	sx, sy := scale(rec.XResolution), scale(rec.YResolution)
	if sx == 0 || sy == 0 {
		return nil, fmt.Errorf("%w: resolution %dx%d px/cm", ErrTemplate, rec.XResolution, rec.YResolution)
	}
	w, h := int(math.Round(float64(rec.Width)*sx)), int(math.Round(float64(rec.Height)*sy))
	var ms []Minutia
	for _, m := range rec.Views[0].Minutiae {
		kind := OtherKind
		switch m.Type {
		case record.RidgeEnding:
			kind = Ending
		case record.Bifurcation:
			kind = Bifurcation
		}
		ms = append(ms, Minutia{X: min(int(float64(m.X)*sx), w-1), Y: min(int(float64(m.Y)*sy), h-1),
			Angle: m.AngleDegrees(format) * math.Pi / 180, Kind: kind})
	}
	return NewTemplate(w, h, ms)
}

// scale is the factor from a record's resolution (px/cm) to PPI; 0 for a
// resolution outside 100-1000 ppi.
func scale(res uint16) float64 {
	ppi := float64(res) * 2.54
	if ppi < 100 || ppi > 1000 {
		return 0
	}
	if res == ppcm {
		return 1
	}
	return PPI / ppi
}

// ImageRecord encodes img as an ISO/IEC 19794-4:2005 finger image record
// for finger position pos (1-10) with the image's quality (0-100), the
// image compressed with compression (record.WSQ at 0.75 bit per pixel, or
// record.PNG, lossless). The record declares img.PPI (PPI if 0).
func ImageRecord(img *devices.FingerprintImage, pos, quality int, compression record.Compression) ([]byte, error) {
	if err := checkImage(img); err != nil {
		return nil, err
	}
	ppi := img.PPI
	if ppi == 0 {
		ppi = PPI
	}
	var data bytes.Buffer
	switch compression {
	case record.PNG:
		if err := png.Encode(&data, img.Gray()); err != nil {
			return nil, err
		}
	case record.WSQ:
		if err := encodeWSQ(&data, img, ppi); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("fingerprint: image records are written with WSQ or PNG, not %v", compression)
	}
	rec := &record.ImageRecord{
		ScaleUnits: record.PixelsPerInch, ScanXResolution: uint16(ppi), ScanYResolution: uint16(ppi),
		XResolution: uint16(ppi), YResolution: uint16(ppi), PixelDepth: 8, Compression: compression,
		AcquisitionLevel: 31, // ISO/IEC 19794-4 setting level 31: 500 ppi, 8 bits
		Fingers: []record.FingerImage{{Position: record.FingerPosition(pos), ViewCount: 1, ViewNumber: 1,
			Quality: uint8(quality), Impression: record.LiveScanPlain, Width: uint16(img.Width), Height: uint16(img.Height),
			Data: data.Bytes()}},
	}
	return rec.Encode()
}

// ErrCompression: an image record's compression is one this package does
// not decode (JPEG 2000, bit-packed).
var ErrCompression = errors.New("fingerprint: unsupported image record compression")

// DecodeImageRecord reads the first finger image of an ISO/IEC
// 19794-4:2005 record: uncompressed 8-bit, WSQ, PNG or JPEG. Its PPI is the
// record's horizontal image resolution.
func DecodeImageRecord(b []byte) (*devices.FingerprintImage, error) {
	rec, err := record.DecodeImage(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	if len(rec.Fingers) == 0 {
		return nil, fmt.Errorf("%w: the record has no finger image", ErrInvalidImage)
	}
	f := rec.Fingers[0]
	ppi := int(rec.XResolution)
	if rec.ScaleUnits == record.PixelsPerCentimetre {
		ppi = int(math.Round(float64(rec.XResolution) * 2.54))
	}
	var img *devices.FingerprintImage
	switch rec.Compression {
	case record.Uncompressed:
		if rec.PixelDepth != 8 {
			return nil, fmt.Errorf("%w: %d-bit uncompressed", ErrCompression, rec.PixelDepth)
		}
		img = &devices.FingerprintImage{Width: int(f.Width), Height: int(f.Height), Pix: bytes.Clone(f.Data)}
	case record.WSQ, record.PNG, record.JPEG:
		if img, err = DecodeImage(bytes.NewReader(f.Data)); err != nil {
			return nil, err
		}
		if img.Width != int(f.Width) || img.Height != int(f.Height) {
			return nil, fmt.Errorf("%w: the %v image is %dx%d, the record says %dx%d", ErrInvalidImage, rec.Compression, img.Width, img.Height, f.Width, f.Height)
		}
	default:
		return nil, fmt.Errorf("%w: %v", ErrCompression, rec.Compression)
	}
	if err := checkImage(img); err != nil {
		return nil, err
	}
	img.PPI = ppi
	return img, nil
}
