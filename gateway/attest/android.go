package attest

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// oidKeyDescription is Android's key attestation extension.
var oidKeyDescription = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 1, 17}

// Android security levels of KeyDescription.
const (
	levelSoftware  = 0
	levelTEE       = 1
	levelStrongBox = 2
)

// Tags of AuthorizationList the verifier reads.
const (
	tagRootOfTrust   = 704
	tagApplicationID = 709
)

// AndroidApp is an Android app the gateway trusts: its package name and
// the SHA-256 digests of the certificates it may be signed with (any one
// of them suffices: signing key rotation lists several).
type AndroidApp struct {
	Package        string
	SigningDigests [][]byte
}

// ParseAndroidApp reads "PACKAGE:HEX[:HEX...]", each HEX the SHA-256 of a
// signing certificate (64 hex digits; colons or case as apksigner prints
// them are not accepted: join the digits).
func ParseAndroidApp(s string) (AndroidApp, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || parts[0] == "" {
		return AndroidApp{}, fmt.Errorf("attest: android app %q: want PACKAGE:SHA256HEX", s)
	}
	a := AndroidApp{Package: parts[0]}
	for _, h := range parts[1:] {
		d, err := hex.DecodeString(h)
		if err != nil || len(d) != 32 {
			return AndroidApp{}, fmt.Errorf("attest: android app %s: signing digest must be 64 hex digits", parts[0])
		}
		a.SigningDigests = append(a.SigningDigests, d)
	}
	return a, nil
}

// AndroidConfig configures an AndroidVerifier.
type AndroidConfig struct {
	// Apps are the trusted apps; at least one.
	Apps []AndroidApp
	// Roots are the trusted roots [GoogleRoots()].
	Roots []*x509.Certificate
	// AllowUnverifiedBoot accepts a device whose verified boot state is
	// not "verified" or whose bootloader is unlocked (tests on developer
	// devices only) [false].
	AllowUnverifiedBoot bool
	// Clock is the time certificates are checked at [time.Now].
	Clock func() time.Time
	// Revoked are the serial numbers of revoked or suspended attestation
	// certificates (ParseStatusList), lowercase hex without leading
	// zeros; nil checks none.
	Revoked map[string]bool
}

// ParseStatusList reads Google's attestation status list, the JSON served
// at android.googleapis.com/attestation/status: {"entries": {SERIAL:
// {"status": "REVOKED"|"SUSPENDED", ...}}}, SERIAL in hex. Every entry
// counts, whatever its status: a suspended key is not to be trusted now.
func ParseStatusList(b []byte) (map[string]bool, error) {
	var list struct {
		Entries map[string]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("attest: status list: %w", err)
	}
	if list.Entries == nil {
		return nil, errors.New("attest: status list: no entries member")
	}
	out := make(map[string]bool, len(list.Entries))
	for serial := range list.Entries {
		n, ok := new(big.Int).SetString(serial, 16)
		if !ok {
			return nil, fmt.Errorf("attest: status list: serial %q is not hex", serial)
		}
		out[n.Text(16)] = true
	}
	return out, nil
}

// AndroidVerifier verifies Android hardware key attestation: the chain
// to Google's roots, the KeyDescription extension of the leaf (its
// attestationChallenge, its security level, the app's package and
// signing certificate, verified boot), and, given Google's status list
// (Config.Revoked, a copy the operator refreshes), that no certificate of
// the chain is revoked. Safe for concurrent use.
type AndroidVerifier struct {
	cfg   AndroidConfig
	roots *x509.CertPool
}

