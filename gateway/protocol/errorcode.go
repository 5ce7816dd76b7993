package protocol

// ErrorCode is a stable error code of the protocol: what clients branch on.
type ErrorCode string

// Error codes. Info gives each one's HTTP status, fatality, close status
// and default message; docs/protocol.md says when each happens.
const (
	// Before the upgrade: answered as HTTP errors with an ErrorMessage body.
	CodeUnauthorized     ErrorCode = "unauthorized"
	CodeForbiddenScope   ErrorCode = "forbidden_scope"
	CodeOriginNotAllowed ErrorCode = "origin_not_allowed"
	CodeRateLimited      ErrorCode = "rate_limited"

	// Messages the client got wrong.
	CodeBadMessage         ErrorCode = "bad_message"
	CodeUnknownType        ErrorCode = "unknown_type"
	CodeUnsupportedVersion ErrorCode = "unsupported_version"
	CodeUnexpectedMessage  ErrorCode = "unexpected_message"

	// Start rejected.
	CodeInvalidIIN              ErrorCode = "invalid_iin"
	CodeConsentRequired         ErrorCode = "consent_required"
	CodeConsentInvalid          ErrorCode = "consent_invalid"
	CodeFixedCommandsNotAllowed ErrorCode = "fixed_commands_not_allowed"
	CodeLockedOut               ErrorCode = "locked_out"
	CodeIINInSession            ErrorCode = "iin_in_session"
	CodeCameraUnavailable       ErrorCode = "camera_unavailable"
	CodeReaderUnavailable       ErrorCode = "reader_unavailable"
	CodeBusy                    ErrorCode = "busy"
	CodeKeyBusy                 ErrorCode = "key_busy"
	CodeAttestationRequired     ErrorCode = "attestation_required"
	CodeAttestationFailed       ErrorCode = "attestation_failed"

	// Relay frames.
	CodeFrameTooLarge  ErrorCode = "frame_too_large"
	CodeFrameNotJPEG   ErrorCode = "frame_not_jpeg"
	CodeFrameTooFast   ErrorCode = "frame_too_fast"
	CodeFrameBadHeader ErrorCode = "frame_bad_header"
	CodeWrongMode      ErrorCode = "wrong_mode"

	// The session ended by the gateway.
	CodeSessionTimeout  ErrorCode = "session_timeout"
	CodeStartTimeout    ErrorCode = "start_timeout"
	CodeIdleTimeout     ErrorCode = "idle_timeout"
	CodeIDECUnavailable ErrorCode = "idec_unavailable"
	CodeIDECTimeout     ErrorCode = "idec_timeout"
	// CodeEvidenceUnavailable: the evidence store could not check the
	// lockout or keep the result's document, so no result is given.
	CodeEvidenceUnavailable ErrorCode = "evidence_unavailable"
	CodeInternal            ErrorCode = "internal"
	CodeSlowConsumer        ErrorCode = "slow_consumer"
)

// WebSocket close statuses (RFC 6455 section 7.4) the gateway uses.
const (
	CloseNormal        = 1000
	CloseGoingAway     = 1001
	CloseProtocolError = 1002
	ClosePolicy        = 1008
	CloseTooBig        = 1009
	CloseInternal      = 1011
	CloseTryAgainLater = 1013
)

// ErrorInfo is what the protocol fixes about an error code.
type ErrorInfo struct {
	// HTTPStatus (401, 403, 429) is the status of the answer to GET /v1/session for a code
	// raised before the WebSocket upgrade; 0 for codes sent on the socket.
	HTTPStatus int
	// Fatal: the session ends and the socket closes (with CloseStatus)
	// after the error. Before the upgrade every error is fatal: there is
	// no session.
	Fatal bool
	// CloseStatus is the WebSocket close status that follows a fatal
	// error; 0 for non-fatal and pre-upgrade codes.
	CloseStatus int
	// Message is the default text, English, that says what to do.
	Message string
}

// PreUpgrade reports whether the code is answered over HTTP, before the
// WebSocket upgrade.
func (i ErrorInfo) PreUpgrade() bool { return i.HTTPStatus != 0 }

// errorCodes lists every code in the order of docs/protocol.md's table.
var errorCodes = []ErrorCode{
	CodeUnauthorized, CodeForbiddenScope, CodeOriginNotAllowed, CodeRateLimited,
	CodeBadMessage, CodeUnknownType, CodeUnsupportedVersion, CodeUnexpectedMessage,
	CodeInvalidIIN, CodeConsentRequired, CodeConsentInvalid, CodeFixedCommandsNotAllowed,
	CodeLockedOut, CodeIINInSession, CodeCameraUnavailable, CodeReaderUnavailable, CodeBusy, CodeKeyBusy,
	CodeAttestationRequired, CodeAttestationFailed,
	CodeFrameTooLarge, CodeFrameNotJPEG, CodeFrameTooFast, CodeFrameBadHeader, CodeWrongMode,
	CodeSessionTimeout, CodeStartTimeout, CodeIdleTimeout, CodeIDECUnavailable, CodeIDECTimeout, CodeEvidenceUnavailable, CodeInternal,
	CodeSlowConsumer,
}

