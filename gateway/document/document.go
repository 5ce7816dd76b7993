package document

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/outcome"
)

// Version is the document format this package writes: the "v" member. A
// verifier refuses members its version does not know, so a new member
// means a new version. Version 2 added liveness.passive's fusion_bias and
// cues; version 3 added liveness.passive.decided_by and attestation;
// version 4 added modality and finger. This package reads versions
// MinVersion to Version.
const Version = 4

// MinVersion is the oldest document format this package still reads:
// documents signed before an upgrade stay verifiable.
const MinVersion = 1

// Decision is the outcome of a verification, as the session decided it:
// the words of package outcome, the same values as the WebSocket
// protocol's result.
type Decision = outcome.Decision

// Decisions.
const (
	// DecisionMatch: live, and IDEC matched the face with the IIN's reference.
	DecisionMatch = outcome.Match
	// DecisionNoMatch: live, and IDEC did not match.
	DecisionNoMatch = outcome.NoMatch
	// DecisionSpoof: passive liveness saw a presentation attack.
	DecisionSpoof = outcome.Spoof
	// DecisionRefused: every allowed attempt failed its commands.
	DecisionRefused = outcome.Refused
	// DecisionError: the check could not finish (Reasons says why).
	DecisionError = outcome.Error
)

// Outcome is how one liveness command ended (never pending in a document).
type Outcome = outcome.CommandOutcome

// Command outcomes.
const (
	// OutcomePassed: the person did what the command asked.
	OutcomePassed = outcome.CommandOutcomePassed
	// OutcomeFailed: the command failed (Command.Reason), and with it its
	// attempt.
	OutcomeFailed = outcome.CommandOutcomeFailed
	// OutcomeInterrupted: the session ended (spoof, error) before the
	// command was judged.
	OutcomeInterrupted = outcome.CommandInterrupted
)

// Device modes, as the protocol's camera modes.
const (
	// ModeKiosk: a camera attached to the gateway's machine.
	ModeKiosk = "kiosk"
	// ModeRelay: the client app sent the frames.
	ModeRelay = "relay"
)

// Departures from the rules a document may declare in DepartsFromRules.
const (
	// DepartureFixedCommands: the liveness commands were fixed by the
	// client (tests, demonstrations) instead of drawn at random, so the
	// document proves nothing about liveness.
	DepartureFixedCommands = string(outcome.FixedCommands)
	// DepartureFewCommands: fewer than 3 commands per attempt (a fixed
	// list fitted to a recorded clip).
	DepartureFewCommands = string(outcome.FewerThan3Commands)
)

