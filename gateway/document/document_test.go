package document

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/outcome"
)

func TestNew(t *testing.T) {
	local := time.FixedZone("ALMT", 5*3600)
	a, b := New("s1", t0.In(local).Add(456*time.Microsecond)), New("s1", t0)
	if a.ID == b.ID || !isHex(a.ID, 32) {
		t.Errorf("ids %q and %q: want two different 128-bit hex ids", a.ID, b.ID)
	}
	if !a.IssuedAt.Equal(t0) || a.IssuedAt.Location() != time.UTC {
		t.Errorf("issued_at %v, want %v in UTC to the millisecond", a.IssuedAt, t0)
	}
	if a.V != Version || a.PrevHash != "" || a.SessionID != "s1" {
		t.Errorf("new document %+v", a)
	}
}

func TestValidateAcceptsCompleteDocuments(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Document)
	}{
		{"match", func(*Document) {}},
		{"no match", func(d *Document) { d.Decision, d.IDEC.Decision = DecisionNoMatch, DecisionNoMatch }},
		{"spoof, no IDEC, no best frame", func(d *Document) {
			d.Decision, d.IDEC, d.BestFrame = DecisionSpoof, nil, nil
			d.Liveness.Passive.Decision = "spoof"
			d.Liveness.Commands[2].Outcome = OutcomeInterrupted
		}},
		{"refused", func(d *Document) { d.Decision, d.IDEC, d.Reasons = DecisionRefused, nil, []string{"commands_failed"} }},
		{"error before liveness", func(d *Document) {
			d.Decision, d.IDEC, d.BestFrame, d.Reasons = DecisionError, nil, nil, []string{"camera_failed"}
			d.Liveness = Liveness{Random: true}
		}},
		{"fixed commands declared", func(d *Document) {
			d.Liveness.Random = false
			d.DepartsFromRules = []string{DepartureFixedCommands}
		}},
		{"kiosk", func(d *Document) { d.Device = Device{Mode: ModeKiosk, Camera: "front"} }},
		{"first of its chain", func(d *Document) { d.PrevHash = "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := sample(t0)
			c.edit(d)
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEveryDecisionOfTheVocabularyIsAValidDocument: a decision added to
// package outcome can be signed (with IDEC's part for match and no_match)
// and read back as the same word; a word outside it cannot be signed.
func TestEveryDecisionOfTheVocabularyIsAValidDocument(t *testing.T) {
	for _, dec := range outcome.Decisions() {
		d := sample(t0)
		d.Decision = dec
		switch dec {
		case outcome.Match, outcome.NoMatch:
			d.IDEC.Decision = dec
		default:
			d.IDEC, d.Reasons = nil, []string{"some_reason"}
		}
		if err := d.Validate(); err != nil {
			t.Errorf("decision %q: %v", dec, err)
			continue
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Document
		if err := json.Unmarshal(b, &back); err != nil || back.Decision != dec {
			t.Errorf("decision %q read back as %q, %v", dec, back.Decision, err)
		}
	}
	d := sample(t0)
	d.Decision, d.IDEC = "approved", nil
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "decision") {
		t.Errorf("decision outside the vocabulary: Validate() = %v, want a decision problem", err)
	}
}

func TestValidateRejects(t *testing.T) {
	for _, c := range []struct {
		member string // the member the error must name
		edit   func(*Document)
	}{
		{"v", func(d *Document) { d.V = Version + 1 }},
		{"v", func(d *Document) { d.V = 0 }},
		{"liveness.passive", func(d *Document) { d.V = 1 }}, // cues are version 2's
		{"liveness.passive.cues[1].name", func(d *Document) { d.Liveness.Passive.Cues[1].Name = "model" }},
		{"liveness.passive.cues[0].name", func(d *Document) { d.Liveness.Passive.Cues[0].Name = "" }},
		{"liveness.passive.cues[0].name", func(d *Document) { d.Liveness.Passive.Cues[0].Name = "mo\x00del" }},
		{"liveness.passive.cues[0].score", func(d *Document) { d.Liveness.Passive.Cues[0].Score = 1.2 }},
		{"liveness.passive.cues[1].weight", func(d *Document) { d.Liveness.Passive.Cues[1].Weight = -1 }},
		{"liveness.passive.cues[1].contribution", func(d *Document) { d.Liveness.Passive.Cues[1].Contribution = math.Inf(1) }},
		{"liveness.passive.cues[2].contribution", func(d *Document) { d.Liveness.Passive.Cues[2].Contribution = 0.3 }},
		{"liveness.passive.fusion_bias", func(d *Document) { d.Liveness.Passive.FusionBias = math.NaN() }},
		{"id", func(d *Document) { d.ID = "" }},
		{"id", func(d *Document) { d.ID = strings.ToUpper(d.ID) }},
		{"session_id", func(d *Document) { d.SessionID = "" }},
		{"issued_at", func(d *Document) { d.IssuedAt = time.Time{} }},
		{"decision", func(d *Document) { d.Decision = "" }},
		{"decision", func(d *Document) { d.Decision = "maybe" }},
		{"reasons[0]", func(d *Document) { d.Reasons = []string{""} }},
		{"organization.bin", func(d *Document) { d.Organization.BIN = "" }},
		{"organization.bin", func(d *Document) { d.Organization.BIN = "000000000001" }},
		{"subject.iin", func(d *Document) { d.Subject.IIN = "" }},
		{"subject.iin", func(d *Document) { d.Subject.IIN = "790303402569" }},
		{"consent.text_id", func(d *Document) { d.Consent.TextID = "" }},
		{"consent.text_sha256", func(d *Document) { d.Consent.TextSHA256 = "abc" }},
		{"consent.accepted_at", func(d *Document) { d.Consent.AcceptedAt = time.Time{} }},
		{"client_nonce", func(d *Document) { d.ClientNonce = "short" }},
		{"client_nonce", func(d *Document) { d.ClientNonce = "has spaces in the nonce" }},
		{"liveness.attempts", func(d *Document) { d.Liveness.Attempts = -1 }},
		{"liveness.commands[1].attempt", func(d *Document) { d.Liveness.Commands[1].Attempt = 3 }},
		{"liveness.commands[0].reason", func(d *Document) { d.Liveness.Commands[0].Reason = "" }},
		{"liveness.commands[0].outcome", func(d *Document) { d.Liveness.Commands[0].Outcome = "" }},
		{"liveness.commands[2].command", func(d *Document) { d.Liveness.Commands[2].Command = "" }},
		{"liveness.commands[2].progress", func(d *Document) { d.Liveness.Commands[2].Progress = 1.5 }},
		{"liveness.commands[1].image.sha256", func(d *Document) { d.Liveness.Commands[1].Image.SHA256 = "" }},
		{"liveness.passive.decision", func(d *Document) { d.Liveness.Passive.Decision = "" }},
		{"liveness.passive.p_live", func(d *Document) { d.Liveness.Passive.PLive = -0.1 }},
		{"departs_from_rules", func(d *Document) { d.Liveness.Random = false }},
		{"best_frame", func(d *Document) { d.BestFrame = nil }},
		{"best_frame.bytes", func(d *Document) { d.BestFrame.Bytes = 0 }},
		{"best_frame.quality", func(d *Document) { d.BestFrame.Quality = 101 }},
		{"idec", func(d *Document) { d.IDEC = nil }},
		{"decision", func(d *Document) { d.IDEC.Decision = DecisionNoMatch }},
		{"idec.request_id", func(d *Document) { d.IDEC.RequestID = "" }},
		{"idec.similarity", func(d *Document) { d.IDEC.Similarity = 2 }},
		{"gateway.id", func(d *Document) { d.Gateway.ID = "" }},
		{"gateway.version", func(d *Document) { d.Gateway.Version = "" }},
		{"device.mode", func(d *Document) { d.Device.Mode = "usb" }},
		{"prev_hash", func(d *Document) { d.PrevHash = "ABC" }},
		{"attestation", func(d *Document) { d.Attestation, d.V, d.Modality = attestation(), 2, "" }}, // a version 3 member
		{"modality", func(d *Document) { d.V = 3 }},                                                  // a version 4 member
		{"modality", func(d *Document) { d.Modality = "iris" }},
		{"finger", func(d *Document) { d.Finger = fingerMember() }}, // on a face document
		{"attestation.policy", func(d *Document) { d.Attestation = attestation(); d.Attestation.Policy = "off" }},
		{"attestation.verdict", func(d *Document) { d.Attestation = attestation(); d.Attestation.Verdict = "maybe" }},
		{"attestation.verdict", func(d *Document) {
			d.Attestation = &Attestation{Policy: AttestationRequire, Verdict: AttestationAbsent, Nonce: attestation().Nonce}
		}},
		{"attestation.reason", func(d *Document) {
			d.Attestation = &Attestation{Policy: AttestationReport, Verdict: AttestationInvalid, Nonce: attestation().Nonce}
		}},
		{"attestation.app_id", func(d *Document) { d.Attestation = attestation(); d.Attestation.AppID = "" }},
		{"attestation.platform", func(d *Document) { d.Attestation = attestation(); d.Attestation.Platform = "windows" }},
		{"attestation", func(d *Document) {
			d.Attestation = &Attestation{Policy: AttestationReport, Verdict: AttestationAbsent, Platform: PlatformIOS, Nonce: attestation().Nonce}
		}},
		{"attestation.nonce", func(d *Document) { d.Attestation = attestation(); d.Attestation.Nonce = "" }},
		{"prev_hash", func(d *Document) { d.PrevHash = strings.ToUpper(d.PrevHash) }},
	} {
		d := sample(t0)
		c.edit(d)
		err := d.Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.member+":") {
			t.Errorf("%s: got %v, want ErrInvalid naming it", c.member, err)
		}
		if err != nil && strings.Contains(err.Error(), d.Subject.IIN) && d.Subject.IIN != "" {
			t.Errorf("%s: error holds the IIN: %v", c.member, err)
		}
	}
}

func TestMarshalWritesUTCMillisecondsAndUnmarshalReadsItBack(t *testing.T) {
	d := sample(t0)
	d.IssuedAt = t0.In(time.FixedZone("ALMT", 5*3600)).Add(789 * time.Microsecond)
	payload, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	if got := raw["issued_at"]; got != "2026-11-30T09:15:30.123Z" {
		t.Errorf("issued_at %v, want UTC milliseconds", got)
	}
	if !d.IssuedAt.Equal(t0.Add(789 * time.Microsecond)) {
		t.Errorf("Marshal changed the caller's document: %v", d.IssuedAt)
	}
	back, err := Unmarshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Marshal(back)
	if string(again) != string(payload) {
		t.Errorf("round trip changed the JSON:\n%s\n%s", payload, again)
	}
}

func TestUnmarshalIsStrict(t *testing.T) {
	payload, err := Marshal(sample(t0))
	if err != nil {
		t.Fatal(err)
	}
	v := fmt.Sprintf(`{"v":%d,`, Version)
	for _, c := range []struct {
		name    string
		payload string
		want    error
	}{
		{"unknown member", strings.Replace(string(payload), v, v+`"approved_by":"someone",`, 1), ErrMalformed},
		{"unknown cue member", strings.Replace(string(payload), `"name":"model",`, `"name":"model","verdict":"live",`, 1), ErrMalformed},
		{"data after the object", string(payload) + `{}`, ErrMalformed},
		{"wrong type", strings.Replace(string(payload), `"attempts":2`, `"attempts":"2"`, 1), ErrMalformed},
		{"newer version", strings.Replace(string(payload), v, fmt.Sprintf(`{"v":%d,`, Version+1), 1), ErrMalformed},
		{"version 1 with version 2 members", strings.Replace(string(payload), v, `{"v":1,`, 1), ErrInvalid},
		{"not JSON", "not json", ErrMalformed},
		{"missing member", strings.Replace(string(payload), `"client_nonce":"n0nce_of-the-calling-app",`, ``, 1), ErrInvalid},
	} {
		if _, err := Unmarshal([]byte(c.payload)); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestDecidedBy: version 3's decided_by names one of the cues of a spoof;
// it cannot name a cue the document does not list, stand beside a live
// decision, or appear in an older version.
func TestDecidedBy(t *testing.T) {
	spoof := func() *Document {
		d := sample(t0)
		d.Decision, d.Reasons, d.IDEC = DecisionSpoof, []string{"flat_presentation"}, nil
		p := d.Liveness.Passive
		p.Decision, p.PLive, p.DecidedBy = "spoof", 0.62, "flat"
		p.Cues = append(p.Cues, Cue{Name: "flat", Score: 0.05, Weight: 1, Available: true, Contribution: -2.9})
		return d
	}
	if err := spoof().Validate(); err != nil {
		t.Fatalf("a spoof decided by a cue: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Document)
	}{
		{"a cue not listed", func(d *Document) { d.Liveness.Passive.DecidedBy = "gut_feeling" }},
		{"a live decision", func(d *Document) { d.Liveness.Passive.Decision = "live" }},
		{"version 2", func(d *Document) { d.V = 2 }},
	} {
		d := spoof()
		c.edit(d)
		if err := d.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "decided_by") {
			t.Errorf("%s: %v, want ErrInvalid on decided_by", c.name, err)
		}
	}
}

// fingerMember is a valid version 4 finger member.
func fingerMember() *Finger {
	return &Finger{Position: "right_index", Quality: 71, Impressions: 3, TemplateSHA256: strings.Repeat("ab", 32),
		Record: &ImageRef{Name: "finger-right_index", SHA256: strings.Repeat("cd", 32), Bytes: 21034, Width: 388, Height: 374, Quality: 71}}
}

// fingerDocument turns the sample into a finger session's document: IDEC's
// answer moves to the finger.
func fingerDocument(d *Document) *Document {
	d.Modality, d.Finger = ModalityFinger, fingerMember()
	d.Finger.IDEC, d.IDEC = d.IDEC, nil
	d.Liveness, d.BestFrame, d.Device = Liveness{}, nil, Device{Mode: ModeKiosk}
	return d
}

// bothDocument turns the sample into a face_and_finger document: the face
// matched, then the finger with fingerIDEC's decision.
func bothDocument(d *Document, finger Decision) *Document {
	d.Modality, d.Finger = ModalityFaceAndFinger, fingerMember()
	x := *d.IDEC
	x.Decision, x.RequestID = finger, "IDEC-FINGER-1"
	d.Finger.IDEC, d.Decision = &x, finger
	return d
}

func TestValidateFingerDocument(t *testing.T) {
	if err := fingerDocument(sample(t0)).Validate(); err != nil {
		t.Fatalf("a finger match: %v", err)
	}
	for _, c := range []struct {
		member string
		edit   func(*Document)
	}{
		{"finger.idec", func(d *Document) { d.Finger = nil }}, // a match says what was matched
		{"finger.idec", func(d *Document) { d.Finger.IDEC = nil }},
		{"idec", func(d *Document) { d.IDEC = d.Finger.IDEC }}, // the answer is the finger's
		{"decision", func(d *Document) { d.Finger.IDEC.Decision = DecisionNoMatch }},
		{"finger.position", func(d *Document) { d.Finger.Position = "right_toe" }},
		{"finger.quality", func(d *Document) { d.Finger.Quality = 101 }},
		{"finger.impressions", func(d *Document) { d.Finger.Impressions = 0 }},
		{"finger.template_sha256", func(d *Document) { d.Finger.TemplateSHA256 = "x" }},
		{"finger.record", func(d *Document) { d.Finger.Record = nil }},
		{"finger.record.sha256", func(d *Document) { d.Finger.Record.SHA256 = "" }},
		{"liveness", func(d *Document) { d.Liveness.Attempts = 1 }},
		{"best_frame", func(d *Document) { d.BestFrame = sample(t0).BestFrame }},
		{"device.mode", func(d *Document) { d.Device.Mode = ModeRelay }},
	} {
		d := fingerDocument(sample(t0))
		c.edit(d)
		if err := d.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.member) {
			t.Errorf("%s: Validate() = %v", c.member, err)
		}
	}
	// An error with no impression kept has no finger member.
	d := fingerDocument(sample(t0))
	d.Decision, d.Reasons, d.IDEC, d.Finger = DecisionError, []string{"no_finger"}, nil, nil
	if err := d.Validate(); err != nil {
		t.Errorf("a finger error without a finger: %v", err)
	}
}

func TestValidateFaceAndFingerDocument(t *testing.T) {
	for _, finger := range []Decision{DecisionMatch, DecisionNoMatch} {
		if err := bothDocument(sample(t0), finger).Validate(); err != nil {
			t.Errorf("face matched, finger %s: %v", finger, err)
		}
	}
	// The face did not match: the finger was never asked.
	d := sample(t0)
	d.Modality, d.Decision, d.IDEC.Decision = ModalityFaceAndFinger, DecisionNoMatch, DecisionNoMatch
	if err := d.Validate(); err != nil {
		t.Errorf("face no_match, no finger: %v", err)
	}
	for _, c := range []struct {
		member string
		edit   func(*Document)
	}{
		{"finger.idec", func(d *Document) { d.Finger = nil }},                                            // a match needs both
		{"idec", func(d *Document) { d.IDEC.Decision = DecisionNoMatch }},                                // the finger after a face no_match
		{"decision", func(d *Document) { d.Finger.IDEC.Decision = DecisionNoMatch }},                     // the finger decides
		{"best_frame", func(d *Document) { d.BestFrame = nil }},                                          // the face part still needs its frame
		{"departs_from_rules", func(d *Document) { d.Liveness.Random, d.DepartsFromRules = false, nil }}, // and its rules
	} {
		d := bothDocument(sample(t0), DecisionMatch)
		c.edit(d)
		if err := d.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.member) {
			t.Errorf("%s: Validate() = %v", c.member, err)
		}
	}
}

// attestation is a valid version 3 attestation member.
func attestation() *Attestation {
	return &Attestation{Policy: AttestationRequire, Verdict: AttestationValid, Platform: PlatformAndroid,
		AppID: "kz.example.bank", SecurityLevel: "strongbox", Nonce: "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
}

// The attestation member round-trips, in every verdict a document may
// hold, and a version 2 payload may not carry it.
func TestAttestationMember(t *testing.T) {
	for _, a := range []*Attestation{
		attestation(),
		{Policy: AttestationReport, Verdict: AttestationAbsent, Nonce: attestation().Nonce},
		{Policy: AttestationReport, Verdict: AttestationInvalid, Platform: PlatformIOS, Reason: "challenge_mismatch", Nonce: attestation().Nonce},
	} {
		d := sample(t0)
		d.Attestation = a
		payload, err := Marshal(d)
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		back, err := Unmarshal(payload)
		if err != nil || *back.Attestation != *a {
			t.Errorf("%+v read back as %+v, %v", a, back.Attestation, err)
		}
		v2 := strings.Replace(string(payload), fmt.Sprintf(`{"v":%d,`, Version), `{"v":2,`, 1)
		if _, err := Unmarshal([]byte(v2)); !errors.Is(err, ErrInvalid) {
			t.Errorf("version 2 with attestation: %v, want ErrInvalid", err)
		}
	}
}
