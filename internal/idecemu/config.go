package idecemu

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/biogate/biogate/fingerprint"
)

// ErrInvalidConfig means a Config field is out of range; New wraps it.
var ErrInvalidConfig = errors.New("emulator: invalid config")

// Config configures New. Zero values take the documented defaults.
type Config struct {
	// Gallery is the folder of reference photos and their embeddings. It is
	// created (0700) when missing. Required.
	Gallery string
	// NameKeyFile holds the key of the gallery's file names (32 random
	// bytes as hex): the files of a person are named by the keyed hash of
	// the IIN, never by the IIN. Created (0600) when missing; "" means
	// NameKeyFile in Gallery. Every process using the gallery must use the
	// same key.
	NameKeyFile string
	// Threshold is the decision threshold on the reported similarity
	// (0..1, see Similarity): Similarity >= Threshold is a match. Zero means
	// DefaultThreshold.
	Threshold float64
	// FingerThreshold is the decision threshold of fingerprint
	// verifications on fingerprint.Compare's score (0 and up, not the
	// reported similarity): score >= FingerThreshold is a match, and
	// FingerSimilarity reports it as 0.5. Zero means
	// fingerprint.DefaultThreshold (FMR 1/10,000 by the matcher's
	// calibration).
	FingerThreshold float64
	// ModelDir is the folder holding the models ("" = models.Dir("")).
	ModelDir string
	// Faults makes verifications misbehave; the zero value injects none.
	Faults Faults
	// Logger receives what the server loaded and one line per request
	// (never a photo, never a whole IIN). Nil discards.
	Logger *slog.Logger
	// ReferenceSource is reported in every VerifyResponse; default
	// DefaultReferenceSource.
	ReferenceSource string
	// Matchers is how many face matchers (two detectors and an embedder each,
	// a few MB of model) run verifications in parallel; default 1, at most
	// 64. OpenCV already spreads one inference over the CPU's threads.
	// Fingerprint decoding, extraction and comparison take the same slots
	// (one at a time per slot), so Matchers and MaxPending bound all the
	// matching work, of faces and fingers together.
	Matchers int
	// MaxPending bounds the verifications and enrolments (of faces and
	// fingers) waiting for a matcher; beyond it the server answers 503
	// unavailable. Default 32.
	MaxPending int
	// IdempotencyEntries bounds the remembered request ids (least recently
	// used dropped first); default DefaultIdempotencyEntries.
	IdempotencyEntries int
	// MaxPhotoBytes bounds the decoded photo in a request; default
	// DefaultMaxPhotoBytes. A larger photo is 400 invalid_request.
	MaxPhotoBytes int
}

// Defaults for Config's zero fields.
const (
	// DefaultThreshold is 0.95 on the reported similarity, the value press
	// reports give for IDEC; Similarity maps cosine 0.35 there, the middle
	// of the measured gap between different people (cosine at most 0.15)
	// and the same person (at least 0.55).
	DefaultThreshold          = 0.95
	DefaultReferenceSource    = "identity_document_registry"
	DefaultMatchers           = 1
	DefaultMaxPending         = 32
	DefaultIdempotencyEntries = 10000
	DefaultMaxPhotoBytes      = 4 << 20
)

// Faults are injected into every verification (PathVerify and
// PathVerifyFinger; enrolment and health are never faulted, so test set-up
// and probes stay reliable).
// The same kinds can be asked per request with the X-Emulator-Fault header
// (see HeaderFault); the two combine.
//
// Before the request is processed: Latency delays it, then Status (or the
// ErrorRate draw) answers an ErrorResponse without processing it. After it
// is processed (and its answer recorded under its request id, so a retry
// gets the same answer, as from an IDEC whose reply was lost): Timeout
// holds the answer until the client gives up, else Reset drops the
// connection, else Malformed sends 200 with a broken JSON body.
type Faults struct {
	// Latency is added before each verification is processed.
	Latency time.Duration
	// ErrorRate is the fraction (0..1) of verifications answered with
	// Status (503 when Status is 0) instead of being processed.
	ErrorRate float64
	// Status, when not 0 and ErrorRate is 0, answers every verification
	// with this status (400-599) and the contract's code for it: 503 (and
	// 429) unavailable, other 5xx internal, 409 no_reference_photo
	// (no_reference_finger for a fingerprint), 404 unknown_iin, 422 no_face
	// (no_finger), other 4xx invalid_request.
	Status int
	// Timeout holds every answer until the client gives up (its context or
	// connection ends) or the server closes.
	Timeout bool
	// Malformed answers 200 with the JSON body cut in half.
	Malformed bool
	// Reset closes the connection (TCP reset where possible) without an
	// answer.
	Reset bool
	// Rand draws ErrorRate's numbers in [0, 1); nil uses math/rand/v2.
	// Calls are serialised, so it need not be safe for concurrent use.
	Rand func() float64
}

// Active reports whether f injects any fault.
func (f Faults) Active() bool {
	return f.Latency > 0 || f.ErrorRate > 0 || f.Status != 0 || f.Timeout || f.Malformed || f.Reset
}

// maxFaultLatency bounds a latency fault so a typo cannot park a
// goroutine for hours.
const maxFaultLatency = 10 * time.Minute

func (f Faults) validate() error {
	switch {
	case f.Latency < 0 || f.Latency > maxFaultLatency:
		return fmt.Errorf("%w: fault latency %v not in [0, %v]", ErrInvalidConfig, f.Latency, maxFaultLatency)
	case !(f.ErrorRate >= 0 && f.ErrorRate <= 1):
		return fmt.Errorf("%w: fault error rate %v not in [0, 1]", ErrInvalidConfig, f.ErrorRate)
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("%w: fault status %d not in [400, 599]", ErrInvalidConfig, f.Status)
	}
	return nil
}

func (c Config) withDefaults() (Config, error) {
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.FingerThreshold == 0 {
		c.FingerThreshold = fingerprint.DefaultThreshold
	}
	if c.ReferenceSource == "" {
		c.ReferenceSource = DefaultReferenceSource
	}
	if c.Matchers == 0 {
		c.Matchers = DefaultMatchers
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.IdempotencyEntries == 0 {
		c.IdempotencyEntries = DefaultIdempotencyEntries
	}
	if c.MaxPhotoBytes == 0 {
		c.MaxPhotoBytes = DefaultMaxPhotoBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case c.Gallery == "":
		return c, fmt.Errorf("%w: no gallery folder", ErrInvalidConfig)
	case !(c.Threshold > 0 && c.Threshold <= 1) || math.IsNaN(c.Threshold):
		return c, fmt.Errorf("%w: threshold %v not in (0, 1]", ErrInvalidConfig, c.Threshold)
	case !(c.FingerThreshold > 0) || math.IsInf(c.FingerThreshold, 1):
		return c, fmt.Errorf("%w: finger threshold %v not a positive score", ErrInvalidConfig, c.FingerThreshold)
	case c.Matchers < 1 || c.Matchers > 64:
		return c, fmt.Errorf("%w: matchers %d not in [1, 64]", ErrInvalidConfig, c.Matchers)
	case c.MaxPending < 1:
		return c, fmt.Errorf("%w: max pending %d below 1", ErrInvalidConfig, c.MaxPending)
	case c.IdempotencyEntries < 1:
		return c, fmt.Errorf("%w: idempotency entries %d below 1", ErrInvalidConfig, c.IdempotencyEntries)
	case c.MaxPhotoBytes < 1024:
		return c, fmt.Errorf("%w: max photo bytes %d below 1024", ErrInvalidConfig, c.MaxPhotoBytes)
	}
	return c, c.Faults.validate()
}