// Document is the signed record of one verification: the payload of the
// JWS that Sign returns. Its JSON members are snake_case; times are RFC 3339
// in UTC with milliseconds. A Document is a plain value: it is not safe for
// concurrent mutation, and Sign does not keep it.
type Document struct {
	// V is the format's version: Version for a new document.
	V int `json:"v"`
	// ID is the document's own random 128-bit id, 32 lowercase hex digits.
	ID string `json:"id"`
	// SessionID is the gateway session's id (the protocol's hello).
	SessionID string `json:"session_id"`
	// IssuedAt is when the gateway decided; Sign writes it in UTC, to the
	// millisecond.
	IssuedAt time.Time `json:"issued_at"`
	// Decision is the verification's outcome.
	Decision Decision `json:"decision"`
	// Modality (version 4) is what was verified: ModalityFace or
	// ModalityFinger. Absent in older documents, which are all faces.
	Modality outcome.Modality `json:"modality,omitempty"`
	// Reasons explain the decision, as the protocol's result lists them.
	Reasons []string `json:"reasons,omitempty"`
	// Organization is the requesting organisation.
	Organization Organization `json:"organization"`
	// Subject is the person verified.
	Subject Subject `json:"subject"`
	// Consent is the person's consent as the calling app recorded it.
	Consent Consent `json:"consent"`
	// ClientNonce is the calling app's nonce from start, 16-128 characters
	// of [A-Za-z0-9_-], so the app can bind the document to its request.
	ClientNonce string `json:"client_nonce"`
	// Liveness is what the liveness check did and saw.
	Liveness Liveness `json:"liveness"`
	// DepartsFromRules lists why this document does not meet the rules
	// (Departure* values); must hold DepartureFixedCommands when
	// Liveness.Random is false. Empty for a real check.
	DepartsFromRules []string `json:"departs_from_rules,omitempty"`
	// BestFrame is the frame sent to IDEC; nil if none was chosen.
	BestFrame *ImageRef `json:"best_frame,omitempty"`
	// Finger (version 4) is what a finger session sent to IDEC; nil for
	// a face, or when no impression was kept.
	Finger *Finger `json:"finger,omitempty"`
	// IDEC is IDEC's answer; nil when IDEC was not called or did not answer.
	IDEC *IDEC `json:"idec,omitempty"`
	// Gateway names the gateway that decided.
	Gateway Gateway `json:"gateway"`
	// Device says where the frames came from.
	Device Device `json:"device"`
	// Attestation (version 3) is the calling app's attestation as the
	// gateway verified it; nil when the API key's attestation policy is
	// off.
	Attestation *Attestation `json:"attestation,omitempty"`
	// PrevHash is the hash of the previous entry of the evidence chain, 64
	// lowercase hex digits, as the evidence store hands it to the signer
	// when it appends the document; "" for the first entry of a chain (or a
	// document kept in none). Always present in the JSON.
	PrevHash string `json:"prev_hash"`
}

// Organization is the requesting organisation (a bank, an MFO).
type Organization struct {
	// BIN is the organisation's 12-digit business identification number.
	BIN string `json:"bin"`
}

// Subject is the person verified.
type Subject struct {
	// IIN is the person's 12-digit identification number, in clear as the
	// rules require: never log it.
	IIN string `json:"iin"`
}

// Consent is the person's recorded consent.
type Consent struct {
	// TextID identifies the consent text shown.
	TextID string `json:"text_id"`
	// TextSHA256 is the SHA-256 of the exact text shown, 64 lowercase hex.
	TextSHA256 string `json:"text_sha256"`
	// AcceptedAt is when the person accepted.
	AcceptedAt time.Time `json:"accepted_at"`
}

// Liveness records the liveness check.
type Liveness struct {
	// Random is true when the commands were drawn at random, as the rules
	// require; false when the client fixed them (see DepartsFromRules).
	Random bool `json:"random"`
	// Attempts is the number of attempts begun.
	Attempts int `json:"attempts"`
	// Commands lists every command issued, in order.
	Commands []Command `json:"commands,omitempty"`
	// Passive is the passive anti-spoofing outcome; nil if no frame was
	// scored.
	Passive *Passive `json:"passive,omitempty"`
}

// Command is one liveness command and how it ended.
type Command struct {
	// Attempt is the attempt, 1-based; Index the command's position in it,
	// 0-based.
	Attempt int `json:"attempt"`
	Index   int `json:"index"`
	// Command is the protocol's command name (turn_left, ...).
	Command outcome.Command `json:"command"`
	// Outcome is how the command ended.
	Outcome Outcome `json:"outcome"`
	// Reason is the protocol's failure reason (timeout, ...), with
	// OutcomeFailed.
	Reason outcome.CommandReason `json:"reason,omitempty"`
	// Progress is the response reached, 0-1.
	Progress float64 `json:"progress"`
	// Image is the frame kept for this command, if any.
	Image *ImageRef `json:"image,omitempty"`
}

