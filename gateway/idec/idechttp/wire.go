package idechttp

import (
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

// The wire types of the assumed IDEC contract. openapi.json beside this file
// is the contract's one written description; these types and it change
// together, and nothing outside this package and the emulator knows the
// wire format.

// Paths of the contract.
const (
	// PathVerify takes a VerifyRequest and answers a VerifyResponse (200) or
	// an ErrorResponse.
	PathVerify = "/v1/verify"
	// PathVerifyFinger takes a FingerVerifyRequest and answers as
	// PathVerify does.
	PathVerifyFinger = "/v1/verify/finger"
	// PathEnroll is the emulator's admin endpoint (not part of the real
	// IDEC): it takes an EnrollRequest and answers 204.
	PathEnroll = "/admin/v1/enroll"
	// PathEnrollFinger is the emulator's admin endpoint for fingerprints:
	// it takes a FingerEnrollRequest and answers 204.
	PathEnrollFinger = "/admin/v1/enroll/finger"
	// PathHealth answers 200 while the service accepts requests.
	PathHealth = "/healthz"
)

// HeaderRequestID carries the caller's request id (the idempotency key) on
// every attempt of one request; the body repeats it.
const HeaderRequestID = "X-Request-ID"

// VerifyRequest asks IDEC to compare a live face with the state's reference
// photo of the person with that IIN. Photo is biometric data: never log it.
type VerifyRequest struct {
	// RequestID is the caller's idempotency key: the same on every retry of
	// one verification, unique across verifications (a UUIDv4).
	RequestID string `json:"request_id"`
	// IIN of the person, 12 digits.
	IIN string `json:"iin"`
	// BIN of the requesting organisation (bank, MFO), 12 digits.
	BIN string `json:"bin"`
	// ConsentRef identifies the person's recorded consent to this check.
	ConsentRef string `json:"consent_ref"`
	// Photo is the JPEG of the face (the token-frontal crop), base64 in JSON.
	Photo []byte `json:"photo"`
	// Capture describes how the photo was taken.
	Capture CaptureMeta `json:"capture"`
}

// FingerVerifyRequest asks IDEC to compare a fingerprint with the one the
// state holds of that finger of the person with that IIN. Finger is
// biometric data: never log it.
type FingerVerifyRequest struct {
	// RequestID, IIN, BIN and ConsentRef are as in a VerifyRequest.
	RequestID  string `json:"request_id"`
	IIN        string `json:"iin"`
	BIN        string `json:"bin"`
	ConsentRef string `json:"consent_ref"`
	// Finger is the sample.
	Finger FingerSample `json:"finger"`
	// Capture describes how the sample was taken: Quality is the
	// fingerprint's quality score, Liveness is empty (the gateway does not
	// assess a fingerprint's liveness).
	Capture CaptureMeta `json:"capture"`
}

// FingerSample is one finger's record: the wire form of idec.Finger.
type FingerSample struct {
	// Position is the finger, ISO/IEC 19794 numbering: 1 right thumb ...
	// 5 right little, 6 left thumb ... 10 left little.
	Position int `json:"position"`
	// Format is "iso19794-4" (a finger image record, WSQ inside) or
	// "iso19794-2" (a finger minutiae record).
	Format string `json:"format"`
	// Record is the record, base64 in JSON.
	Record []byte `json:"record"`
}

// CaptureMeta is what the gateway tells IDEC about the capture: the wire
// form of idec.CaptureMeta.
type CaptureMeta struct {
	// Time the frame was captured.
	Time time.Time `json:"time"`
	// Quality is the capture loop's unified quality score, 0-100.
	Quality float64 `json:"quality"`
	// Liveness is the liveness verdict ("live"), for IDEC's audit.
	Liveness string `json:"liveness"`
	// DeviceID names the gateway and camera that took the photo.
	DeviceID string `json:"device_id"`
}

// wireCapture is the wire form of the gateway's capture description.
func wireCapture(c idec.CaptureMeta) CaptureMeta {
	return CaptureMeta{Time: c.Time, Quality: c.Quality, Liveness: string(c.Liveness), DeviceID: c.DeviceID}
}

// VerifyResponse is IDEC's answer to a VerifyRequest.
type VerifyResponse struct {
	// RequestID echoes the caller's request id.
	RequestID string `json:"request_id"`
	// IDECRequestID is IDEC's own id of this verification, for audit.
	IDECRequestID string `json:"idec_request_id"`
	// Similarity of the live face and the reference photo, 0-1.
	Similarity float64 `json:"similarity"`
	// Decision is DecisionMatch or DecisionNoMatch, by IDEC's threshold.
	Decision string `json:"decision"`
	// ReferenceSource says where the reference photo came from (for
	// example "identity_document_registry").
	ReferenceSource string `json:"reference_source"`
	// Time IDEC decided.
	Time time.Time `json:"time"`
}

// Decisions in a VerifyResponse.
const (
	DecisionMatch   = idec.DecisionMatch
	DecisionNoMatch = idec.DecisionNoMatch
)

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Message is for people; it never holds biometric data.
	Message string `json:"message"`
	// IDECRequestID, when IDEC got as far as assigning one.
	IDECRequestID string `json:"idec_request_id,omitempty"`
}

// Error codes and the HTTP status each comes with.
const (
	CodeInvalidRequest    = "invalid_request"     // 400: malformed body, bad IIN or BIN, photo not a JPEG
	CodeNoFace            = "no_face"             // 422: no single face found in the photo
	CodeUnknownIIN        = "unknown_iin"         // 404: no person with this IIN
	CodeNoReferencePhoto  = "no_reference_photo"  // 409: the person has no usable reference photo
	CodeNoFinger          = "no_finger"           // 422: no usable fingerprint in the sample
	CodeNoReferenceFinger = "no_reference_finger" // 409: no reference fingerprint of that finger for the person
	CodeConflict          = "request_id_reused"   // 409: the request id was used for a different request
	CodeUnavailable       = "unavailable"         // 503: IDEC cannot serve now; retry later
	CodeInternal          = "internal"            // 500
)

// EnrollRequest puts a reference photo into the emulator's gallery (the
// emulator only; the real IDEC has no such endpoint).
type EnrollRequest struct {
	// IIN of the person, 12 digits.
	IIN string `json:"iin"`
	// Photo is the reference photo, JPEG or PNG, base64 in JSON.
	Photo []byte `json:"photo"`
}

// FingerEnrollRequest puts a reference fingerprint of one finger into the
// emulator's gallery (the emulator only).
type FingerEnrollRequest struct {
	// IIN of the person, 12 digits.
	IIN string `json:"iin"`
	// Finger is the reference: an image record or a minutiae record.
	Finger FingerSample `json:"finger"`
}
