package idecemu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	fprecord "github.com/biogate/biogate/fingerprint/record" // as "record" is the photo record type
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
)

// Errors of EnrollFinger and EnrollFingerImage, for errors.Is. The HTTP API
// answers them with the contract's codes.
var (
	// ErrBadFinger: the fingerprint sample is not usable as given: a
	// position outside 1-10, a format other than the contract's two, a
	// record that does not parse as its format (or is too large), an image
	// that cannot be processed (400 invalid_request).
	ErrBadFinger = errors.New("emulator: fingerprint sample not usable")
	// ErrNoFinger: the sample holds no usable fingerprint: a blank image,
	// or no minutiae (422 no_finger).
	ErrNoFinger = errors.New("emulator: no fingerprint in the sample")
)

// FingerSimilarity maps a fingerprint comparison score (fingerprint.Compare:
// 0 when nothing corresponds, higher the more does) onto the reported
// similarity, 0..1, as
//
//	1 - 2^(-score/threshold)
//
// 0 for a score of 0, 0.5 at the threshold, 0.75 at twice it, 0.875 at
// three times, approaching 1. It is increasing, so similarity >= 0.5
// exactly when score >= threshold: the decision reads the same from either.
// The matcher's score has no upper bound and no probabilistic meaning, so
// this is a presentation of it, not a calibration. threshold must be
// positive; a negative or NaN score maps to 0.
func FingerSimilarity(score, threshold float64) float64 {
	if !(score > 0) {
		return 0
	}
	return 1 - math.Exp2(-score/threshold)
}

// fingerSample is an idechttp.FingerSample whose shape and record
// structure were checked (checkSample); decoding its image and extracting
// its minutiae is left to template, which is the CPU work.
type fingerSample struct {
	pos    int
	format string
	rec    []byte
	// quality is a minutiae record's view quality (0-100), kept when the
	// sample is enrolled.
	quality int
}

// checkSample checks the position, the format and that the record parses
// as a record of that format (only the record's structure: cheap, and
// bounded by idec.MaxFingerRecord). Errors wrap ErrBadFinger and are for
// the client: they name fields and counts, never biometric data.
func checkSample(s idechttp.FingerSample) (fingerSample, error) {
	fs := fingerSample{pos: s.Position, format: s.Format, rec: s.Record}
	switch {
	case s.Position < 1 || s.Position > 10:
		return fs, fmt.Errorf("%w: finger.position %d is not in 1-10", ErrBadFinger, s.Position)
	case s.Format != idec.FormatFingerImage && s.Format != idec.FormatFingerMinutiae:
		return fs, fmt.Errorf("%w: finger.format is not %s or %s", ErrBadFinger, idec.FormatFingerImage, idec.FormatFingerMinutiae)
	case len(s.Record) == 0:
		return fs, fmt.Errorf("%w: finger.record is missing", ErrBadFinger)
	case len(s.Record) > idec.MaxFingerRecord:
		return fs, fmt.Errorf("%w: finger.record is larger than %d bytes", ErrBadFinger, idec.MaxFingerRecord)
	}
	if s.Format == idec.FormatFingerImage {
		rec, err := fprecord.DecodeImage(s.Record)
		if err != nil {
			return fs, fmt.Errorf("%w: finger.record is not an ISO/IEC 19794-4 finger image record: %s", ErrBadFinger, problem(err))
		}
		if len(rec.Fingers) == 0 {
			return fs, fmt.Errorf("%w: finger.record holds no finger image", ErrBadFinger)
		}
		return fs, nil
	}
	// ANSI INCITS 378 shares the magic but not the header: strict here, as
	// the contract names ISO/IEC 19794-2 only.
	rec, err := fprecord.DecodeISO19794_2(s.Record)
	if err != nil {
		return fs, fmt.Errorf("%w: finger.record is not an ISO/IEC 19794-2 finger minutiae record: %s", ErrBadFinger, problem(err))
	}
	if len(rec.Views) == 0 {
		return fs, fmt.Errorf("%w: finger.record holds no finger view", ErrBadFinger)
	}
	fs.quality = int(rec.Views[0].Quality)
	return fs, nil
}

// problem is err, from the record codec or package fingerprint, for the
// client: without the packages' prefixes. Their errors name fields,
// indexes, counts and sizes, never minutiae or pixels.
func problem(err error) string {
	msg := err.Error()
	for _, p := range []string{fprecord.ErrFormat.Error() + ": ", fprecord.ErrInvalid.Error() + ": ", "fingerprint: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// template decodes the sample and makes its template: an image record is
// decoded, assessed (a blank image is ErrNoFinger) and its minutiae
// extracted; a minutiae record is read as it is. A template without
// minutiae is ErrNoFinger. It is the CPU-heavy part of a fingerprint
// request (tens of milliseconds for an image): run it in the pool.
func (fs fingerSample) template() (t *fingerprint.Template, quality int, err error) {
	if fs.format == idec.FormatFingerImage {
		img, err := fingerprint.DecodeImageRecord(fs.rec)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: finger.record: %s", ErrBadFinger, problem(err))
		}
		return imageTemplate(img)
	}
	t, err = fingerprint.TemplateFromRecord(fs.rec)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: finger.record: %s", ErrBadFinger, problem(err))
	}
	if len(t.Minutiae) == 0 {
		return nil, 0, fmt.Errorf("%w: the record holds no minutiae", ErrNoFinger)
	}
	return t, fs.quality, nil
}