// Passive is the passive anti-spoofing outcome over the session's frames.
type Passive struct {
	// Decision is live, spoof or undecided.
	Decision outcome.Liveness `json:"decision"`
	// PLive is the probability of a live face, 0-1.
	PLive float64 `json:"p_live"`
	// Frames is the number of frames scored.
	Frames int `json:"frames"`
	// FusionBias (version 2) is where the fusion's logit starts before
	// the cues add their contributions; absent means 0.
	FusionBias float64 `json:"fusion_bias,omitempty"`
	// Cues (version 2) are the passive liveness cues' parts in PLive, by
	// name, in fusion order. Absent from version 1 documents.
	Cues []Cue `json:"cues,omitempty"`
	// DecidedBy (version 3) names the cue, one of Cues, that decided
	// spoof alone (a cue calibrated to be confident about one attack:
	// the result's reason names the attack); absent when the fusion of
	// the cues decided.
	DecidedBy string `json:"decided_by,omitempty"`
}

// Cue is one passive liveness cue's part in the decision (version 2).
// PLive is explained by sigmoid(FusionBias + the sum of the available
// cues' Contributions); over more than one frame the session's PLive is a
// median of frames, so the sum explains it without equalling it exactly.
type Cue struct {
	// Name is the cue's stable name (model, screen, print, motion, or a
	// cue added later).
	Name string `json:"name"`
	// Score is the cue's evidence of a live face, 0-1 (0.5 neutral).
	Score float64 `json:"score"`
	// Weight is the cue's weight in the fusion, >= 0.
	Weight float64 `json:"weight"`
	// Available is false when the cue had no evidence; it then
	// contributed nothing.
	Available bool `json:"available"`
	// Contribution is the cue's term in the fused logit: positive towards
	// live, negative towards attack; 0 when not available.
	Contribution float64 `json:"contribution"`
}

// ImageRef names an image by its digest: the JPEG itself is in the evidence
// store, and the digest in the signed document binds it.
type ImageRef struct {
	// Name is the image's name in the evidence (e.g. "best.jpg",
	// "a1c0.jpg").
	Name string `json:"name"`
	// SHA256 is the digest of the JPEG's bytes, 64 lowercase hex digits.
	SHA256 string `json:"sha256"`
	// Bytes is the JPEG's size.
	Bytes int64 `json:"bytes"`
	// Width and Height are the image's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Quality is capture's unified quality of the frame, 0-100.
	Quality float64 `json:"quality"`
}

// Modalities of a document (version 4).
const (
	ModalityFace          = outcome.ModalityFace
	ModalityFinger        = outcome.ModalityFinger
	ModalityFaceAndFinger = outcome.ModalityFaceAndFinger
)

// Finger is what a finger session sent to IDEC (version 4).
type Finger struct {
	// Position is the finger ("right_index").
	Position outcome.Finger `json:"position"`
	// Quality is the sent impression's quality, 0-100.
	Quality int `json:"quality"`
	// Impressions is the number of impressions kept, of which the best
	// was sent.
	Impressions int `json:"impressions"`
	// TemplateSHA256 is the SHA-256 of the sent impression's ISO/IEC
	// 19794-2 minutiae record, 64 lowercase hex digits.
	TemplateSHA256 string `json:"template_sha256"`
	// Record names the ISO/IEC 19794-4 finger image record sent to IDEC
	// (kept encrypted in the evidence store): its name, digest, size in
	// bytes and the image's width and height; Quality as above.
	Record *ImageRef `json:"record"`
	// IDEC is IDEC's answer on the fingerprint; nil when it did not
	// answer. (The document's own IDEC member is the face's.)
	IDEC *IDEC `json:"idec,omitempty"`
}

// IDEC is the identity centre's answer.
type IDEC struct {
	// RequestID is IDEC's id of the request.
	RequestID string `json:"request_id"`
	// Decision is match or no_match.
	Decision Decision `json:"decision"`
	// Similarity is IDEC's similarity, 0-1, and Threshold the one it
	// decided with.
	Similarity float64 `json:"similarity"`
	Threshold  float64 `json:"threshold,omitempty"`
	// ReferenceSource is where IDEC's reference photo came from.
	ReferenceSource string `json:"reference_source,omitempty"`
	// LatencyMS is the time from the request to the answer, milliseconds.
	LatencyMS int64 `json:"latency_ms"`
}

