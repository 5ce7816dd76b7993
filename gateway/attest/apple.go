package attest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// oidAppleNonce is the App Attest nonce extension of the credential
// certificate.
var oidAppleNonce = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 8, 2}

// App Attest environments, as the authenticator data's AAGUID names them.
var (
	aaguidDevelopment = []byte("appattestdevelop")
	aaguidProduction  = append([]byte("appattest"), make([]byte, 7)...)
)

// ParseAppleAppID checks "TEAMID.bundle.id": a 10-character team id, a
// dot, and a bundle id.
func ParseAppleAppID(s string) (string, error) {
	s = strings.TrimSpace(s)
	team, bundle, ok := strings.Cut(s, ".")
	if !ok || len(team) != 10 || bundle == "" || strings.ContainsAny(s, " \t") {
		return "", fmt.Errorf("attest: apple app id %q: want TEAMID.bundle.id", s)
	}
	return s, nil
}

// AppleConfig configures an AppleVerifier.
type AppleConfig struct {
	// AppIDs are the trusted apps, "TEAMID.bundle.id"; at least one.
	AppIDs []string
	// Roots are the trusted roots [AppleRoots()].
	Roots []*x509.Certificate
	// AllowDevelopment accepts keys of App Attest's development
	// environment (apps run from Xcode) [false: production only].
	AllowDevelopment bool
	// Clock is the time certificates are checked at [time.Now].
	Clock func() time.Time
}

// AppleVerifier verifies an App Attest attestation object as Apple's
// "Validating apps that connect to your server" describes it: the x5c
// chain to Apple's App Attestation root, the nonce extension against
// SHA-256(authData || SHA-256(challenge)), the key identifier, the
// rpIdHash against a trusted app id, a counter of 0 and the environment.
// The receipt is not checked (it serves fraud assessment with Apple's
// server). Safe for concurrent use.
type AppleVerifier struct {
	cfg   AppleConfig
	roots *x509.CertPool
	apps  map[[32]byte]string // SHA-256 of the app id → the app id
}

// NewApple returns an AppleVerifier for cfg.
func NewApple(cfg AppleConfig) (*AppleVerifier, error) {
	if len(cfg.AppIDs) == 0 {
		return nil, errors.New("attest: apple: no trusted app")
	}
	if cfg.Roots == nil {
		cfg.Roots = AppleRoots()
	}
	if len(cfg.Roots) == 0 {
		return nil, errors.New("attest: apple: no root")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	v := &AppleVerifier{cfg: cfg, roots: pool(cfg.Roots), apps: map[[32]byte]string{}}
	for _, id := range cfg.AppIDs {
		if _, err := ParseAppleAppID(id); err != nil {
			return nil, err
		}
		v.apps[sha256.Sum256([]byte(id))] = id
	}
	return v, nil
}

// authData is the authenticator data of an attestation (WebAuthn's
// layout).
type authData struct {
	rpIDHash     []byte
	counter      uint32
	aaguid       []byte
	credentialID []byte
}

func parseAuthData(b []byte) (authData, bool) {
	// rpIdHash 32, flags 1, counter 4, aaguid 16, credentialId length 2.
	const head = 32 + 1 + 4 + 16 + 2
	if len(b) < head {
		return authData{}, false
	}
	n := int(binary.BigEndian.Uint16(b[53:55]))
	if len(b) < head+n {
		return authData{}, false
	}
	return authData{rpIDHash: b[:32], counter: binary.BigEndian.Uint32(b[33:37]), aaguid: b[37:53], credentialID: b[head : head+n]}, true
}

// Verify implements Verifier. The challenge is the client data whose
// SHA-256 the app passed to attestKey as clientDataHash.
func (v *AppleVerifier) Verify(ev Evidence, challenge []byte) Outcome {
	obj, err := decodeCBOR(ev.Object)
	top, _ := obj.(map[string]any)
	if err != nil || top == nil {
		return invalid(IOS, ReasonMalformed)
	}
	stmt, _ := top["attStmt"].(map[string]any)
	raw, _ := top["authData"].([]byte)
	x5c, _ := stmt["x5c"].([]any)
	if top["fmt"] != "apple-appattest" || raw == nil || len(x5c) < 2 {
		return invalid(IOS, ReasonMalformed)
	}
	ders := make([][]byte, len(x5c))
	for i, c := range x5c {
		if ders[i], _ = c.([]byte); ders[i] == nil {
			return invalid(IOS, ReasonMalformed)
		}
	}
	certs, ok := parseChain(ders)
	ad, adOK := parseAuthData(raw)
	if !ok || !adOK {
		return invalid(IOS, ReasonMalformed)
	}
	if r := verifyChain(certs, v.roots, v.cfg.Clock()); r != "" {
		return invalid(IOS, r)
	}
	cdh := sha256.Sum256(challenge)
	nonce := sha256.Sum256(append(append([]byte{}, raw...), cdh[:]...))
	got, ok := appleNonce(certs[0])
	if !ok {
		return invalid(IOS, ReasonMalformed)
	}
	if !bytes.Equal(got, nonce[:]) {
		return invalid(IOS, ReasonChallengeMismatch)
	}
	out := Outcome{Platform: IOS, SecurityLevel: "secure_enclave"}
	var rp [32]byte
	copy(rp[:], ad.rpIDHash)
	app, trusted := v.apps[rp]
	out.AppID = app
	if !trusted {
		out.Verdict, out.Reason = Invalid, ReasonAppNotTrusted
		return out
	}
	pub, ok := certs[0].PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return invalid(IOS, ReasonMalformed)
	}
	ecdhPub, err := pub.ECDH()
	if err != nil {
		return invalid(IOS, ReasonMalformed)
	}
	keyID := sha256.Sum256(ecdhPub.Bytes()) // the uncompressed point
	if !bytes.Equal(ad.credentialID, keyID[:]) || (ev.KeyID != nil && !bytes.Equal(ev.KeyID, keyID[:])) || ad.counter != 0 {
		out.Verdict, out.Reason = Invalid, ReasonKeyMismatch
		return out
	}
	switch {
	case bytes.Equal(ad.aaguid, aaguidProduction):
		out.Environment = "production"
	case bytes.Equal(ad.aaguid, aaguidDevelopment):
		out.Environment = "development"
		if !v.cfg.AllowDevelopment {
			out.Verdict, out.Reason = Invalid, ReasonEnvironment
			return out
		}
	default:
		out.Verdict, out.Reason = Invalid, ReasonEnvironment
		return out
	}
	out.Verdict = Valid
	return out
}

// appleNonce reads the nonce of the credential certificate's extension:
// SEQUENCE { [1] EXPLICIT OCTET STRING }.
func appleNonce(c *x509.Certificate) ([]byte, bool) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidAppleNonce) {
			continue
		}
		var seq asn1.RawValue
		if !unmarshalAll(e.Value, &seq) || seq.Tag != asn1.TagSequence {
			return nil, false
		}
		var tagged asn1.RawValue
		if !unmarshalAll(seq.Bytes, &tagged) || tagged.Class != asn1.ClassContextSpecific || tagged.Tag != 1 {
			return nil, false
		}
		var nonce []byte
		if !unmarshalAll(tagged.Bytes, &nonce) {
			return nil, false
		}
		return nonce, true
	}
	return nil, false
}