// imageTemplate assesses img and extracts its template; quality is the
// assessment's score. Errors wrap ErrBadFinger or ErrNoFinger.
func imageTemplate(img *devices.FingerprintImage) (t *fingerprint.Template, quality int, err error) {
	q, err := fingerprint.Assess(img, fingerprint.QualityConfig{})
	if err != nil {
		return nil, 0, fmt.Errorf("%w: finger image: %s", ErrBadFinger, problem(err))
	}
	if q.Hint == fingerprint.HintNoFinger {
		return nil, 0, fmt.Errorf("%w: blank image", ErrNoFinger)
	}
	t, err = fingerprint.Extract(img)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: finger image: %s", ErrBadFinger, problem(err))
	}
	if len(t.Minutiae) == 0 {
		return nil, 0, fmt.Errorf("%w: no minutiae found", ErrNoFinger)
	}
	return t, q.Score, nil
}

// EnrollFinger puts the fingerprint in sample (an ISO/IEC 19794-4 image
// record or an ISO/IEC 19794-2 minutiae record, as in a verification) into
// the gallery as the reference of finger sample.Position of the IIN id,
// replacing any earlier one; the person's photo and other fingers stay.
// What is kept is the template (see the package comment's Gallery), not
// the sample. Errors wrap ErrInvalidIIN, ErrBadFinger, ErrNoFinger, ErrBusy
// or ErrClosed, ctx's error, or are failures to write. Blocks for the
// extraction (tens of milliseconds for an image, in a matcher's slot) and
// the write; sample.Record is not retained. Safe for concurrent use, also
// with another process enrolling into the same folder.
func (s *Server) EnrollFinger(ctx context.Context, id string, sample idechttp.FingerSample) error {
	if _, err := iin.Parse(id); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidIIN, err)
	}
	fs, err := checkSample(sample)
	if err != nil {
		return err
	}
	return s.enrollFinger(ctx, id, fs.pos, fs.template)
}

// EnrollFingerImage is EnrollFinger for a fingerprint image (as
// fingerprint.ReadImage gives it; PPI 0 means 500) of finger pos (1-10).
// img is only read during the call.
func (s *Server) EnrollFingerImage(ctx context.Context, id string, pos int, img *devices.FingerprintImage) error {
	if _, err := iin.Parse(id); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidIIN, err)
	}
	if pos < 1 || pos > 10 {
		return fmt.Errorf("%w: finger position %d is not in 1-10", ErrBadFinger, pos)
	}
	return s.enrollFinger(ctx, id, pos, func() (*fingerprint.Template, int, error) { return imageTemplate(img) })
}

// enrollFinger makes the template with extract in a matcher's slot and stores
// it as finger pos of the valid IIN id.
func (s *Server) enrollFinger(ctx context.Context, id string, pos int, extract func() (*fingerprint.Template, int, error)) error {
	if !s.enter() {
		return ErrClosed
	}
	defer s.inflight.Done()
	var t *fingerprint.Template
	var quality int
	err := s.pool.do(ctx, s.closing, func(*matcher) error {
		var err error
		t, quality, err = extract()
		return err
	})
	if err != nil {
		return err
	}
	return s.gallery.storeFinger(id, pos, t, quality)
}

// matchFinger compares the request's fingerprint with the IIN's reference
// of that finger.
func (s *Server) matchFinger(ctx context.Context, req *idechttp.FingerVerifyRequest, fs fingerSample) (*answer, string) {
	id := newUUID()
	ref, err := s.gallery.lookupFinger(req.IIN, fs.pos)
	switch {
	case errors.Is(err, errUnknown):
		return errorAnswer(http.StatusNotFound, idechttp.CodeUnknownIIN, "no person with this IIN", id), idechttp.CodeUnknownIIN
	case errors.Is(err, errNoReference):
		return errorAnswer(http.StatusConflict, idechttp.CodeNoReferenceFinger, "the person has no reference fingerprint of this finger", id), idechttp.CodeNoReferenceFinger
	case errors.Is(err, errUnusable):
		s.log.Warn("reference fingerprint unusable", "idec_request_id", id, "iin", maskIIN(req.IIN), "position", fs.pos, "err", err)
		return errorAnswer(http.StatusConflict, idechttp.CodeNoReferenceFinger, "the person has no usable reference fingerprint of this finger", id), idechttp.CodeNoReferenceFinger
	case err != nil:
		return s.internal(id, err)
	}
	var score float64
	err = s.pool.do(ctx, s.closing, func(*matcher) error {
		probe, _, err := fs.template()
		if err != nil {
			return err
		}
		if score, err = fingerprint.Compare(probe, ref); err != nil {
			return fmt.Errorf("emulator: comparing fingerprints: %w", err)
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrBadFinger):
		return errorAnswer(http.StatusBadRequest, idechttp.CodeInvalidRequest, strings.TrimPrefix(err.Error(), ErrBadFinger.Error()+": "), id), idechttp.CodeInvalidRequest
	case errors.Is(err, ErrNoFinger):
		return errorAnswer(http.StatusUnprocessableEntity, idechttp.CodeNoFinger, "no usable fingerprint in the sample; capture again", id), idechttp.CodeNoFinger
	case errors.Is(err, ErrBusy), errors.Is(err, ErrClosed):
		return errorAnswer(http.StatusServiceUnavailable, idechttp.CodeUnavailable, "IDEC is busy; retry later", id), idechttp.CodeUnavailable
	case ctx.Err() != nil:
		return nil, "client gone"
	case err != nil:
		return s.internal(id, err)
	}
	decision := idechttp.DecisionNoMatch
	if score >= s.cfg.FingerThreshold {
		decision = idechttp.DecisionMatch
	}
	return s.decided(id, req.RequestID, FingerSimilarity(score, s.cfg.FingerThreshold), decision, time.Now())
}