// Gateway names the gateway that decided.
type Gateway struct {
	// ID is the gateway's configured id.
	ID string `json:"id"`
	// Version is biogated's version.
	Version string `json:"version"`
}

// Device says where the frames came from.
type Device struct {
	// Mode is ModeKiosk or ModeRelay.
	Mode string `json:"mode"`
	// Camera names the kiosk camera, empty for the default one or in relay
	// mode.
	Camera string `json:"camera,omitempty"`
}

// Attestation policies, verdicts and platforms, as gateway/attest and the
// protocol name them.
const (
	AttestationReport  = "report"
	AttestationRequire = "require"

	AttestationValid   = "valid"
	AttestationInvalid = "invalid"
	AttestationAbsent  = "absent"

	PlatformAndroid = "android"
	PlatformIOS     = "ios"
)

// Attestation is the calling app's attestation (version 3): whether the
// app proved to be a trusted app on a genuine device, for this session's
// challenge.
type Attestation struct {
	// Policy is the API key's policy, report or require (a document of a
	// require key is valid: a refused start has no document).
	Policy string `json:"policy"`
	// Verdict is valid, invalid or absent.
	Verdict string `json:"verdict"`
	// Platform is android or ios; empty with absent (and for an unknown
	// platform).
	Platform string `json:"platform,omitempty"`
	// Reason says why, with invalid (gateway/attest's Reason* words).
	Reason string `json:"reason,omitempty"`
	// AppID is the attested app: Android's package name, Apple's
	// TEAMID.bundle.id.
	AppID string `json:"app_id,omitempty"`
	// SecurityLevel is where the app's key lives: tee, strongbox,
	// secure_enclave.
	SecurityLevel string `json:"security_level,omitempty"`
	// Environment is Apple's App Attest environment, production or
	// development.
	Environment string `json:"environment,omitempty"`
	// Nonce is the session's attestation nonce (unpadded base64url), so
	// that the challenge can be recomputed with client_nonce.
	Nonce string `json:"nonce"`
}

// New returns a document of this Version with a fresh random ID, the
// session's id and issuedAt in UTC to the millisecond. The caller fills in
// the rest; PrevHash is set at append time, from the evidence store.
func New(sessionID string, issuedAt time.Time) *Document {
	var id [16]byte
	rand.Read(id[:]) // never fails (crypto/rand, Go 1.24+)
	return &Document{
		V:         Version,
		Modality:  ModalityFace,
		ID:        hex.EncodeToString(id[:]),
		SessionID: sessionID,
		IssuedAt:  issuedAt.UTC().Truncate(time.Millisecond),
	}
}

