package gateway

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
)

// attestNonceLen is the length of a session's attestation nonce, bytes.
const attestNonceLen = 32

// attesting reports whether the session's key asks for app attestation:
// hello then announces it, and a relay start is checked.
func (s *session) attesting() bool {
	return s.key.attest == AttestReport || s.key.attest == AttestRequire
}

// newAttestNonce draws the session's attestation nonce when its key asks
// for attestation.
func (s *session) newAttestNonce() {
	if s.attesting() {
		s.attestNonce = make([]byte, attestNonceLen)
		rand.Read(s.attestNonce) // never fails (crypto/rand, Go 1.24+)
	}
}

// attestOffer is hello's attestation member; nil when the key's policy is
// off.
func (s *session) attestOffer() *protocol.AttestationOffer {
	if !s.attesting() {
		return nil
	}
	return &protocol.AttestationOffer{Policy: string(s.key.attest), Nonce: base64.RawURLEncoding.EncodeToString(s.attestNonce)}
}

// checkAttestation verifies a relay start's attestation when the key asks
// for one, and keeps the outcome for the document (s.attestation). With
// policy require, a start without a valid attestation ends the session
// (attestation_required, attestation_failed) and ok is false. Kiosk
// sessions are not checked: their frames come from the gateway's own
// camera. s.mu is held.
func (s *session) checkAttestation(st *protocol.Start) (ok bool) {
	if !s.attesting() || st.Camera.Mode != protocol.CameraRelay {
		return true
	}
	var out attest.Outcome
	if ev, decoded := evidenceOf(st.Attestation); decoded {
		out = s.srv.cfg.Attester.Verify(ev, attest.Challenge(s.attestNonce, st.ClientNonce))
	} else {
		out = attest.Outcome{Platform: attest.Platform(st.Attestation.Platform), Verdict: attest.Invalid, Reason: attest.ReasonMalformed}
	}
	s.attestation = &out
	platform := string(out.Platform)
	if platform != protocol.PlatformAndroid && platform != protocol.PlatformIOS {
		platform = "none"
	}
	s.srv.m.attestations.WithLabelValues(platform, string(out.Verdict)).Inc()
	s.log.Info("app attestation", "policy", s.key.attest, "verdict", out.Verdict, "platform", out.Platform,
		"reason", out.Reason, "app", out.AppID)
	if s.key.attest != AttestRequire || out.Verdict == attest.Valid {
		return true
	}
	code := protocol.CodeAttestationFailed
	if out.Verdict == attest.Absent {
		code = protocol.CodeAttestationRequired
	}
	s.failLocked(code, 0)
	s.outcome = string(code) // not a malformed start: a refused app
	return false
}

// evidenceOf decodes a start's attestation: nil for none; decoded is false
// when a value is not base64 or the chain is too long.
func evidenceOf(a *protocol.Attestation) (ev *attest.Evidence, decoded bool) {
	if a == nil {
		return nil, true
	}
	ev = &attest.Evidence{Platform: attest.Platform(a.Platform)}
	if len(a.CertChain) > protocol.MaxAttestationCerts {
		return nil, false
	}
	for _, c := range a.CertChain {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return nil, false
		}
		ev.Chain = append(ev.Chain, der)
	}
	var err error
	if a.Object != "" {
		if ev.Object, err = base64.StdEncoding.DecodeString(a.Object); err != nil {
			return nil, false
		}
	}
	if a.KeyID != "" {
		if ev.KeyID, err = base64.StdEncoding.DecodeString(a.KeyID); err != nil {
			return nil, false
		}
	}
	return ev, true
}

// attestationDoc is the document's attestation member; nil when the
// session's start was not checked.
func (s *session) attestationDoc() *document.Attestation {
	a := s.attestation
	if a == nil {
		return nil
	}
	return &document.Attestation{
		Policy: string(s.key.attest), Verdict: string(a.Verdict), Platform: string(a.Platform), Reason: a.Reason,
		AppID: a.AppID, SecurityLevel: a.SecurityLevel, Environment: a.Environment,
		Nonce: base64.RawURLEncoding.EncodeToString(s.attestNonce),
	}
}
