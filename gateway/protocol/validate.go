package protocol

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/outcome"
)

// FieldError is a rejected field of a client message: the code to send and
// the field to name. Its text never holds the field's value.
type FieldError struct {
	Code ErrorCode
	// Field is the field's path in the message ("consent.accepted_at",
	// "commands[2]").
	Field string
	// Reason says what is wrong, for logs.
	Reason string
	// Err is the cause, if any (an iin package sentinel for invalid_iin).
	Err error
}

// Error returns "protocol: <field>: <reason> (<code>)".
func (e *FieldError) Error() string {
	return fmt.Sprintf("protocol: %s: %s (%s)", e.Field, e.Reason, e.Code)
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(code ErrorCode, field, reason string) *FieldError {
	return &FieldError{Code: code, Field: field, Reason: reason}
}

// StartRules are the daemon's settings that Start.Validate applies.
type StartRules struct {
	// ConsentMaxAge is how old the consent may be; 0 means
	// DefaultConsentMaxAge.
	ConsentMaxAge time.Duration
	// AllowFixedCommands is the daemon's --allow-fixed-commands.
	AllowFixedCommands bool
}

// Validate checks a start message against the protocol and rules, in
// field order, and returns the first problem as a *FieldError: invalid_iin
// (iin), bad_message (modality, client_nonce, camera, commands),
// consent_required, consent_invalid, fixed_commands_not_allowed. now is the
// gateway's clock. All of these leave the session in waiting_start: the
// client may send a corrected start.
func (s *Start) Validate(now time.Time, rules StartRules) error {
	if _, err := iin.Parse(s.IIN); err != nil {
		return &FieldError{Code: CodeInvalidIIN, Field: "iin", Reason: "not a valid IIN", Err: err}
	}
	if !slices.Contains(outcome.Modalities(), outcome.Modality(s.Modality)) {
		return fieldErr(CodeBadMessage, "modality", `must be "face", "finger" or "face_and_finger"`)
	}
	if s.Consent == nil {
		return fieldErr(CodeConsentRequired, "consent", "missing")
	}
	if err := s.Consent.Validate(now, rules.ConsentMaxAge); err != nil {
		return err
	}
	if !validNonce(s.ClientNonce) {
		return fieldErr(CodeBadMessage, "client_nonce", "must be 16-128 characters of A-Z a-z 0-9 _ -")
	}
	if s.Modality == ModalityFinger {
		return s.validateFinger()
	}
	if s.Modality == ModalityFaceAndFinger {
		if err := s.validateFingerStart(); err != nil {
			return err
		}
	} else if s.Finger != nil {
		return fieldErr(CodeBadMessage, "finger", `only with modality "finger" or "face_and_finger"`)
	}
	switch s.Camera.Mode {
	case CameraKiosk:
		if len(s.Camera.Name) > 128 || !printable(s.Camera.Name) {
			return fieldErr(CodeBadMessage, "camera.name", "must be at most 128 printable characters")
		}
	case CameraRelay:
		if s.Camera.Name != "" {
			return fieldErr(CodeBadMessage, "camera.name", "must be empty in relay mode")
		}
	default:
		return fieldErr(CodeBadMessage, "camera.mode", `must be "kiosk" or "relay"`)
	}
	if s.Commands != nil {
		if !rules.AllowFixedCommands {
			return fieldErr(CodeFixedCommandsNotAllowed, "commands", "fixed commands are not allowed")
		}
		if len(s.Commands) < MinCommands || len(s.Commands) > MaxCommands {
			return fieldErr(CodeBadMessage, "commands", fmt.Sprintf("must hold %d-%d commands", MinCommands, MaxCommands))
		}
		for i, c := range s.Commands {
			if !knownCommand(c) {
				return fieldErr(CodeBadMessage, fmt.Sprintf("commands[%d]", i), "unknown command")
			}
			if slices.Contains(s.Commands[:i], c) {
				return fieldErr(CodeBadMessage, fmt.Sprintf("commands[%d]", i), "repeated command")
			}
		}
	}
	return nil
}

// validateFinger checks the rest of a finger start: a known finger, a
// reader id like a camera's, 1-MaxImpressions impressions, and no camera
// or commands (the reader is the gateway's; there are no liveness
// commands).
func (s *Start) validateFinger() error {
	if err := s.validateFingerStart(); err != nil {
		return err
	}
	switch {
	case s.Camera != Camera{}:
		return fieldErr(CodeBadMessage, "camera", `must be absent with modality "finger"`)
	case s.Commands != nil:
		return fieldErr(CodeBadMessage, "commands", `must be absent with modality "finger"`)
	}
	return nil
}

// validateFingerStart checks s.Finger: present, a known finger, a reader
// id like a camera's, 1-MaxImpressions impressions.
func (s *Start) validateFingerStart() error {
	switch f := s.Finger; {
	case f == nil:
		return fieldErr(CodeBadMessage, "finger", fmt.Sprintf("required with modality %q", s.Modality))
	case f.Position.Code() == 0:
		return fieldErr(CodeBadMessage, "finger.position", "unknown finger")
	case len(f.Reader) > 128 || !printable(f.Reader):
		return fieldErr(CodeBadMessage, "finger.reader", "must be at most 128 printable characters")
	case f.Impressions < 0 || f.Impressions > MaxImpressions:
		return fieldErr(CodeBadMessage, "finger.impressions", fmt.Sprintf("must be 1-%d, or 0 for %d", MaxImpressions, DefaultImpressions))
	}
	return nil
}

// Validate checks a consent record: TextID 1-128 printable characters,
// TextSHA256 64 lowercase hex digits, AcceptedAt set, not after
// now+ConsentClockSkew and not before now-maxAge (0 means
// DefaultConsentMaxAge). Errors are *FieldError with CodeConsentInvalid.
func (c *Consent) Validate(now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultConsentMaxAge
	}
	switch {
	case c.TextID == "":
		return fieldErr(CodeConsentInvalid, "consent.text_id", "missing")
	case len(c.TextID) > 128 || !printable(c.TextID):
		return fieldErr(CodeConsentInvalid, "consent.text_id", "must be at most 128 printable characters")
	case !sha256Hex(c.TextSHA256):
		return fieldErr(CodeConsentInvalid, "consent.text_sha256", "must be 64 lowercase hex digits")
	case c.AcceptedAt.IsZero():
		return fieldErr(CodeConsentInvalid, "consent.accepted_at", "missing")
	case c.AcceptedAt.After(now.Add(ConsentClockSkew)):
		return fieldErr(CodeConsentInvalid, "consent.accepted_at", "in the future")
	case c.AcceptedAt.Before(now.Add(-maxAge)):
		return fieldErr(CodeConsentInvalid, "consent.accepted_at", fmt.Sprintf("older than %v", maxAge))
	}
	return nil
}

func sha256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// printable: valid UTF-8 without control characters, so the value is safe
// in a log line and a document.
func printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func knownCommand(c string) bool {
	return slices.Contains(outcome.Commands(), outcome.Command(c))
}

// CodeOf returns the error code for an error of this package: a
// *FieldError's Code, bad_message for ErrBadMessage and ErrTooLarge,
// unsupported_version for ErrVersion, unknown_type for ErrUnknownType, and
// internal for anything else.
func CodeOf(err error) ErrorCode {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, ErrBadMessage), errors.Is(err, ErrTooLarge):
		return CodeBadMessage
	case errors.Is(err, ErrVersion):
		return CodeUnsupportedVersion
	case errors.Is(err, ErrUnknownType):
		return CodeUnknownType
	}
	return CodeInternal
}

// ErrorFor returns the error message to send for err (see CodeOf), with
// the field named for a *FieldError. The message is the code's default:
// err's text is for logs.
func ErrorFor(err error) *ErrorMessage {
	m := NewError(CodeOf(err))
	var fe *FieldError
	if errors.As(err, &fe) {
		m.Field = fe.Field
	}
	return m
}