// Validate reports the first problems of d, every one naming its JSON
// member, in an error wrapping ErrInvalid; nil when d is a complete,
// consistent document. Messages never hold the IIN or other values of d.
func (d *Document) Validate() error {
	var p problems
	p.check(d.V >= MinVersion && d.V <= Version, "v", "must be %d-%d", MinVersion, Version)
	p.check(isHex(d.ID, 32), "id", "must be 32 lowercase hex digits")
	p.check(d.SessionID != "", "session_id", "missing")
	p.check(!d.IssuedAt.IsZero(), "issued_at", "missing")
	switch {
	case d.Decision == "":
		p.add("decision", "missing")
	case !slices.Contains(outcome.Decisions(), d.Decision):
		p.add("decision", "unknown")
	}
	for i, r := range d.Reasons {
		p.check(r != "", fmt.Sprintf("reasons[%d]", i), "empty")
	}
	if _, err := iin.ParseBIN(d.Organization.BIN); err != nil {
		p.add("organization.bin", "%v", errors.Unwrap(err)) // iin's errors never hold the number
	}
	if _, err := iin.Parse(d.Subject.IIN); err != nil {
		p.add("subject.iin", "%v", errors.Unwrap(err))
	}
	p.check(d.Consent.TextID != "", "consent.text_id", "missing")
	p.check(isHex(d.Consent.TextSHA256, 64), "consent.text_sha256", "must be 64 lowercase hex digits")
	p.check(!d.Consent.AcceptedAt.IsZero(), "consent.accepted_at", "missing")
	p.check(validNonce(d.ClientNonce), "client_nonce", "must be 16-128 characters of A-Z a-z 0-9 _ -")
	d.Liveness.validate(&p, d.V)
	for i, r := range d.DepartsFromRules {
		p.check(r != "", fmt.Sprintf("departs_from_rules[%d]", i), "empty")
	}
	finger := d.validateModality(&p)
	if !finger && !d.Liveness.Random && !slices.Contains(d.DepartsFromRules, DepartureFixedCommands) {
		p.add("departs_from_rules", "must list %s when liveness.random is false", DepartureFixedCommands)
	}
	if d.BestFrame != nil {
		d.BestFrame.validate(&p, "best_frame")
	}
	// The answer that decided: the fingerprint's when IDEC gave one, else
	// the face's.
	decider, at := d.IDEC, "idec"
	if d.IDEC != nil {
		d.IDEC.validate(&p, "idec")
	}
	if d.Finger != nil && d.Finger.IDEC != nil {
		d.Finger.IDEC.validate(&p, "finger.idec")
		decider, at = d.Finger.IDEC, "finger.idec"
	}
	switch {
	case decider != nil:
		if d.Decision != decider.Decision && (d.Decision == DecisionMatch || d.Decision == DecisionNoMatch) {
			p.add("decision", "differs from %s.decision", at)
		}
	case d.Decision == DecisionMatch || d.Decision == DecisionNoMatch:
		p.add(at, "missing with decision %s", d.Decision)
	}
	if d.Decision == DecisionMatch && d.BestFrame == nil && !finger {
		p.add("best_frame", "missing with decision match")
	}
	p.check(d.Gateway.ID != "", "gateway.id", "missing")
	p.check(d.Gateway.Version != "", "gateway.version", "missing")
	p.check(d.Device.Mode == ModeKiosk || d.Device.Mode == ModeRelay, "device.mode", "must be %s or %s", ModeKiosk, ModeRelay)
	if d.Attestation != nil {
		d.Attestation.validate(&p, d.V)
	}
	p.check(d.PrevHash == "" || isHex(d.PrevHash, 64), "prev_hash", "must be 64 lowercase hex digits, or empty for a chain's first entry")
	return p.err()
}

// validateModality checks version 4's modality and finger, and reports
// whether d is a finger-only document: none before version 4. A face
// document has no finger. A finger document has no face liveness, frames
// or face answer, and a match or no_match was decided on its finger. In a
// face_and_finger document the fingerprint was asked for only after IDEC
// matched the face, and a match needs both.
func (d *Document) validateModality(p *problems) (fingerOnly bool) {
	if d.V < 4 {
		p.check(d.Modality == "" && d.Finger == nil, "modality", "modality and finger are version 4 members")
		return false
	}
	switch d.Modality {
	case ModalityFace:
		p.check(d.Finger == nil, "finger", "only with modality finger or face_and_finger")
		return false
	case ModalityFinger:
		l := d.Liveness
		p.check(l.Attempts == 0 && len(l.Commands) == 0 && l.Passive == nil, "liveness", "must be empty with modality finger")
		p.check(d.BestFrame == nil, "best_frame", "must be absent with modality finger")
		p.check(d.Device.Mode == ModeKiosk, "device.mode", "must be %s with modality finger", ModeKiosk)
		p.check(d.IDEC == nil, "idec", "must be absent with modality finger: IDEC's answer is finger.idec")
		if d.Decision == DecisionMatch || d.Decision == DecisionNoMatch {
			p.check(d.Finger != nil && d.Finger.IDEC != nil, "finger.idec", "missing with decision %s", d.Decision)
		}
	case ModalityFaceAndFinger:
		if d.Finger != nil && d.Finger.IDEC != nil {
			p.check(d.IDEC != nil && d.IDEC.Decision == DecisionMatch, "idec", "the face must have matched before the fingerprint was compared")
		}
		if d.Decision == DecisionMatch {
			p.check(d.Finger != nil && d.Finger.IDEC != nil, "finger.idec", "missing with decision match: both must match")
		}
	default:
		p.add("modality", "must be %s, %s or %s", ModalityFace, ModalityFinger, ModalityFaceAndFinger)
		return false
	}
	if f := d.Finger; f != nil {
		p.check(f.Position.Code() != 0, "finger.position", "unknown finger")
		p.check(f.Quality >= 0 && f.Quality <= 100, "finger.quality", "must be 0-100")
		p.check(f.Impressions >= 1 && f.Impressions <= 5, "finger.impressions", "must be 1-5")
		p.check(isHex(f.TemplateSHA256, 64), "finger.template_sha256", "must be 64 lowercase hex digits")
		if f.Record == nil {
			p.add("finger.record", "missing")
		} else {
			f.Record.validate(p, "finger.record")
		}
	}
	return d.Modality == ModalityFinger
}

