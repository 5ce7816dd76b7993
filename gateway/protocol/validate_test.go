package protocol

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/iin"
)

var hash = strings.Repeat("0123456789abcdef", 4)

func TestConsentValidate(t *testing.T) {
	now := t0
	cases := []struct {
		name   string
		c      Consent
		maxAge time.Duration
		field  string // "" = valid
	}{
		{"valid", Consent{"consent-v3", hash, now.Add(-time.Minute)}, 0, ""},
		{"just now", Consent{"consent-v3", hash, now}, 0, ""},
		{"within skew", Consent{"consent-v3", hash, now.Add(ConsentClockSkew)}, 0, ""},
		{"at max age", Consent{"consent-v3", hash, now.Add(-DefaultConsentMaxAge)}, 0, ""},
		{"custom max age", Consent{"consent-v3", hash, now.Add(-time.Hour)}, 2 * time.Hour, ""},
		{"no text id", Consent{"", hash, now}, 0, "consent.text_id"},
		{"text id control char", Consent{"a\nb", hash, now}, 0, "consent.text_id"},
		{"text id too long", Consent{strings.Repeat("a", 129), hash, now}, 0, "consent.text_id"},
		{"no hash", Consent{"c", "", now}, 0, "consent.text_sha256"},
		{"hash upper case", Consent{"c", strings.ToUpper(hash), now}, 0, "consent.text_sha256"},
		{"hash short", Consent{"c", hash[:63], now}, 0, "consent.text_sha256"},
		{"hash long", Consent{"c", hash + "0", now}, 0, "consent.text_sha256"},
		{"hash not hex", Consent{"c", hash[:63] + "g", now}, 0, "consent.text_sha256"},
		{"hash base64", Consent{"c", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", now}, 0, "consent.text_sha256"},
		{"no time", Consent{"c", hash, time.Time{}}, 0, "consent.accepted_at"},
		{"future", Consent{"c", hash, now.Add(ConsentClockSkew + time.Second)}, 0, "consent.accepted_at"},
		{"too old", Consent{"c", hash, now.Add(-DefaultConsentMaxAge - time.Second)}, 0, "consent.accepted_at"},
		{"too old custom", Consent{"c", hash, now.Add(-2 * time.Minute)}, time.Minute, "consent.accepted_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.c.Validate(now, c.maxAge)
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want a *FieldError", err)
			}
			if fe.Code != CodeConsentInvalid || fe.Field != c.field {
				t.Errorf("Validate = %s %s, want consent_invalid %s", fe.Code, fe.Field, c.field)
			}
		})
	}
}

func validStart() *Start {
	return &Start{
		IIN: "790303402568", Modality: ModalityFace,
		Consent:     &Consent{TextID: "consent-v3", TextSHA256: hash, AcceptedAt: t0.Add(-time.Minute)},
		ClientNonce: "q7Lx0d3J-2fKq9wZr1Tb",
		Camera:      Camera{Mode: CameraKiosk},
	}
}

// validFinger makes s a valid finger start: no camera, the right index.
func validFinger(s *Start) {
	s.Modality, s.Camera = ModalityFinger, Camera{}
	s.Finger = &FingerStart{Position: FingerRightIndex}
}