// NewAndroid returns an AndroidVerifier for cfg.
func NewAndroid(cfg AndroidConfig) (*AndroidVerifier, error) {
	if len(cfg.Apps) == 0 {
		return nil, errors.New("attest: android: no trusted app")
	}
	for _, a := range cfg.Apps {
		if a.Package == "" || len(a.SigningDigests) == 0 {
			return nil, errors.New("attest: android: an app needs a package and a signing digest")
		}
	}
	if cfg.Roots == nil {
		cfg.Roots = GoogleRoots()
	}
	if len(cfg.Roots) == 0 {
		return nil, errors.New("attest: android: no root")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &AndroidVerifier{cfg: cfg, roots: pool(cfg.Roots)}, nil
}

// keyDescription is the KeyDescription of Android's attestation
// extension, up to the two authorization lists.
type keyDescription struct {
	AttestationVersion       int
	AttestationSecurityLevel asn1.Enumerated
	KeymasterVersion         int
	KeymasterSecurityLevel   asn1.Enumerated
	AttestationChallenge     []byte
	UniqueID                 []byte
	SoftwareEnforced         asn1.RawValue
	TeeEnforced              asn1.RawValue
}

type rootOfTrust struct {
	VerifiedBootKey   []byte
	DeviceLocked      bool
	VerifiedBootState asn1.Enumerated
	VerifiedBootHash  []byte `asn1:"optional"`
}

type attestationApplicationID struct {
	PackageInfos     []packageInfo `asn1:"set"`
	SignatureDigests [][]byte      `asn1:"set"`
}

type packageInfo struct {
	PackageName []byte
	Version     int64
}

// Verify implements Verifier.
func (v *AndroidVerifier) Verify(ev Evidence, challenge []byte) Outcome {
	certs, ok := parseChain(ev.Chain)
	if !ok {
		return invalid(Android, ReasonMalformed)
	}
	if r := verifyChain(certs, v.roots, v.cfg.Clock()); r != "" {
		return invalid(Android, r)
	}
	for _, c := range certs {
		if v.cfg.Revoked[c.SerialNumber.Text(16)] {
			return invalid(Android, ReasonRevoked)
		}
	}
	var kd keyDescription
	if !keyDescriptionOf(certs[0], &kd) {
		return invalid(Android, ReasonMalformed)
	}
	if !bytes.Equal(kd.AttestationChallenge, challenge) {
		return invalid(Android, ReasonChallengeMismatch)
	}
	out := Outcome{Platform: Android}
	switch kd.AttestationSecurityLevel {
	case levelTEE:
		out.SecurityLevel = "tee"
	case levelStrongBox:
		out.SecurityLevel = "strongbox"
	default:
		out.Verdict, out.Reason = Invalid, ReasonSoftwareKey
		return out
	}
	app, ok := v.application(&kd)
	out.AppID = app
	if !ok {
		out.Verdict, out.Reason = Invalid, ReasonAppNotTrusted
		return out
	}
	// The root of trust is only meaningful where the hardware enforces it.
	rot, found := findTagged(kd.TeeEnforced, tagRootOfTrust)
	var r rootOfTrust
	if !found || !unmarshalAll(rot, &r) {
		out.Verdict, out.Reason = Invalid, ReasonMalformed
		return out
	}
	if !v.cfg.AllowUnverifiedBoot && (r.VerifiedBootState != 0 || !r.DeviceLocked) {
		out.Verdict, out.Reason = Invalid, ReasonBootNotVerified
		return out
	}
	out.Verdict = Valid
	return out
}

// keyDescriptionOf reads the leaf's KeyDescription: the attested key's
// (with an attest key, the certificates above it carry their own, which
// say nothing of this key).
func keyDescriptionOf(leaf *x509.Certificate, kd *keyDescription) bool {
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidKeyDescription) {
			rest, err := asn1.Unmarshal(e.Value, kd)
			return err == nil && len(rest) == 0
		}
	}
	return false
}

// application returns the attested app and whether a trusted app matches
// it: one of its packages (apps sharing a user id are listed together, all
// signed by the same certificates) with one of its signing digests. The
// name is the trusted package, else the first one listed.
func (v *AndroidVerifier) application(kd *keyDescription) (string, bool) {
	raw, found := findTagged(kd.SoftwareEnforced, tagApplicationID)
	if !found {
		raw, found = findTagged(kd.TeeEnforced, tagApplicationID)
	}
	var octets []byte
	if !found || !unmarshalAll(raw, &octets) {
		return "", false
	}
	var id attestationApplicationID
	if !unmarshalAll(octets, &id) || len(id.PackageInfos) == 0 {
		return "", false
	}
	for _, p := range id.PackageInfos {
		name := string(p.PackageName)
		for _, a := range v.cfg.Apps {
			if a.Package == name && signedBy(id.SignatureDigests, a.SigningDigests) {
				return name, true
			}
		}
	}
	return string(id.PackageInfos[0].PackageName), false
}

func signedBy(got, want [][]byte) bool {
	for _, w := range want {
		for _, g := range got {
			if bytes.Equal(w, g) {
				return true
			}
		}
	}
	return false
}

// findTagged returns the content of the explicitly tagged member [tag] of
// an AuthorizationList (a SEQUENCE of context-specific members).
func findTagged(list asn1.RawValue, tag int) ([]byte, bool) {
	rest := list.Bytes
	for len(rest) > 0 {
		var m asn1.RawValue
		var err error
		rest, err = asn1.Unmarshal(rest, &m)
		if err != nil {
			return nil, false
		}
		if m.Class == asn1.ClassContextSpecific && m.Tag == tag {
			return m.Bytes, true
		}
	}
	return nil, false
}

func unmarshalAll(b []byte, v any) bool {
	rest, err := asn1.Unmarshal(b, v)
	return err == nil && len(rest) == 0
}
