package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors of decoding; CodeOf maps each to its ErrorCode.
var (
	// ErrBadMessage: not a JSON object, a "type" that is missing or not a
	// string, or a field of the wrong JSON type (bad_message).
	ErrBadMessage = errors.New("protocol: malformed message")
	// ErrTooLarge: the message is over the size limit (bad_message).
	ErrTooLarge = errors.New("protocol: message too large")
	// ErrVersion: "v" is missing or not Version (unsupported_version).
	ErrVersion = errors.New("protocol: unsupported version")
	// ErrUnknownType: "type" names no message of this direction
	// (unknown_type).
	ErrUnknownType = errors.New("protocol: unknown message type")
)

var clientTypes = map[Type]func() ClientMessage{
	TypeStart:       func() ClientMessage { return new(Start) },
	TypeCancel:      func() ClientMessage { return new(Cancel) },
	TypeEndOfFrames: func() ClientMessage { return new(EndOfFrames) },
}

var serverTypes = map[Type]func() ServerMessage{
	TypeHello:      func() ServerMessage { return new(Hello) },
	TypeState:      func() ServerMessage { return new(State) },
	TypeQuality:    func() ServerMessage { return new(Quality) },
	TypeCommand:    func() ServerMessage { return new(Command) },
	TypePassive:    func() ServerMessage { return new(Passive) },
	TypeFinger:     func() ServerMessage { return new(Finger) },
	TypeSubmitting: func() ServerMessage { return new(Submitting) },
	TypeResult:     func() ServerMessage { return new(Result) },
	TypeError:      func() ServerMessage { return new(ErrorMessage) },
	TypeAborted:    func() ServerMessage { return new(Aborted) },
	TypePreview:    func() ServerMessage { return new(Preview) },
}

// ClientTypes lists the client → gateway message types.
func ClientTypes() []Type {
	return []Type{TypeStart, TypeCancel, TypeEndOfFrames}
}

// ServerTypes lists the gateway → client message types.
func ServerTypes() []Type {
	return []Type{TypeHello, TypeState, TypeQuality, TypeCommand, TypePassive,
		TypeFinger, TypeSubmitting, TypeResult, TypeError, TypeAborted, TypePreview}
}

// envelope is what every message carries. Pointers tell a missing field
// from a zero one.
type envelope struct {
	V    *int    `json:"v"`
	Type *string `json:"type"`
}

// DecodeClient decodes one text message from a client into *Start, *Cancel
// or *EndOfFrames. It checks, in order: size (ErrTooLarge), JSON object
// (ErrBadMessage), version (ErrVersion), type (ErrBadMessage if missing,
// ErrUnknownType if not a client type, a gateway → client type included),
// then the fields' JSON types (ErrBadMessage). Unknown fields are ignored. It does
// not validate field values: see Start.Validate. Errors wrap the sentinel
// and never quote the message (it may hold an IIN).
func DecodeClient(data []byte) (ClientMessage, error) {
	return decode(data, MaxClientMessageBytes, clientTypes)
}

// DecodeServer decodes one text message from the gateway (for Go clients
// such as the operator's CLI, and for tests), with the same checks as
// DecodeClient and MaxServerMessageBytes.
func DecodeServer(data []byte) (ServerMessage, error) {
	return decode(data, MaxServerMessageBytes, serverTypes)
}

// decode checks the envelope, then decodes data into the type that types
// makes for its "type".
func decode[M any](data []byte, limit int, types map[Type]func() M) (M, error) {
	var zero M
	t, err := decodeEnvelope(data, limit)
	if err != nil {
		return zero, err
	}
	newMsg, ok := types[t]
	if !ok {
		return zero, unknownType(t)
	}
	m := newMsg()
	if err := json.Unmarshal(data, m); err != nil {
		return zero, fmt.Errorf("%w: %s: %s", ErrBadMessage, t, describe(err))
	}
	return m, nil
}

func decodeEnvelope(data []byte, limit int) (Type, error) {
	if len(data) > limit {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), limit)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", fmt.Errorf("%w: not a JSON object", ErrBadMessage)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", fmt.Errorf("%w: %s", ErrBadMessage, describe(err))
	}
	if env.V == nil {
		return "", fmt.Errorf("%w: no \"v\" field", ErrVersion)
	}
	if *env.V != Version {
		return "", fmt.Errorf("%w: v %d, want %d", ErrVersion, *env.V, Version)
	}
	if env.Type == nil || *env.Type == "" {
		return "", fmt.Errorf("%w: no \"type\" field", ErrBadMessage)
	}
	return Type(*env.Type), nil
}

// unknownType names the type in the error only when it looks like a type
// name (lowercase letters and '_', at most 32): a client can put anything
// there, an IIN included, and the error goes to logs.
func unknownType(t Type) error {
	ok := len(t) <= 32
	for i := 0; ok && i < len(t); i++ {
		ok = t[i] == '_' || 'a' <= t[i] && t[i] <= 'z'
	}
	if !ok {
		return fmt.Errorf("%w: not a type name", ErrUnknownType)
	}
	return fmt.Errorf("%w: %q", ErrUnknownType, string(t))
}

// describe says what was wrong with the JSON without quoting its values.
func describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q: %s where %s is expected", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return "invalid value"
}

// Encode returns the JSON of m with "v" and "type" first. m must be one of
// this package's message types (a value or a non-nil pointer).
func Encode(m Message) ([]byte, error) {
	if m == nil {
		return nil, errors.New("protocol: encode nil message")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protocol: encode: %w", err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("protocol: encode %T: not a message", m)
	}
	t := m.MessageType()
	if _, c := clientTypes[t]; !c {
		if _, s := serverTypes[t]; !s {
			return nil, fmt.Errorf("protocol: encode %T: unknown type %q", m, t)
		}
	}
	var b bytes.Buffer
	b.Grow(len(body) + 32)
	b.WriteString(`{"v":`)
	b.WriteString(strconv.Itoa(Version))
	b.WriteString(`,"type":`)
	b.WriteString(strconv.Quote(string(t))) // types are ASCII: Go and JSON quoting agree
	if len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}