func (l *Liveness) validate(p *problems, v int) {
	p.check(l.Attempts >= 0, "liveness.attempts", "negative")
	for i, c := range l.Commands {
		at := fmt.Sprintf("liveness.commands[%d]", i)
		p.check(c.Attempt >= 1 && c.Attempt <= l.Attempts, at+".attempt", "must be 1-liveness.attempts")
		p.check(c.Index >= 0, at+".index", "negative")
		p.check(c.Command != "", at+".command", "missing")
		switch c.Outcome {
		case OutcomePassed, OutcomeInterrupted:
		case OutcomeFailed:
			p.check(c.Reason != "", at+".reason", "missing with outcome failed")
		default:
			p.add(at+".outcome", "must be passed, failed or interrupted")
		}
		p.check(unit(c.Progress), at+".progress", "must be 0-1")
		if c.Image != nil {
			c.Image.validate(p, at+".image")
		}
	}
	if l.Passive != nil {
		switch l.Passive.Decision {
		case "live", "spoof", "undecided":
		default:
			p.add("liveness.passive.decision", "must be live, spoof or undecided")
		}
		p.check(unit(l.Passive.PLive), "liveness.passive.p_live", "must be 0-1")
		p.check(l.Passive.Frames >= 0, "liveness.passive.frames", "negative")
		l.Passive.validateCues(p, v)
	}
}

// validateCues checks version 2's cues and version 3's decided_by: none
// in an older document; each cue named once, with finite figures in range,
// and no contribution from a cue that had no evidence; decided_by names
// one of the cues of a spoof.
func (x *Passive) validateCues(p *problems, v int) {
	p.check(v >= 3 || x.DecidedBy == "", "liveness.passive.decided_by", "is a version 3 member")
	if v < 2 {
		p.check(len(x.Cues) == 0 && x.FusionBias == 0, "liveness.passive", "cues and fusion_bias are version 2 members")
		return
	}
	p.check(finite(x.FusionBias), "liveness.passive.fusion_bias", "must be finite")
	seen := make(map[string]bool, len(x.Cues))
	for i, c := range x.Cues {
		at := fmt.Sprintf("liveness.passive.cues[%d]", i)
		p.check(c.Name != "" && len(c.Name) <= 64 && printable(c.Name), at+".name", "must be 1-64 printable characters")
		p.check(!seen[c.Name], at+".name", "repeated")
		seen[c.Name] = true
		p.check(unit(c.Score), at+".score", "must be 0-1")
		p.check(finite(c.Weight) && c.Weight >= 0, at+".weight", "must be finite and non-negative")
		p.check(finite(c.Contribution), at+".contribution", "must be finite")
		p.check(c.Available || c.Contribution == 0, at+".contribution", "must be 0 when not available")
	}
	if x.DecidedBy != "" {
		p.check(x.Decision == "spoof", "liveness.passive.decided_by", "only with decision spoof")
		p.check(seen[x.DecidedBy], "liveness.passive.decided_by", "must name one of the cues")
	}
}

