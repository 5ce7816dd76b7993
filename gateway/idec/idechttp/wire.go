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
	// PathEnroll is the emulator's admin endpoint (not part of the real
	// IDEC): it takes an EnrollRequest and answers 204.
	PathEnroll = "/admin/v1/enroll"
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
	CodeInvalidRequest   = "invalid_request"    // 400: malformed body, bad IIN or BIN, photo not a JPEG
	CodeNoFace           = "no_face"            // 422: no single face found in the photo
	CodeUnknownIIN       = "unknown_iin"        // 404: no person with this IIN
	CodeNoReferencePhoto = "no_reference_photo" // 409: the person has no usable reference photo
	CodeConflict         = "request_id_reused"  // 409: the request id was used for a different request
	CodeUnavailable      = "unavailable"        // 503: IDEC cannot serve now; retry later
	CodeInternal         = "internal"           // 500
)

// EnrollRequest puts a reference photo into the emulator's gallery (the
// emulator only; the real IDEC has no such endpoint).
type EnrollRequest struct {
	// IIN of the person, 12 digits.
	IIN string `json:"iin"`
	// Photo is the reference photo, JPEG or PNG, base64 in JSON.
	Photo []byte `json:"photo"`
}
