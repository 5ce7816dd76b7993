package idec

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/outcome"
)

// Request is one verification. The client reads Photo during Verify and
// keeps no reference to it afterwards; Photo is biometric data and is
// never logged.
type Request struct {
	// IIN of the person; required.
	IIN iin.IIN
	// BIN of the requesting organisation; required.
	BIN iin.BIN
	// ConsentRef identifies the person's recorded consent; required, at
	// most MaxConsentRef bytes.
	ConsentRef string
	// Photo is the JPEG of the face (the token-frontal crop); required
	// unless Finger is set.
	Photo []byte
	// Finger is a fingerprint to verify instead of a face; nil for a
	// face. Its record is biometric data like Photo.
	Finger *Finger
	// Capture describes the capture; Quality must be within 0-100.
	Capture CaptureMeta
}

// MaxConsentRef bounds Request.ConsentRef, in bytes.
const MaxConsentRef = 256

// Finger is a fingerprint sample for IDEC to compare with the fingerprint
// it holds of that finger: a standard record, of the image or of its
// minutiae (IDEC may accept either; the gateway sends the image unless
// configured otherwise).
type Finger struct {
	// Position is the finger, as ISO/IEC 19794 numbers it: 1 right thumb,
	// 2 right index, ... 6 left thumb, ... 10 left little.
	Position int
	// Format is FormatFingerImage or FormatFingerMinutiae.
	Format string
	// Record is the ISO/IEC 19794-4 or 19794-2 record.
	Record []byte
}

// Fingerprint sample formats.
const (
	// FormatFingerImage: an ISO/IEC 19794-4:2005 finger image record
	// ("FIR"), the image WSQ-compressed.
	FormatFingerImage = "iso19794-4"
	// FormatFingerMinutiae: an ISO/IEC 19794-2:2005 finger minutiae
	// record ("FMR").
	FormatFingerMinutiae = "iso19794-2"
)

// MaxFingerRecord bounds Finger.Record: an uncompressed 1,000 ppi image
// of a whole finger fits; a WSQ one is some 30 KiB.
const MaxFingerRecord = 2 << 20

// validate checks a Finger's shape (not its content: IDEC decodes it).
func (f *Finger) validate() error {
	magic := map[string]string{FormatFingerImage: "FIR\x00", FormatFingerMinutiae: "FMR\x00"}
	m, ok := magic[f.Format]
	switch {
	case f.Position < 1 || f.Position > 10:
		return fmt.Errorf("finger position %d outside 1-10", f.Position)
	case !ok:
		return fmt.Errorf("fingerprint format %q is not %s or %s", f.Format, FormatFingerImage, FormatFingerMinutiae)
	case len(f.Record) > MaxFingerRecord:
		return fmt.Errorf("fingerprint record longer than %d bytes", MaxFingerRecord)
	case !bytes.HasPrefix(f.Record, []byte(m)):
		return fmt.Errorf("fingerprint record is not an %s record", f.Format)
	}
	return nil
}

// CaptureMeta is what the gateway tells IDEC about the capture.
type CaptureMeta struct {
	// Time the frame was captured.
	Time time.Time
	// Quality is the capture loop's unified quality score, 0-100.
	Quality float64
	// Liveness is the liveness verdict ("live"), for IDEC's audit.
	Liveness outcome.Liveness
	// DeviceID names the gateway and camera that took the photo.
	DeviceID string
}

// Decisions of a Result.
const (
	DecisionMatch   = "match"
	DecisionNoMatch = "no_match"
)

// Result is IDEC's decision. A no-match is a Result with Match false, not
// an error.
type Result struct {
	// Match is true when IDEC decided DecisionMatch.
	Match bool
	// Similarity of the live face and the reference photo, 0-1.
	Similarity float64
	// Decision is DecisionMatch or DecisionNoMatch.
	Decision string
	// ReferenceSource says where IDEC's reference photo came from.
	ReferenceSource string
	// IDECRequestID is IDEC's id of the verification, for audit.
	IDECRequestID string
	// RequestID is the client's id of the verification, sent on every
	// attempt (the idempotency key).
	RequestID string
	// Time IDEC decided.
	Time time.Time
}

// Transport carries single attempts of a verification to IDEC; a Client
// adds the request id, validation, retries, backoff, the deadline, the
// in-flight cap, the circuit breaker, metrics and logs around it. The HTTP
// transport of the assumed contract is idec/idechttp. A Transport is safe
// for concurrent use.
type Transport interface {
	// Send makes one attempt at having IDEC decide req, under the request
	// id id (the same on every attempt of a verification). ctx is the
	// call's: its end is the caller giving up or the call's deadline; the
	// attempt itself gets at most timeout. Send blocks until the attempt
	// ends. It reads req.Photo only during the call.
	Send(ctx context.Context, id string, req Request, timeout time.Duration) Attempt
	// Close releases idle resources (connections); the transport stays
	// usable.
	Close()
}

// Attempt is how one attempt ended.
type Attempt struct {
	// Result is IDEC's decision, when Err is nil; RequestID is the id.
	Result Result
	// Err is why the attempt failed: Kind, RequestID and what was read
	// (Status, Code, IDECRequestID, Message, Err) are set; the Client sets
	// Attempts. ContextError makes the error of a ctx that ended.
	Err *Error
	// Retry says whether another attempt is safe (it cannot duplicate a
	// decision the caller saw) and useful.
	Retry bool
	// Health is what the attempt says of IDEC's health, for the circuit
	// breaker.
	Health Health
}

// Health is what one attempt says of IDEC's health, for the circuit
// breaker.
type Health int

// Healths of an Attempt.
const (
	// Healthy: IDEC answered (any decision, any 4xx).
	Healthy Health = iota
	// Failing: IDEC was unreachable, unavailable or too slow.
	Failing
	// NoEvidence: nothing either way (the caller gave up).
	NoEvidence
)