// validate checks version 3's attestation: none before, a known policy
// and verdict, a platform unless absent, a reason with invalid, an app with
// valid.
func (a *Attestation) validate(p *problems, v int) {
	if v < 3 {
		p.add("attestation", "a version 3 member")
		return
	}
	p.check(a.Policy == AttestationReport || a.Policy == AttestationRequire, "attestation.policy", "must be %s or %s", AttestationReport, AttestationRequire)
	switch a.Verdict {
	case AttestationValid:
		p.check(a.Platform == PlatformAndroid || a.Platform == PlatformIOS, "attestation.platform", "must be %s or %s", PlatformAndroid, PlatformIOS)
		p.check(a.AppID != "", "attestation.app_id", "missing with verdict valid")
		p.check(a.Reason == "", "attestation.reason", "must be empty with verdict valid")
	case AttestationInvalid:
		p.check(a.Reason != "", "attestation.reason", "missing with verdict invalid")
		p.check(a.Platform == "" || a.Platform == PlatformAndroid || a.Platform == PlatformIOS, "attestation.platform", "must be %s or %s", PlatformAndroid, PlatformIOS)
	case AttestationAbsent:
		p.check(a.Platform == "" && a.Reason == "" && a.AppID == "", "attestation", "platform, reason and app_id must be empty with verdict absent")
	default:
		p.add("attestation.verdict", "must be valid, invalid or absent")
	}
	if a.Verdict != AttestationValid {
		p.check(a.Policy != AttestationRequire, "attestation.verdict", "must be valid with policy require")
	}
	for _, m := range []struct{ at, s string }{{"attestation.app_id", a.AppID}, {"attestation.security_level", a.SecurityLevel}, {"attestation.environment", a.Environment}} {
		p.check(len(m.s) <= 256 && printable(m.s), m.at, "must be at most 256 printable characters")
	}
	p.check(len(a.Nonce) == 43, "attestation.nonce", "must be 32 bytes in unpadded base64url")
}

func (r *ImageRef) validate(p *problems, at string) {
	p.check(r.Name != "", at+".name", "missing")
	p.check(isHex(r.SHA256, 64), at+".sha256", "must be 64 lowercase hex digits")
	p.check(r.Bytes > 0, at+".bytes", "must be positive")
	p.check(r.Width > 0 && r.Height > 0, at+".width", "width and height must be positive")
	p.check(r.Quality >= 0 && r.Quality <= 100, at+".quality", "must be 0-100")
}

func (x *IDEC) validate(p *problems, at string) {
	p.check(x.RequestID != "", at+".request_id", "missing")
	p.check(x.Decision == DecisionMatch || x.Decision == DecisionNoMatch, at+".decision", "must be match or no_match")
	p.check(unit(x.Similarity), at+".similarity", "must be 0-1")
	p.check(unit(x.Threshold), at+".threshold", "must be 0-1")
	p.check(x.LatencyMS >= 0, at+".latency_ms", "negative")
}

// problems collects what Validate finds.
type problems []string

func (p *problems) add(member, format string, args ...any) {
	*p = append(*p, member+": "+fmt.Sprintf(format, args...))
}

func (p *problems) check(ok bool, member, format string, args ...any) {
	if !ok {
		p.add(member, format, args...)
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	const most = 5 // enough to act on; the rest usually follow from them
	if len(p) > most {
		p = append(p[:most:most], fmt.Sprintf("and %d more", len(p)-most))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(p, "; "))
}

func isHex(s string, n int) bool {
	if len(s) != n {
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
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func unit(x float64) bool { return x >= 0 && x <= 1 && !math.IsNaN(x) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// printable: valid UTF-8 without control characters.
func printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
