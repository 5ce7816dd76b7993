package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 15, 4, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// samples holds one message of every type, with every field set, so a
// round trip checks every JSON tag.
var samples = []Message{
	&Start{
		IIN: "790303402568", Modality: ModalityFace,
		Consent:     &Consent{TextID: "consent-v3", TextSHA256: strings.Repeat("ab", 32), AcceptedAt: t0},
		ClientNonce: "q7Lx0d3J-2fKq9wZr1Tb",
		Camera:      Camera{Mode: CameraKiosk, Name: "front"},
		Commands:    []string{string(CommandTurnLeft), string(CommandTiltRight), string(CommandMoveCloser)},
	},
	&Cancel{},
	&EndOfFrames{LastSeq: 412},
	&Hello{SessionID: "s-1", Versions: []int{1}, Limits: DefaultLimits, FixedCommandsAllowed: true},
	&State{State: StateDone, Reason: DoneCancelled},
	&Quality{Hints: []string{HintTooDark, HintNotCentered}, Score: 41.5},
	&Command{Status: CommandFailed, Command: CommandTiltLeft, Attempt: 2, Index: 1, Count: 3,
		TimeoutMS: 5000, Progress: 0.25, Reason: ReasonWrongDirection, AttemptsLeft: 1},
	&Passive{Decision: PassiveLive, PLive: 0.97, Frames: 143},
	&Finger{Status: FingerRejected, Position: FingerRightIndex, Impression: 2, Count: 3, Quality: 12, Hint: HintPressHarder},
	&Submitting{RequestID: "req-1"},
	&Result{SessionID: "s-1", Decision: DecisionMatch, Similarity: ptr(0.982), Reasons: []string{"x"},
		IDECRequestID: "IDEC-1", ClientNonce: "q7Lx0d3J-2fKq9wZr1Tb", FixedCommands: true, Attempts: 2,
		DecidedAt: t0, Document: "eyJhbGciOiJFZERTQSJ9.e30.c2ln"},
	&ErrorMessage{Code: CodeLockedOut, Message: "m", Fatal: true, Field: "iin", RetryAfter: 60},
	&Aborted{Reason: AbortShutdown},
	&Preview{JPEG: []byte{0xff, 0xd8, 0xff, 0xd9}, Width: 320, Height: 240},
}