func TestStartValidate(t *testing.T) {
	allow := StartRules{AllowFixedCommands: true}
	cases := []struct {
		name   string
		edit   func(*Start)
		rules  StartRules
		code   ErrorCode // "" = valid
		field  string
		wrapIs error
	}{
		{"valid kiosk", func(*Start) {}, StartRules{}, "", "", nil},
		{"valid kiosk named", func(s *Start) { s.Camera.Name = "usb-046d_0825-front" }, StartRules{}, "", "", nil},
		{"valid relay", func(s *Start) { s.Camera = Camera{Mode: CameraRelay} }, StartRules{}, "", "", nil},
		{"valid other IIN", func(s *Start) { s.IIN = "061211600012" }, StartRules{}, "", "", nil},
		{"fixed commands allowed", func(s *Start) {
			s.Commands = []string{string(CommandTurnLeft), string(CommandTurnRight), string(CommandTiltLeft)}
		}, allow, "", "", nil},
		{"empty IIN", func(s *Start) { s.IIN = "" }, StartRules{}, CodeInvalidIIN, "iin", iin.ErrLength},
		{"IIN check digit", func(s *Start) { s.IIN = "790303402569" }, StartRules{}, CodeInvalidIIN, "iin", iin.ErrCheckDigit},
		{"IIN letters", func(s *Start) { s.IIN = "79030340256a" }, StartRules{}, CodeInvalidIIN, "iin", iin.ErrNotDigits},
		{"modality fingers", func(s *Start) { s.Modality = "fingers" }, StartRules{}, CodeBadMessage, "modality", nil},
		{"valid finger", validFinger, StartRules{}, "", "", nil},
		{"valid finger, reader and impressions", func(s *Start) {
			validFinger(s)
			s.Finger.Reader, s.Finger.Impressions = "usb:1-10", MaxImpressions
		}, StartRules{}, "", "", nil},
		{"finger without finger", func(s *Start) { validFinger(s); s.Finger = nil }, StartRules{}, CodeBadMessage, "finger", nil},
		{"finger unknown position", func(s *Start) { validFinger(s); s.Finger.Position = "right_toe" }, StartRules{}, CodeBadMessage, "finger.position", nil},
		{"finger position empty", func(s *Start) { validFinger(s); s.Finger.Position = "" }, StartRules{}, CodeBadMessage, "finger.position", nil},
		{"finger impressions 6", func(s *Start) { validFinger(s); s.Finger.Impressions = MaxImpressions + 1 }, StartRules{}, CodeBadMessage, "finger.impressions", nil},
		{"finger impressions negative", func(s *Start) { validFinger(s); s.Finger.Impressions = -1 }, StartRules{}, CodeBadMessage, "finger.impressions", nil},
		{"finger reader control", func(s *Start) { validFinger(s); s.Finger.Reader = "usb:1\x00" }, StartRules{}, CodeBadMessage, "finger.reader", nil},
		{"finger with camera", func(s *Start) { validFinger(s); s.Camera = Camera{Mode: CameraRelay} }, StartRules{}, CodeBadMessage, "camera", nil},
		{"finger with commands", func(s *Start) { validFinger(s); s.Commands = []string{"turn_left"} }, allow, CodeBadMessage, "commands", nil},
		{"finger object on a face start", func(s *Start) { s.Finger = &FingerStart{Position: FingerRightIndex} }, StartRules{}, CodeBadMessage, "finger", nil},
		{"valid face and finger", func(s *Start) {
			s.Modality, s.Finger = ModalityFaceAndFinger, &FingerStart{Position: FingerLeftThumb}
		}, StartRules{}, "", "", nil},
		{"valid face and finger, relay, fixed commands", func(s *Start) {
			s.Modality, s.Finger, s.Camera = ModalityFaceAndFinger, &FingerStart{Position: FingerLeftThumb}, Camera{Mode: CameraRelay}
			s.Commands = []string{"turn_left", "turn_right", "tilt_left"}
		}, allow, "", "", nil},
		{"face and finger without finger", func(s *Start) { s.Modality = ModalityFaceAndFinger }, StartRules{}, CodeBadMessage, "finger", nil},
		{"face and finger, bad position", func(s *Start) {
			s.Modality, s.Finger = ModalityFaceAndFinger, &FingerStart{Position: "thumb"}
		}, StartRules{}, CodeBadMessage, "finger.position", nil},
		{"face and finger without camera", func(s *Start) {
			s.Modality, s.Finger, s.Camera = ModalityFaceAndFinger, &FingerStart{Position: FingerLeftThumb}, Camera{}
		}, StartRules{}, CodeBadMessage, "camera.mode", nil},
		{"no consent", func(s *Start) { s.Consent = nil }, StartRules{}, CodeConsentRequired, "consent", nil},
		{"consent old", func(s *Start) { s.Consent.AcceptedAt = t0.Add(-time.Hour) }, StartRules{}, CodeConsentInvalid, "consent.accepted_at", nil},
		{"consent old, longer max age", func(s *Start) { s.Consent.AcceptedAt = t0.Add(-time.Hour) },
			StartRules{ConsentMaxAge: 2 * time.Hour}, "", "", nil},
		{"nonce short", func(s *Start) { s.ClientNonce = "abc" }, StartRules{}, CodeBadMessage, "client_nonce", nil},
		{"nonce bad char", func(s *Start) { s.ClientNonce = "q7Lx0d3J+2fKq9wZr1Tb" }, StartRules{}, CodeBadMessage, "client_nonce", nil},
		{"nonce long", func(s *Start) { s.ClientNonce = strings.Repeat("a", 129) }, StartRules{}, CodeBadMessage, "client_nonce", nil},
		{"no camera mode", func(s *Start) { s.Camera.Mode = "" }, StartRules{}, CodeBadMessage, "camera.mode", nil},
		{"camera mode usb", func(s *Start) { s.Camera.Mode = "usb" }, StartRules{}, CodeBadMessage, "camera.mode", nil},
		{"relay with name", func(s *Start) { s.Camera = Camera{Mode: CameraRelay, Name: "x"} }, StartRules{}, CodeBadMessage, "camera.name", nil},
		{"kiosk name control", func(s *Start) { s.Camera.Name = "/dev/video0\x00" }, StartRules{}, CodeBadMessage, "camera.name", nil},
		{"fixed commands refused", func(s *Start) {
			s.Commands = []string{string(CommandTurnLeft), string(CommandTurnRight), string(CommandTiltLeft)}
		}, StartRules{}, CodeFixedCommandsNotAllowed, "commands", nil},
		{"empty commands list refused", func(s *Start) { s.Commands = []string{} }, StartRules{}, CodeFixedCommandsNotAllowed, "commands", nil},
		{"no commands", func(s *Start) { s.Commands = []string{} }, allow, CodeBadMessage, "commands", nil},
		{"repeated command", func(s *Start) { s.Commands = []string{"turn_left", "turn_right", "turn_left"} }, allow, CodeBadMessage, "commands[2]", nil},
		{"too many commands", func(s *Start) { s.Commands = make([]string, MaxCommands+1) }, allow, CodeBadMessage, "commands", nil},
		{"unknown command", func(s *Start) {
			s.Commands = []string{"turn_left", "blink", "tilt_left"}
		}, allow, CodeBadMessage, "commands[1]", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validStart()
			c.edit(s)
			err := s.Validate(t0, c.rules)
			if c.code == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want a *FieldError", err)
			}
			if fe.Code != c.code || fe.Field != c.field {
				t.Errorf("Validate = %s at %s, want %s at %s", fe.Code, fe.Field, c.code, c.field)
			}
			if c.wrapIs != nil && !errors.Is(err, c.wrapIs) {
				t.Errorf("Validate = %v, want it to wrap %v", err, c.wrapIs)
			}
			if strings.Contains(err.Error(), s.IIN) && s.IIN != "" {
				t.Errorf("error %q holds the IIN", err)
			}
			m := ErrorFor(err)
			if m.Code != c.code || m.Field != c.field || m.Fatal {
				t.Errorf("ErrorFor = %+v, want non-fatal %s at %s", m, c.code, c.field)
			}
		})
	}
}

// A start decoded from the wire validates like one built in Go: the JSON
// tags are the ones Validate's field names say.
func TestStartFromWire(t *testing.T) {
	m, err := DecodeClient([]byte(`{"v":1,"type":"start","iin":"790303402568","modality":"face",
		"consent":{"text_id":"consent-v3","text_sha256":"` + hash + `","accepted_at":"2026-03-02T14:14:04+05:00"},
		"client_nonce":"q7Lx0d3J-2fKq9wZr1Tb","camera":{"mode":"relay"}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := m.(*Start)
	if err := s.Validate(t0, StartRules{}); err != nil {
		t.Errorf("Validate = %v", err)
	}
}
