package document

import (
	"testing"
	"time"
)

// BenchmarkSign measures one document: validation, JSON and the Ed25519
// signature through the Keyring (with its check for a rotation).
func BenchmarkSign(b *testing.B) {
	k, err := NewKeyring(KeyringConfig{Dir: b.TempDir(), RotateEvery: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	d := sample(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(k, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures one document's verification: header, signature,
// strict decoding, validation and the key's validity.
func BenchmarkVerify(b *testing.B) {
	k, err := NewKeyring(KeyringConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	jws, err := Sign(k, sample(now))
	if err != nil {
		b.Fatal(err)
	}
	keys, err := k.Keys()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(jws)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(jws, keys, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignKeySigner is BenchmarkSign without the Keyring: the cost of
// the document and the signature alone.
func BenchmarkSignKeySigner(b *testing.B) {
	s, _ := newEd25519(b, time.Now())
	d := sample(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(s, d); err != nil {
			b.Fatal(err)
		}
	}
}
