package document

import (
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors of Verify, one per check, so callers can say which check failed.
// Classify with errors.Is.
var (
	// ErrMalformed: not a compact JWS, a header or payload that does not
	// decode, or a payload with members this version does not know.
	ErrMalformed = errors.New("malformed document")
	// ErrAlgorithm: the header's "alg" is not one the named key signs with
	// ("none" and the HMACs never are).
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrType: the header's "typ" is not Type.
	ErrType = errors.New("not a biogate result document")
	// ErrUnknownKey: no key of the set has the header's "kid".
	ErrUnknownKey = errors.New("unknown key id")
	// ErrSignature: the signature does not verify with the named key.
	ErrSignature = errors.New("invalid signature")
	// ErrInvalid: the payload is a document with a missing or wrong
	// member (Validate).
	ErrInvalid = errors.New("invalid document")
	// ErrKeyExpired: the document was issued outside the key's validity
	// period, or the key's verification window has closed.
	ErrKeyExpired = errors.New("expired key id")
	// ErrFuture: the document was issued later than now plus ClockSkew.
	ErrFuture = errors.New("issued in the future")
	// ErrNonce: the document's client_nonce is not the one the relying
	// party sent in start (VerifyOptions.ClientNonce): a document of
	// another request, replayed.
	ErrNonce = errors.New("client nonce differs")
	// ErrStale: the document was decided longer ago than
	// VerifyOptions.MaxAge: a document of an earlier session, replayed.
	ErrStale = errors.New("document too old")
	// ErrSubject: the document verified another IIN than the one the
	// relying party asked about (VerifyOptions.IIN).
	ErrSubject = errors.New("another person's document")
)

// ClockSkew is how far Verify lets a document's issued_at run ahead of the
// verifier's clock, or past its key's retirement, since the gateway's and the
// verifier's clocks differ.
const ClockSkew = 2 * time.Minute

// timeUnit is the precision of the document's times.
const timeUnit = time.Millisecond

var (
	b64       = base64.RawURLEncoding
	b64Strict = base64.RawURLEncoding.Strict()
)

// Key is a public key that verifies documents, with its validity period.
type Key struct {
	// ID is the key's "kid".
	ID string
	// Algorithm is the only "alg" accepted with this key (jose.EdDSA for
	// the Keyring's keys).
	Algorithm jose.SignatureAlgorithm
	// Public is the key: an ed25519.PublicKey, another public key go-jose
	// verifies with, or a jose.OpaqueVerifier (a GOST verifier, say).
	Public any
	// NotBefore is when the key began signing: documents issued before it
	// are refused.
	NotBefore time.Time
	// RetiredAt is when the key stopped signing (rotation): documents
	// issued after it (plus ClockSkew) are refused. Zero while the key
	// signs.
	RetiredAt time.Time
	// NotAfter is when the key's verification window closes: from then on
	// nothing verifies with it. Zero for no end.
	NotAfter time.Time
}

// KeySet is the keys a verifier trusts. The zero KeySet trusts nothing.
type KeySet []Key

// Lookup returns the key named kid.
func (ks KeySet) Lookup(kid string) (Key, bool) {
	for _, k := range ks {
		if k.ID == kid {
			return k, true
		}
	}
	return Key{}, false
}

// Header is the protected header of a document's JWS.
type Header struct {
	Algorithm string `json:"alg"`
	KeyID     string `json:"kid"`
	Type      string `json:"typ"`
}

// ParseHeader returns the protected header of a compact JWS without
// checking anything else: for reports and indexes, never for trust.
func ParseHeader(compact string) (Header, error) {
	var h Header
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return h, fmt.Errorf("%w: compact JWS has %d parts, want 3", ErrMalformed, len(parts))
	}
	raw, err := b64.DecodeString(parts[0])
	if err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	return h, nil
}