var errorTable = map[ErrorCode]ErrorInfo{
	CodeUnauthorized: {HTTPStatus: 401, Fatal: true,
		Message: "The API key is missing or not valid. Send it in the Authorization: Bearer or X-API-Key header."},
	CodeForbiddenScope: {HTTPStatus: 403, Fatal: true,
		Message: "This API key may not use this endpoint. Ask the operator for a key with the right scope."},
	CodeOriginNotAllowed: {HTTPStatus: 403, Fatal: true,
		Message: "This web page's origin is not allowed to open sessions. Ask the operator to allow it."},
	CodeRateLimited: {HTTPStatus: 429, Fatal: true,
		Message: "Too many sessions were requested. Wait and try again."},

	CodeBadMessage: {
		Message: "The message could not be understood. Check it against the protocol and send it again."},
	CodeUnknownType: {
		Message: "The message type is not known. Check the type field."},
	CodeUnsupportedVersion: {Fatal: true, CloseStatus: CloseProtocolError,
		Message: "This protocol version is not supported. Update the app."},
	CodeUnexpectedMessage: {
		Message: "This message is not expected now and was ignored."},

	CodeInvalidIIN: {
		Message: "The IIN is not valid. Check the 12 digits and start again."},
	CodeConsentRequired: {
		Message: "The person's consent is required. Show the consent text and start again once it is accepted."},
	CodeConsentInvalid: {
		Message: "The consent record is not valid or has expired. Ask the person to accept the consent text again."},
	CodeFixedCommandsNotAllowed: {
		Message: "Fixed liveness commands are not allowed on this gateway. Start again without commands."},
	CodeLockedOut: {Fatal: true, CloseStatus: ClosePolicy,
		Message: "Too many failed attempts for this IIN. Try again later."},
	CodeIINInSession: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "A check for this IIN is already running. Finish it, or wait for it to end, and start again."},
	CodeCameraUnavailable: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The camera is not available. Check that it is connected and try again."},
	CodeReaderUnavailable: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The fingerprint reader is not available. Check that it is connected and not in use, and try again."},
	CodeBusy: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The gateway is busy with other sessions. Try again in a moment."},
	CodeKeyBusy: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "This API key already has as many sessions open as it may. Finish one, or wait for one to end, and try again."},
	CodeAttestationRequired: {Fatal: true, CloseStatus: ClosePolicy,
		Message: "This service accepts checks only from its official app. Open the check in the official app and try again."},
	CodeAttestationFailed: {Fatal: true, CloseStatus: ClosePolicy,
		Message: "The app could not be verified as the official app on an unmodified device. Use the official app from the store, on a device that has not been modified."},

	CodeFrameTooLarge: {
		Message: "A frame was too large and was dropped. Send smaller JPEG images."},
	CodeFrameNotJPEG: {
		Message: "A frame was not a complete JPEG image and was dropped."},
	CodeFrameTooFast: {
		Message: "Frames are sent too fast; some were dropped. Lower the frame rate."},
	CodeFrameBadHeader: {
		Message: "A frame's header was not valid and the frame was dropped. Update the app."},
	CodeWrongMode: {
		Message: "Frames are only accepted in relay mode; this one was dropped."},

	CodeSessionTimeout: {Fatal: true, CloseStatus: CloseNormal,
		Message: "The session took too long and was stopped. Start a new session."},
	CodeStartTimeout: {Fatal: true, CloseStatus: CloseNormal,
		Message: "No start was received in time and the session was stopped. Open a new session and send start right away."},
	CodeIdleTimeout: {Fatal: true, CloseStatus: CloseNormal,
		Message: "Nothing was received for too long and the session was stopped. Start a new session."},
	CodeIDECUnavailable: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The identity check service is not available. Try again later."},
	CodeIDECTimeout: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The identity check service did not answer in time. Try again later."},
	CodeEvidenceUnavailable: {Fatal: true, CloseStatus: CloseTryAgainLater,
		Message: "The gateway cannot keep the record of this check right now, so it cannot give a result. Try again later."},
	CodeInternal: {Fatal: true, CloseStatus: CloseInternal,
		Message: "Something went wrong on the gateway. Try again; if it happens again, contact support with the session id."},
	CodeSlowConsumer: {Fatal: true, CloseStatus: ClosePolicy,
		Message: "The app did not read the gateway's messages fast enough and was disconnected."},
}

// ErrorCodes returns every error code, in the order of docs/protocol.md.
// The caller may modify the returned slice.
func ErrorCodes() []ErrorCode {
	return append([]ErrorCode(nil), errorCodes...)
}

// Info returns the code's table entry; ok is false for an unknown code.
func (c ErrorCode) Info() (info ErrorInfo, ok bool) {
	info, ok = errorTable[c]
	return info, ok
}

// NewError returns the error message of code with its default Message and
// Fatal. An unknown code gives the message of CodeInternal (a bug in the
// gateway, not something a client can act on).
func NewError(code ErrorCode) *ErrorMessage {
	info, ok := errorTable[code]
	if !ok {
		code, info = CodeInternal, errorTable[CodeInternal]
	}
	return &ErrorMessage{Code: code, Message: info.Message, Fatal: info.Fatal}
}
