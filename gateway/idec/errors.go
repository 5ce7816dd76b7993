package idec

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors: every error Verify returns matches exactly one of them
// or context.Canceled (the caller gave up). A no-match is a Result, not an
// error.
var (
	// ErrInvalidRequest: IDEC (or the client, before sending) rejected the
	// request as malformed: a bad IIN or BIN, a photo that is not a JPEG,
	// a reused request id. Not retried; fix the request.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrNoFace: IDEC found no single face in the photo. Capture again.
	ErrNoFace = errors.New("no face in photo")
	// ErrUnknownIIN: IDEC knows no person with this IIN.
	ErrUnknownIIN = errors.New("unknown IIN")
	// ErrNoReferencePhoto: the person has no usable reference photo.
	ErrNoReferencePhoto = errors.New("no reference photo")
	// ErrNoFinger: IDEC found no usable fingerprint in the sample.
	// Capture again.
	ErrNoFinger = errors.New("no fingerprint in sample")
	// ErrNoReferenceFinger: IDEC holds no fingerprint of that finger for
	// the person.
	ErrNoReferenceFinger = errors.New("no reference fingerprint")
	// ErrUnavailable: IDEC could not be reached or could not serve: a
	// connection or TLS failure, a 5xx (502, 503 and 504 after the
	// retries), or the circuit breaker is open. Try again later.
	ErrUnavailable = errors.New("IDEC unavailable")
	// ErrTimeout: the deadline (Config.Timeout, an attempt's timeout or
	// the caller's) passed before IDEC answered. The error also matches
	// context.DeadlineExceeded.
	ErrTimeout = errors.New("IDEC timed out")
	// ErrBadResponse: IDEC answered something the contract does not allow:
	// an unexpected status or a malformed body.
	ErrBadResponse = errors.New("bad IDEC response")
)

// Error is the error Verify returns. It matches its Kind and its cause with
// errors.Is and errors.As, and carries what a log line or a support ticket
// needs. Neither its fields nor its text hold biometric data, the IIN or
// the BIN; Message is IDEC's text for people and is not part of Error().
type Error struct {
	// Kind is one of the package's sentinel errors, or context.Canceled.
	Kind error
	// RequestID is the client's request id of the call.
	RequestID string
	// Attempts is how many attempts were made (0: none).
	Attempts int
	// Status is the HTTP status of the last answer (over idechttp); 0 if
	// none was read.
	Status int
	// Code is the ErrorResponse code of the last answer, or "breaker_open"
	// when the circuit breaker refused the call; "" otherwise.
	Code string
	// IDECRequestID is IDEC's id of the request, when it sent one.
	IDECRequestID string
	// Message is IDEC's ErrorResponse message, for people.
	Message string
	// Err is the underlying cause (a transport or decoding error), or nil.
	Err error
}

// CodeBreakerOpen is the Error.Code of a call refused by the open circuit
// breaker; it is never on the wire.
const CodeBreakerOpen = "breaker_open"

// Error returns "idec: verify <request id>: <kind> (details)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "idec: verify %s: %v", e.RequestID, e.Kind)
	var details []string
	if e.Status != 0 {
		details = append(details, fmt.Sprintf("status %d", e.Status))
	}
	if e.Code != "" {
		details = append(details, "code "+e.Code)
	}
	if e.IDECRequestID != "" {
		details = append(details, "idec id "+e.IDECRequestID)
	}
	if e.Attempts > 1 {
		details = append(details, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if len(details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns Kind and, if set, Err.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// ContextError is the error of a call whose ctx ended outside an exchange
// with IDEC: context.Canceled when the caller gave up, ErrTimeout (also
// matching context.DeadlineExceeded) when the deadline passed.
func ContextError(ctx context.Context, id string) *Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Error{Kind: context.Canceled, RequestID: id, Err: ctx.Err()}
	}
	return &Error{Kind: ErrTimeout, RequestID: id, Err: Deadline(ctx.Err())}
}

// Deadline makes sure a timeout's error matches context.DeadlineExceeded:
// err itself if it does, err wrapped with it otherwise.
func Deadline(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
}