// Verify checks a document's compact JWS against keys at time now and
// returns the document when every check passes: the header's typ is Type;
// its kid names a key of keys; its alg is that key's algorithm; the
// signature verifies with that key; the payload decodes strictly and passes
// Validate; issued_at lies within the key's validity period and the key's
// verification window is open at now; issued_at is not after now plus
// ClockSkew. Its errors wrap the sentinel of the first check that failed.
func Verify(compact string, keys KeySet, now time.Time) (*Document, error) {
	payload, key, err := VerifySignature(compact, keys)
	if err != nil {
		return nil, err
	}
	doc, err := Unmarshal(payload)
	if err != nil {
		return nil, err
	}
	if err := key.Covers(doc.IssuedAt, now); err != nil {
		return nil, err
	}
	if doc.IssuedAt.After(now.Add(ClockSkew)) {
		return nil, fmt.Errorf("%w: issued at %s, now %s", ErrFuture, doc.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return doc, nil
}

// VerifySignature runs the JWS checks of Verify (canonical encoding, alg,
// typ, kid, signature) and returns the payload and the key that signed it,
// without reading the payload: for the other statements a gateway signs
// with its document key (the evidence chain's checkpoints), whose readers
// decode the payload strictly and check the key's period with Covers.
func VerifySignature(compact string, keys KeySet) ([]byte, Key, error) {
	compact = strings.TrimSpace(compact)
	h, err := ParseHeader(compact)
	if err != nil {
		return nil, Key{}, err
	}
	for i, part := range strings.Split(compact, ".") {
		// Only the canonical base64url: otherwise two strings (differing in
		// a last character's unused bits) would carry one signature.
		if _, err := b64Strict.DecodeString(part); err != nil {
			return nil, Key{}, fmt.Errorf("%w: part %d: %v", ErrMalformed, i+1, err)
		}
	}
	if !signingAlgorithm(jose.SignatureAlgorithm(h.Algorithm)) {
		return nil, Key{}, fmt.Errorf("%w: %q", ErrAlgorithm, h.Algorithm)
	}
	if h.Type != Type {
		return nil, Key{}, fmt.Errorf("%w: typ %q", ErrType, h.Type)
	}
	key, ok := keys.Lookup(h.KeyID)
	if !ok || h.KeyID == "" {
		return nil, Key{}, fmt.Errorf("%w: %q", ErrUnknownKey, h.KeyID)
	}
	if jose.SignatureAlgorithm(h.Algorithm) != key.Algorithm || !signingAlgorithm(key.Algorithm) {
		return nil, Key{}, fmt.Errorf("%w: %q with key %s (%s)", ErrAlgorithm, h.Algorithm, key.ID, key.Algorithm)
	}
	obj, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{key.Algorithm})
	if err != nil {
		return nil, Key{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	payload, err := obj.Verify(key.Public)
	if err != nil {
		return nil, Key{}, fmt.Errorf("%w: key %s: %v", ErrSignature, key.ID, err)
	}
	return payload, key, nil
}

// VerifyOptions is what a relying party expects of a document it asked
// for, beyond its signature: the nonce it generated and sent in start's
// client_nonce, and how recent the decision must be. A valid signature
// alone proves only that the gateway once decided so, for someone's
// request: without these checks a document of an earlier session, or of
// another request for the same IIN, verifies too.
type VerifyOptions struct {
	// Now is the verifier's time; zero means time.Now().
	Now time.Time
	// ClientNonce, when not "", must equal the document's client_nonce
	// (else ErrNonce).
	ClientNonce string
	// MaxAge, when positive, bounds how long ago the document's issued_at
	// (the decision) may lie before Now (else ErrStale). A document issued
	// up to ClockSkew after Now still verifies; later is ErrFuture.
	MaxAge time.Duration
	// IIN, when not "", must equal the document's subject.iin (else
	// ErrSubject): the app did not verify someone else.
	IIN string
}

// VerifyWith is Verify at opts.Now followed by the relying party's checks
// of opts: the client nonce (compared in constant time), the age and the
// subject.
func VerifyWith(compact string, keys KeySet, opts VerifyOptions) (*Document, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	doc, err := Verify(compact, keys, now)
	if err != nil {
		return nil, err
	}
	if err := doc.Expect(opts.ClientNonce, opts.MaxAge, now); err != nil {
		return nil, err
	}
	if opts.IIN != "" && opts.IIN != doc.Subject.IIN {
		return nil, fmt.Errorf("%w: the document's subject is not the IIN asked about", ErrSubject)
	}
	return doc, nil
}

// Expect checks a verified document against what its relying party asked
// for: when nonce is not "", the document's client_nonce must equal it
// (ErrNonce); when maxAge is positive, issued_at must not lie more than
// maxAge before now (ErrStale) nor more than ClockSkew after it
// (ErrFuture).
func (d *Document) Expect(nonce string, maxAge time.Duration, now time.Time) error {
	if nonce != "" && subtle.ConstantTimeCompare([]byte(nonce), []byte(d.ClientNonce)) != 1 {
		return fmt.Errorf("%w: the document answers another request", ErrNonce)
	}
	if maxAge > 0 {
		if age := now.Sub(d.IssuedAt); age > maxAge {
			return fmt.Errorf("%w: decided %s ago at %s, at most %s accepted", ErrStale, age.Round(time.Second), stamp(d.IssuedAt), maxAge)
		}
		if d.IssuedAt.After(now.Add(ClockSkew)) {
			return fmt.Errorf("%w: issued at %s, now %s", ErrFuture, stamp(d.IssuedAt), stamp(now))
		}
	}
	return nil
}

// Covers checks that a statement issued at issued, verified at now, falls in
// the key's validity period and verification window (ErrKeyExpired when
// not).
func (k Key) Covers(issued, now time.Time) error {
	switch {
	case !k.NotBefore.IsZero() && issued.Before(k.NotBefore.Add(-ClockSkew)):
		return fmt.Errorf("%w: key %s not valid before %s, document issued %s", ErrKeyExpired, k.ID, stamp(k.NotBefore), stamp(issued))
	case !k.RetiredAt.IsZero() && issued.After(k.RetiredAt.Add(ClockSkew)):
		return fmt.Errorf("%w: key %s retired at %s, document issued %s", ErrKeyExpired, k.ID, stamp(k.RetiredAt), stamp(issued))
	case !k.NotAfter.IsZero() && now.After(k.NotAfter):
		return fmt.Errorf("%w: key %s verifiable until %s", ErrKeyExpired, k.ID, stamp(k.NotAfter))
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ed25519Key returns the Key of an Ed25519 public key.
func ed25519Key(kid string, pub ed25519.PublicKey, notBefore, retiredAt, notAfter time.Time) Key {
	return Key{ID: kid, Algorithm: jose.EdDSA, Public: pub, NotBefore: notBefore, RetiredAt: retiredAt, NotAfter: notAfter}
}