func TestSamplesCoverEveryType(t *testing.T) {
	seen := map[Type]bool{}
	for _, m := range samples {
		seen[m.MessageType()] = true
	}
	for _, ty := range append(ClientTypes(), ServerTypes()...) {
		if !seen[ty] {
			t.Errorf("no sample of %q", ty)
		}
	}
	if len(seen) != len(ClientTypes())+len(ServerTypes()) {
		t.Errorf("%d sample types, want %d", len(seen), len(ClientTypes())+len(ServerTypes()))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range samples {
		t.Run(string(m.MessageType()), func(t *testing.T) {
			data, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			prefix := `{"v":1,"type":"` + string(m.MessageType()) + `"`
			if !bytes.HasPrefix(data, []byte(prefix)) {
				t.Errorf("Encode = %s, want prefix %s", data, prefix)
			}
			var got Message
			if _, ok := m.(ClientMessage); ok {
				got, err = DecodeClient(data)
				if _, err2 := DecodeServer(data); !errors.Is(err2, ErrUnknownType) {
					t.Errorf("DecodeServer(client message) error %v, want ErrUnknownType", err2)
				}
			} else {
				got, err = DecodeServer(data)
				if _, err2 := DecodeClient(data); !errors.Is(err2, ErrUnknownType) {
					t.Errorf("DecodeClient(server message) error %v, want ErrUnknownType", err2)
				}
			}
			if err != nil {
				t.Fatalf("decode %s: %v", data, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, m)
			}
		})
	}
}

func TestEncodeValueAndEmpty(t *testing.T) {
	data, err := Encode(Cancel{})
	if err != nil || string(data) != `{"v":1,"type":"cancel"}` {
		t.Errorf("Encode(Cancel{}) = %s, %v", data, err)
	}
	if _, err := Encode((*Start)(nil)); err == nil {
		t.Error("Encode(nil *Start) succeeded")
	}
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	m, err := DecodeClient([]byte(`{"type":"end_of_frames","v":1,"last_seq":7,"later_field":{"a":[1,2]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := m.(*EndOfFrames); !ok || e.LastSeq != 7 {
		t.Errorf("got %#v", m)
	}
}

func TestDecodeMalformed(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", ``, ErrBadMessage},
		{"not json", `hello`, ErrBadMessage},
		{"array", `[{"v":1,"type":"cancel"}]`, ErrBadMessage},
		{"string", `"cancel"`, ErrBadMessage},
		{"null", `null`, ErrBadMessage},
		{"truncated", `{"v":1,"type":"cancel"`, ErrBadMessage},
		{"trailing data", `{"v":1,"type":"cancel"} {}`, ErrBadMessage},
		{"no type", `{"v":1}`, ErrBadMessage},
		{"empty type", `{"v":1,"type":""}`, ErrBadMessage},
		{"type not string", `{"v":1,"type":5}`, ErrBadMessage},
		{"v not number", `{"v":"1","type":"cancel"}`, ErrBadMessage},
		{"field wrong type", `{"v":1,"type":"start","iin":790303402568}`, ErrBadMessage},
		{"bad time", `{"v":1,"type":"start","consent":{"accepted_at":"yesterday"}}`, ErrBadMessage},
		{"negative seq", `{"v":1,"type":"end_of_frames","last_seq":-1}`, ErrBadMessage},
		{"no version", `{"type":"cancel"}`, ErrVersion},
		{"version 2", `{"v":2,"type":"cancel"}`, ErrVersion},
		{"version 0", `{"v":0,"type":"cancel"}`, ErrVersion},
		{"version before type", `{"v":2,"type":"nonsense"}`, ErrVersion},
		{"unknown type", `{"v":1,"type":"stop"}`, ErrUnknownType},
		{"server type", `{"v":1,"type":"result"}`, ErrUnknownType},
		{"too large", `{"v":1,"type":"cancel","pad":"` + strings.Repeat("x", MaxClientMessageBytes) + `"}`, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := DecodeClient([]byte(c.in))
			if !errors.Is(err, c.want) {
				t.Fatalf("DecodeClient(%.40q) = %#v, %v; want %v", c.in, m, err, c.want)
			}
			if m != nil {
				t.Errorf("message %#v returned with an error", m)
			}
		})
	}
}

func TestDecodeErrorsDoNotQuoteValues(t *testing.T) {
	const secret = "790303402568"
	for _, in := range []string{
		`{"v":1,"type":"start","iin":` + secret + `}`,
		`{"v":1,"type":"start","consent":{"accepted_at":"` + secret + `"}}`,
		`{"v":1,"type":"start","iin":"` + secret + `",}`,
		`{"v":1,"type":"` + secret + `"}`,
	} {
		_, err := DecodeClient([]byte(in))
		if err == nil {
			t.Fatalf("DecodeClient(%s) succeeded", in)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q quotes the IIN", err)
		}
	}
}

func TestCodeOf(t *testing.T) {
	cases := []struct {
		in   string
		want ErrorCode
	}{
		{`nope`, CodeBadMessage},
		{`{"v":3,"type":"start"}`, CodeUnsupportedVersion},
		{`{"v":1,"type":"hello"}`, CodeUnknownType},
		{`{"v":1,"type":"cancel","x":"` + strings.Repeat("x", MaxClientMessageBytes) + `"}`, CodeBadMessage},
	}
	for _, c := range cases {
		_, err := DecodeClient([]byte(c.in))
		if got := CodeOf(err); got != c.want {
			t.Errorf("CodeOf(%v) = %s, want %s", err, got, c.want)
		}
		if m := ErrorFor(err); m.Code != c.want || m.Message == "" {
			t.Errorf("ErrorFor(%v) = %+v", err, m)
		}
	}
	if got := CodeOf(errors.New("disk on fire")); got != CodeInternal {
		t.Errorf("CodeOf(foreign error) = %s, want internal", got)
	}
}
