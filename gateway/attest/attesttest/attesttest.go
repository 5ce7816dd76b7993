// Package attesttest makes Android key attestation chains under a root of
// its own, for tests: the same structure as a device's chain (root,
// intermediate, leaf with the KeyDescription extension), so a verifier
// given this root accepts them and one given Google's roots refuses them.
// Real devices' chains cannot be made for a new challenge, so this is
// what lets a test bind an attestation to a live session.
package attesttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
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
