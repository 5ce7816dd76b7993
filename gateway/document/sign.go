package document

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Type is the "typ" of every document's protected header.
const Type = "biogate-result+jws"

// Signer signs documents: the one thing a signing key must do, so that a
// key in an HSM or a signature under the national CA (GOST, through
// NCALayer) or a PKCS#11 token (gateway/document/token) can replace the
// default Ed25519 key without changing callers.
type Signer interface {
	// Sign returns payload as a JWS in compact serialisation whose
	// protected header names the algorithm ("alg"), the key ("kid") and
	// Type ("typ"). Safe for concurrent use.
	Sign(payload []byte) (string, error)
}

// Sign validates doc and returns its JSON signed by s: the document's
// compact JWS. IssuedAt and Consent.AcceptedAt are written in UTC to the
// millisecond; doc itself is not changed.
func Sign(s Signer, doc *Document) (string, error) {
	payload, err := Marshal(doc)
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("document: sign: %w", err)
	}
	return jws, nil
}

// Marshal validates doc and returns the JSON that Sign signs.
func Marshal(doc *Document) ([]byte, error) {
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	d := *doc // a shallow copy: only the times change
	d.IssuedAt = d.IssuedAt.UTC().Truncate(timeUnit)
	d.Consent.AcceptedAt = d.Consent.AcceptedAt.UTC().Truncate(timeUnit)
	b, err := json.Marshal(&d)
	if err != nil {
		return nil, fmt.Errorf("document: marshal: %w", err)
	}
	return b, nil
}

// Unmarshal decodes a document's JSON strictly: a member this version does
// not know, a value of the wrong type or data after the object is
// ErrMalformed, and the decoded document must pass Validate (ErrInvalid).
// It checks no signature: Verify is how to read a document received from
// elsewhere.
func Unmarshal(payload []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields() // a verifier must understand all it vouches for
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: payload: data after the document", ErrMalformed)
	}
	if d.V < MinVersion || d.V > Version {
		return nil, fmt.Errorf("%w: version %d, this verifier reads %d-%d", ErrMalformed, d.V, MinVersion, Version)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// KeySigner is a Signer holding one key. It is safe for concurrent use.
type KeySigner struct {
	kid    string
	alg    jose.SignatureAlgorithm
	signer jose.Signer
}

// NewKeySigner returns a Signer that signs with key under algorithm alg and
// names the key kid. key is an ed25519.PrivateKey (alg jose.EdDSA), another
// private key go-jose signs with, or a jose.OpaqueSigner (a key in an HSM,
// a GOST signature through NCALayer), whose Algs must include alg.
func NewKeySigner(kid string, alg jose.SignatureAlgorithm, key any) (*KeySigner, error) {
	if kid == "" {
		return nil, errors.New("document: signer: empty key id")
	}
	if !signingAlgorithm(alg) {
		return nil, fmt.Errorf("document: signer: algorithm %q: %w", alg, ErrAlgorithm)
	}
	opts := (&jose.SignerOptions{}).WithType(Type).WithHeader(jose.HeaderKey("kid"), kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("document: signer: %w", err)
	}
	return &KeySigner{kid: kid, alg: alg, signer: s}, nil
}

// NewEd25519Signer returns a Signer for an Ed25519 key, named by its RFC
// 7638 thumbprint (Thumbprint).
func NewEd25519Signer(key ed25519.PrivateKey) (*KeySigner, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("document: signer: not an Ed25519 private key")
	}
	kid, err := Thumbprint(key.Public())
	if err != nil {
		return nil, err
	}
	return NewKeySigner(kid, jose.EdDSA, key)
}

// KeyID returns the "kid" this signer writes.
func (s *KeySigner) KeyID() string { return s.kid }

// Algorithm returns the "alg" this signer writes.
func (s *KeySigner) Algorithm() jose.SignatureAlgorithm { return s.alg }

// Sign implements Signer.
func (s *KeySigner) Sign(payload []byte) (string, error) {
	obj, err := s.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url without padding: the key id the Keyring gives its keys.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("document: thumbprint: %w", err)
	}
	return b64.EncodeToString(tp), nil
}

// signingAlgorithm reports whether alg may sign a document: any algorithm
// but none and the HMACs (a document is verified with a public key, and a
// public key must never serve as an HMAC secret).
func signingAlgorithm(alg jose.SignatureAlgorithm) bool {
	switch alg {
	case "", "none", jose.HS256, jose.HS384, jose.HS512:
		return false
	}
	return true
}
