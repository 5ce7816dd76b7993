package attest

import (
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Platform is the calling app's platform.
type Platform string

// Platforms.
const (
	// Android: hardware key attestation (Evidence.Chain).
	Android Platform = "android"
	// IOS: Apple App Attest (Evidence.Object), on iOS and iPadOS.
	IOS Platform = "ios"
)

// Verdict says what the verification concluded.
type Verdict string

// Verdicts.
const (
	// Valid: the attestation verified: a trusted app on a genuine device,
	// bound to this session's challenge.
	Valid Verdict = "valid"
	// Invalid: an attestation was sent and failed a check (Outcome.Reason).
	Invalid Verdict = "invalid"
	// Absent: the app sent no attestation.
	Absent Verdict = "absent"
)

// Reasons an attestation is invalid: stable words, recorded in documents
// and logs. They name the check, never the data.
const (
	// ReasonMalformed: the evidence could not be decoded (base64, CBOR,
	// DER, a missing member).
	ReasonMalformed = "malformed"
	// ReasonUnknownPlatform: the platform is none of Android, IOS.
	ReasonUnknownPlatform = "unknown_platform"
	// ReasonPlatformNotConfigured: the gateway trusts no app of this
	// platform.
	ReasonPlatformNotConfigured = "platform_not_configured"
	// ReasonUntrustedChain: the certificates do not chain to the vendor's
	// root (a self-made chain, an altered byte, a wrong root).
	ReasonUntrustedChain = "untrusted_chain"
	// ReasonExpired: a certificate of the chain is outside its validity
	// at the time of the check.
	ReasonExpired = "certificate_expired"
	// ReasonRevoked: a certificate of Android's chain is on Google's
	// status list (revoked or suspended).
	ReasonRevoked = "certificate_revoked"
	// ReasonChallengeMismatch: the attestation was made for another
	// challenge: another session, or a replay.
	ReasonChallengeMismatch = "challenge_mismatch"
	// ReasonAppNotTrusted: the app (package and signing certificate, or
	// team and bundle id) is not one the gateway trusts.
	ReasonAppNotTrusted = "app_not_trusted"
	// ReasonSoftwareKey: Android's key lives in software, not in a TEE or
	// StrongBox.
	ReasonSoftwareKey = "software_key"
	// ReasonBootNotVerified: Android's verified boot is not in the
	// verified state or the bootloader is unlocked.
	ReasonBootNotVerified = "boot_not_verified"
	// ReasonEnvironment: Apple's App Attest environment is development
	// where production is required, or unknown.
	ReasonEnvironment = "environment"
	// ReasonKeyMismatch: Apple's key identifier differs from the
	// attested key, or its counter is not 0.
	ReasonKeyMismatch = "key_mismatch"
)

// Evidence is what the app sent to prove itself.
type Evidence struct {
	// Platform is the app's platform.
	Platform Platform
	// Chain is Android's attestation certificate chain, DER, leaf first;
	// the root may be left out.
	Chain [][]byte
	// Object is Apple's attestation object (CBOR) as attestKey returned
	// it.
	Object []byte
	// KeyID is Apple's key identifier (SHA-256 of the key's public point)
	// as the app knows it; optional: when set it must match.
	KeyID []byte
}

// Outcome is the result of one verification: a value, never an error.
type Outcome struct {
	// Platform is the evidence's platform; empty with Absent.
	Platform Platform
	// Verdict is Valid, Invalid or Absent.
	Verdict Verdict
	// Reason is a Reason* word with Invalid; empty otherwise.
	Reason string
	// AppID is the attested app: Android's package name, Apple's
	// TEAMID.bundle.id. Set with Valid, and with Invalid when the app was
	// read before the failing check.
	AppID string
	// SecurityLevel is where the key lives: "tee" or "strongbox"
	// (Android), "secure_enclave" (Apple).
	SecurityLevel string
	// Environment is Apple's App Attest environment, "production" or
	// "development"; empty for Android.
	Environment string
}

func invalid(p Platform, reason string) Outcome {
	return Outcome{Platform: p, Verdict: Invalid, Reason: reason}
}

// Verifier verifies one platform's evidence against the challenge the
// session expects. Implementations are safe for concurrent use.
type Verifier interface {
	Verify(ev Evidence, challenge []byte) Outcome
}

// Verifiers verifies each platform with its own Verifier; a nil one means
// the gateway trusts no app of that platform. The zero Verifiers refuses
// every attestation. Safe for concurrent use when its verifiers are.
type Verifiers struct {
	Android Verifier
	IOS     Verifier
}

// Verify verifies ev, or says Absent when ev is nil.
func (vs Verifiers) Verify(ev *Evidence, challenge []byte) Outcome {
	if ev == nil {
		return Outcome{Verdict: Absent}
	}
	var v Verifier
	switch ev.Platform {
	case Android:
		v = vs.Android
	case IOS:
		v = vs.IOS
	default:
		return Outcome{Verdict: Invalid, Reason: ReasonUnknownPlatform}
	}
	if v == nil {
		return invalid(ev.Platform, ReasonPlatformNotConfigured)
	}
	return v.Verify(*ev, challenge)
}

// challengeContext separates this package's challenges from any other
// use of the same nonces.
const challengeContext = "biogate.attest.v1"

// Challenge is the challenge an app attests for a session:
// SHA-256("biogate.attest.v1" || 0x00 || nonce || clientNonce), where
// nonce is the gateway's random nonce announced in hello and clientNonce
// the start's client_nonce (its UTF-8 bytes). The gateway's nonce makes it
// unique to the session, so an attestation cannot be replayed into
// another; the client nonce binds it to the start that carries it.
func Challenge(nonce []byte, clientNonce string) []byte {
	h := sha256.New()
	h.Write([]byte(challengeContext))
	h.Write([]byte{0})
	h.Write(nonce)
	h.Write([]byte(clientNonce))
	return h.Sum(nil)
}

//go:embed roots/*.pem
var rootFiles embed.FS

// GoogleRoots returns Google's published hardware attestation roots,
// embedded in this package.
func GoogleRoots() []*x509.Certificate { return embedded("google_") }

// AppleRoots returns Apple's App Attestation Root CA, embedded in this
// package.
func AppleRoots() []*x509.Certificate { return embedded("apple_") }

func embedded(prefix string) []*x509.Certificate {
	entries, err := rootFiles.ReadDir("roots")
	if err != nil {
		panic(err) // embedded at build time
	}
	var out []*x509.Certificate
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		b, err := rootFiles.ReadFile(path.Join("roots", e.Name()))
		if err != nil {
			panic(err)
		}
		certs, err := ParsePEM(b)
		if err != nil {
			panic(fmt.Sprintf("attest: embedded %s: %v", e.Name(), err))
		}
		out = append(out, certs...)
	}
	return out
}

// ParsePEM reads every CERTIFICATE block of b (text around them, such as
// comments naming their source, is ignored); it fails when there is none.
func ParsePEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("attest: certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("attest: no certificate")
	}
	return out, nil
}

// verifyChain checks that certs (leaf first) chain to one of roots at
// time now. A certificate of the chain equal to a root is taken as that
// root.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, now time.Time) string {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil {
		return ""
	}
	var ie x509.CertificateInvalidError
	if errors.As(err, &ie) && ie.Reason == x509.Expired {
		return ReasonExpired
	}
	return ReasonUntrustedChain
}

func pool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func parseChain(ders [][]byte) ([]*x509.Certificate, bool) {
	if len(ders) == 0 || len(ders) > maxChain {
		return nil, false
	}
	out := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, false
		}
		out = append(out, c)
	}
	return out, true
}

// maxChain bounds a chain's length: real ones have 3 to 6 certificates.
const maxChain = 8
