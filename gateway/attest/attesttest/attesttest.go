// Package attesttest makes app attestations under a root of its own, for
// tests: Android key attestation chains (root, intermediate, leaf with the
// KeyDescription extension) and Apple App Attest objects (CBOR with an x5c
// chain, the nonce extension and authenticator data), with the same
// structure as a device's, so a verifier given this root accepts them and
// one given the vendors' roots refuses them. Real devices' attestations
// cannot be made for a new challenge, so this is what lets a test bind an
// attestation to a live session.
package attesttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"testing"
	"time"
)

// Security levels and boot states of a made-up key.
const (
	LevelSoftware  = 0
	LevelTEE       = 1
	LevelStrongBox = 2

	BootVerified   = 0
	BootUnverified = 2
)

// Key describes the attested key of a chain.
type Key struct {
	Challenge []byte
	Package   string
	// SigningDigest is the SHA-256 of the app's signing certificate.
	SigningDigest []byte
	Level         int
	BootState     int
	Unlocked      bool
}

// CA is a made-up attestation root and intermediate. Safe for concurrent
// use.
type CA struct {
	Root     *x509.Certificate
	rootKey  *ecdsa.PrivateKey
	inter    *x509.Certificate
	interKey *ecdsa.PrivateKey
}

// NewCA makes a root and an intermediate valid from an hour ago for ten
// years.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca := &CA{rootKey: newKey(t), interKey: newKey(t)}
	now := time.Now()
	rootT := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attesttest root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ca.Root = create(t, rootT, rootT, &ca.rootKey.PublicKey, ca.rootKey)
	interT := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "attesttest intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ca.inter = create(t, interT, ca.Root, &ca.interKey.PublicKey, ca.rootKey)
	return ca
}

// Chain returns a chain for k, DER, leaf first, root last.
func (ca *CA) Chain(t testing.TB, k Key) [][]byte {
	t.Helper()
	ext, err := asn1.Marshal(keyDescription(k))
	if err != nil {
		t.Fatal(err)
	}
	leafKey := newKey(t)
	leafT := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Android Keystore Key"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2048, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 1, 17}, Value: ext}},
	}
	leaf := create(t, leafT, ca.inter, &leafKey.PublicKey, ca.interKey)
	return [][]byte{leaf.Raw, ca.inter.Raw, ca.Root.Raw}
}

type kd struct {
	AttestationVersion       int
	AttestationSecurityLevel asn1.Enumerated
	KeymasterVersion         int
	KeymasterSecurityLevel   asn1.Enumerated
	AttestationChallenge     []byte
	UniqueID                 []byte
	SoftwareEnforced         asn1.RawValue
	TeeEnforced              asn1.RawValue
}

func keyDescription(k Key) kd {
	type pkg struct {
		Name    []byte
		Version int64
	}
	type appID struct {
		Packages []pkg    `asn1:"set"`
		Digests  [][]byte `asn1:"set"`
	}
	type rot struct {
		Key    []byte
		Locked bool
		State  asn1.Enumerated
		Hash   []byte
	}
	id := must(asn1.Marshal(appID{Packages: []pkg{{[]byte(k.Package), 1}}, Digests: [][]byte{k.SigningDigest}}))
	sw := tagged(709, must(asn1.Marshal(id)))
	tee := tagged(704, must(asn1.Marshal(rot{Key: make([]byte, 32), Locked: !k.Unlocked, State: asn1.Enumerated(k.BootState), Hash: make([]byte, 32)})))
	return kd{
		AttestationVersion: 200, AttestationSecurityLevel: asn1.Enumerated(k.Level),
		KeymasterVersion: 200, KeymasterSecurityLevel: asn1.Enumerated(k.Level),
		AttestationChallenge: k.Challenge, UniqueID: []byte{},
		SoftwareEnforced: seq(sw), TeeEnforced: seq(tee),
	}
}

func tagged(tag int, inner []byte) []byte {
	return must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: inner}))
}

func seq(members ...[]byte) asn1.RawValue {
	var b []byte
	for _, m := range members {
		b = append(b, m...)
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: b}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// AppleKey describes an App Attest attestation.
type AppleKey struct {
	// AppID is TEAMID.bundle.id.
	AppID string
	// Challenge is the client data whose SHA-256 the app passes as
	// clientDataHash.
	Challenge []byte
	// Development uses the development environment's AAGUID.
	Development bool
	// Counter is the authenticator data's counter (0 for an attestation).
	Counter uint32
}

// AppleObject returns an attestation object for k and the attested key's
// identifier.
func (ca *CA) AppleObject(t testing.TB, k AppleKey) (object, keyID []byte) {
	t.Helper()
	key := newKey(t)
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(pub.Bytes())
	rp := sha256.Sum256([]byte(k.AppID))
	aaguid := append([]byte("appattest"), make([]byte, 7)...)
	if k.Development {
		aaguid = []byte("appattestdevelop")
	}
	auth := append(rp[:], 0x41)
	auth = binary.BigEndian.AppendUint32(auth, k.Counter)
	auth = append(auth, aaguid...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id[:]...)
	auth = append(auth, 0xa0) // the credential's COSE key (an empty map: not read)
	cdh := sha256.Sum256(k.Challenge)
	nonce := sha256.Sum256(append(append([]byte{}, auth...), cdh[:]...))
	inner := must(asn1.Marshal(nonce[:]))
	ext := must(asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true,
		Bytes: tagged(1, inner)}))
	leafT := &x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: hexString(id[:])},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(0, 0, 3),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 8, 2}, Value: ext}},
	}
	leaf := create(t, leafT, ca.inter, &key.PublicKey, ca.interKey)
	obj := cborMap(
		"fmt", cborText("apple-appattest"),
		"attStmt", cborMap("x5c", cborArray(cborBytes(leaf.Raw), cborBytes(ca.inter.Raw)), "receipt", cborBytes([]byte("receipt"))),
		"authData", cborBytes(auth),
	)
	return obj, id[:]
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// A few CBOR encoders (RFC 8949, definite lengths), enough for an
// attestation object.
func cborHead(major byte, n int) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
}

func cborBytes(b []byte) []byte { return append(cborHead(2, len(b)), b...) }

func cborText(s string) []byte { return append(cborHead(3, len(s)), s...) }

func cborArray(items ...[]byte) []byte {
	out := cborHead(4, len(items))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// cborMap takes key, value pairs: a string key, then its encoded value.
func cborMap(kv ...any) []byte {
	out := cborHead(5, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, cborText(kv[i].(string))...)
		out = append(out, kv[i+1].([]byte)...)
	}
	return out
}
