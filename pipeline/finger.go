package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway"
)

// Fingers implements gateway.FingerPipeline over package fingerprint: it
// assesses each image, keeps those good enough to match (a finger, the
// minimum quality, enough minutiae), and sends the best kept as an ISO/IEC
// 19794-4 record with its image WSQ-compressed. It holds no state: one
// value serves every session.
type Fingers struct{}

var _ gateway.FingerPipeline = Fingers{}

// minMinutiae is the fewest minutiae an impression is kept with: below it
// a comparison has too little to go on. It is low because small sensors
// give few: the four replayed USB readers' captures (6.5-13 mm across)
// keep 6 to 19 once enhanced, where the FVC2002 prints keep 18-35 on
// average. Few minutiae mostly cost matches: the matcher's score grows
// with the minutiae and neighbourhoods that agree, so a sparse template
// scores low against everyone, its own finger too.
const minMinutiae = 6

// impression is one kept image.
type impression struct {
	img      *devices.FingerprintImage
	quality  fingerprint.Quality
	template *fingerprint.Template
}

// Run implements gateway.FingerPipeline.
func (Fingers) Run(ctx context.Context, r devices.FingerprintReader, opt gateway.FingerOptions, ev gateway.FingerEvents) (gateway.FingerOutcome, error) {
	var (
		best            *impression
		kept, rejected  int
		rejectedInARow  int
		count, position = opt.Impressions, opt.Position.Code()
	)
	for kept < count {
		n := kept + 1
		ev.Place(n, count)
		cctx, cancel := context.WithTimeout(ctx, opt.IdleTimeout)
		img, err := r.Capture(cctx, devices.OnFinger(func(e devices.FingerEvent) {
			if e == devices.FingerPresent {
				ev.Lift(n, count)
			}
		}))
		cancel()
		var q fingerprint.Quality
		var t *fingerprint.Template
		switch {
		case ctx.Err() != nil:
			return gateway.FingerOutcome{}, fmt.Errorf("pipeline: finger: %w", ctx.Err())
		case errors.Is(err, devices.ErrEndOfStream) && best != nil:
			count = kept // a folder ran out: send the best kept
			continue
		case errors.Is(err, devices.ErrBadFrame):
			// An image the reader could not make (a folder's undecodable
			// file, a swipe too short): ask again.
			q.Hint = fingerprint.HintNoFinger
		case err != nil:
			return gateway.FingerOutcome{}, fmt.Errorf("pipeline: finger: %w", err)
		default:
			q, t = assess(img)
		}
		if t == nil || q.Score < opt.MinQuality {
			rejected++
			rejectedInARow++
			ev.Rejected(n, count, q.Score, string(q.Hint))
			if rejectedInARow >= gateway.MaxRejects {
				return gateway.FingerOutcome{}, gateway.ErrNoUsableFinger
			}
			continue
		}
		rejectedInARow = 0
		kept++
		ev.Captured(n, count, q.Score, string(q.Hint))
		if best == nil || q.Score > best.quality.Score {
			best = &impression{img: img, quality: q, template: t}
		}
	}
	rec, err := fingerprint.ImageRecord(best.img, position, best.quality.Score, record.WSQ)
	if err != nil {
		return gateway.FingerOutcome{}, fmt.Errorf("pipeline: finger image record: %w", err)
	}
	tmpl, err := best.template.MinutiaeRecord(record.ISO19794_2_2005, position, best.quality.Score)
	if err != nil {
		return gateway.FingerOutcome{}, fmt.Errorf("pipeline: finger template: %w", err)
	}
	sum := sha256.Sum256(tmpl)
	return gateway.FingerOutcome{
		Record: rec, Width: best.img.Width, Height: best.img.Height, Quality: best.quality.Score,
		TemplateSHA256: hex.EncodeToString(sum[:]), Impressions: kept, Rejected: rejected,
		CapturedAt: best.img.Time, Reader: r.Info().Backend,
	}, nil
}

// assess rates img and extracts its template; the template is nil when
// the image shows no finger or too few minutiae to match (then the
// quality's hint says why, or dry_or_wet: ridges the extractor could not
// follow).
func assess(img *devices.FingerprintImage) (fingerprint.Quality, *fingerprint.Template) {
	q, err := fingerprint.Assess(img, fingerprint.QualityConfig{})
	if err != nil {
		return fingerprint.Quality{Hint: fingerprint.HintNoFinger}, nil
	}
	if q.Hint == fingerprint.HintNoFinger {
		return q, nil
	}
	t, err := fingerprint.Extract(img)
	if err != nil || len(t.Minutiae) < minMinutiae {
		if q.Hint == fingerprint.HintNone {
			q.Hint = fingerprint.HintDryOrWet
		}
		return q, nil
	}
	return q, t
}
