package document

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// JWKSPath is where a gateway serves its keys' JWKS.
const JWKSPath = "/.well-known/jwks.json"

// jwks is a JWK Set (RFC 7517 section 5) of Ed25519 (EdDSA) and P-256
// (ES256) public keys: the file Keyring's keys are Ed25519, a PKCS#11
// token's (gateway/document/token) are P-256.
//
// Each key carries its validity period as three extra members, RFC 3339 in
// UTC with milliseconds: not_before (began signing), retired_at (stopped
// signing; absent while it signs) and not_after (end of its verification
// window; absent while it signs). RFC 7517 section 4 lets a JWK carry
// members a reader does not understand, which it must ignore, so the set
// stays a standard JWKS for any JOSE library. go-jose's JSONWebKey keeps no
// extra members, hence this struct. The Keyring stores its public keys in
// this same form (jwks.json in its folder).
type jwks struct {
	Keys []jwk `json:"keys"`
}

type jwk struct {
	Kty       string `json:"kty"`
	Crv       string `json:"crv,omitempty"`
	X         string `json:"x,omitempty"`
	Y         string `json:"y,omitempty"`
	Kid       string `json:"kid"`
	Alg       string `json:"alg,omitempty"`
	Use       string `json:"use,omitempty"`
	NotBefore string `json:"not_before,omitempty"`
	RetiredAt string `json:"retired_at,omitempty"`
	NotAfter  string `json:"not_after,omitempty"`
}

func toJWK(k Key) (jwk, error) {
	j := jwk{Kid: k.ID, Alg: string(k.Algorithm), Use: "sig",
		NotBefore: jwkTime(k.NotBefore), RetiredAt: jwkTime(k.RetiredAt), NotAfter: jwkTime(k.NotAfter)}
	switch pub := k.Public.(type) {
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize || k.Algorithm != jose.EdDSA {
			return jwk{}, fmt.Errorf("document: key %s is not an Ed25519 EdDSA key", k.ID)
		}
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(pub)
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() || k.Algorithm != jose.ES256 {
			return jwk{}, fmt.Errorf("document: key %s is not a P-256 ES256 key", k.ID)
		}
		raw, err := pub.Bytes() // 0x04 || X || Y, 32 bytes each
		if err != nil {
			return jwk{}, fmt.Errorf("document: key %s: %w", k.ID, err)
		}
		j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
	default:
		return jwk{}, fmt.Errorf("document: key %s is neither Ed25519 (EdDSA) nor P-256 (ES256)", k.ID)
	}
	return j, nil
}

func jwkTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

// MarshalJWKS returns the JWKS of the Ed25519 (EdDSA) and P-256 (ES256)
// keys of ks, with their validity periods; keys of other types are an
// error.
func MarshalJWKS(ks KeySet) ([]byte, error) {
	set := jwks{Keys: make([]jwk, 0, len(ks))}
	for _, k := range ks {
		j, err := toJWK(k)
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, j)
	}
	return json.MarshalIndent(set, "", "  ")
}

// ParseJWKS reads a JWKS as MarshalJWKS and the Keyring write it. Keys of
// other types (kty, crv) or uses are skipped, as RFC 7517 asks; an Ed25519
// key must have a kid, a 32-byte x, an alg of EdDSA or none, and valid
// times; a P-256 key the same with 32-byte x and y on the curve and an alg
// of ES256 or none. A set with no usable key is an error.
func ParseJWKS(data []byte) (KeySet, error) {
	var set jwks
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("document: JWKS: %w", err)
	}
	var ks KeySet
	for i, j := range set.Keys {
		if !((j.Kty == "OKP" && j.Crv == "Ed25519") || (j.Kty == "EC" && j.Crv == "P-256")) || (j.Use != "" && j.Use != "sig") {
			continue
		}
		k, err := j.key()
		if err != nil {
			return nil, fmt.Errorf("document: JWKS: key %d: %w", i, err)
		}
		if _, dup := ks.Lookup(k.ID); dup {
			return nil, fmt.Errorf("document: JWKS: key id %s twice", k.ID)
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("document: JWKS: no Ed25519 or P-256 signing key")
	}
	return ks, nil
}

func (j jwk) key() (Key, error) {
	if j.Kid == "" {
		return Key{}, fmt.Errorf("no kid")
	}
	var times [3]time.Time
	for n, s := range []string{j.NotBefore, j.RetiredAt, j.NotAfter} {
		if s == "" {
			continue
		}
		var err error
		if times[n], err = time.Parse(time.RFC3339Nano, s); err != nil {
			return Key{}, fmt.Errorf("kid %s: %w", j.Kid, err)
		}
	}
	if j.Kty == "EC" {
		if j.Alg != "" && j.Alg != string(jose.ES256) {
			return Key{}, fmt.Errorf("kid %s: alg %q with a P-256 key", j.Kid, j.Alg)
		}
		x, errX := b64.DecodeString(j.X)
		y, errY := b64.DecodeString(j.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return Key{}, fmt.Errorf("kid %s: x and y are not base64url P-256 coordinates", j.Kid)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return Key{}, fmt.Errorf("kid %s: not a P-256 point: %w", j.Kid, err)
		}
		return Key{ID: j.Kid, Algorithm: jose.ES256, Public: pub, NotBefore: times[0], RetiredAt: times[1], NotAfter: times[2]}, nil
	}
	if j.Alg != "" && j.Alg != string(jose.EdDSA) {
		return Key{}, fmt.Errorf("kid %s: alg %q with an Ed25519 key", j.Kid, j.Alg)
	}
	x, err := b64.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("kid %s: x is not a base64url Ed25519 public key", j.Kid)
	}
	return ed25519Key(j.Kid, ed25519.PublicKey(x), times[0], times[1], times[2]), nil
}

// Handler serves the keyring's JWKS (GET and HEAD), for mounting at
// JWKSPath. Each request reads the current keys, so a rotation shows at
// once; clients may cache the answer for a minute.
func (k *Keyring) Handler() http.Handler { return JWKSHandler(k.Keys) }

// JWKSHandler serves the JWKS of the keys that keys returns at each
// request (GET and HEAD): the Handler of any keyring, the file Keyring's
// or a token's.
func JWKSHandler(keys func() (KeySet, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ks, err := keys()
		var body []byte
		if err == nil {
			body, err = MarshalJWKS(ks)
		}
		if err != nil {
			http.Error(w, "keys unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(body)
	})
}
