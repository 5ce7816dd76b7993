package document

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestJWKSHandlerServesThePublicKeys(t *testing.T) {
	dir := t.TempDir()
	k := mustKeyring(t, KeyringConfig{Dir: dir})
	oldJWS := mustSign(t, k, sample(time.Now()))
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(JWKSPath, k.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("GET: %s, %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(string(body), `"d"`) {
		t.Fatalf("JWKS holds a private member:\n%s", body)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Keys) != 2 {
		t.Fatalf("JWKS: %v, %d keys\n%s", err, len(raw.Keys), body)
	}
	for _, key := range raw.Keys {
		for member, want := range map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"} {
			if key[member] != want {
				t.Errorf("key %v: %s %v, want %s", key["kid"], member, key[member], want)
			}
		}
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	newJWS := mustSign(t, k, sample(time.Now()))
	for _, jws := range []string{oldJWS, newJWS} {
		if _, err := Verify(jws, keys, time.Now()); err != nil {
			t.Error(err)
		}
	}

	// The set is a standard JWKS: go-jose reads it (ignoring the validity
	// members) and verifies a document with the key the kid names.
	var std jose.JSONWebKeySet
	if err := json.Unmarshal(body, &std); err != nil {
		t.Fatalf("go-jose cannot read the JWKS: %v", err)
	}
	h, _ := ParseHeader(newJWS)
	found := std.Key(h.KeyID)
	if len(found) != 1 || !found[0].IsPublic() {
		t.Fatalf("go-jose finds %d keys for %s", len(found), h.KeyID)
	}
	obj, err := jose.ParseSigned(newJWS, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Verify(found[0]); err != nil {
		t.Errorf("go-jose verification: %v", err)
	}

	resp, err = http.Post(srv.URL+JWKSPath, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s", resp.Status)
	}
}

func TestParseJWKS(t *testing.T) {
	_, key := newEd25519(t, t0)
	key.RetiredAt, key.NotAfter = t0.Add(time.Hour), t0.Add(2*time.Hour)
	good, err := MarshalJWKS(KeySet{key})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseJWKS(good)
	if err != nil || len(ks) != 1 {
		t.Fatalf("%v, %d keys", err, len(ks))
	}
	if got := ks[0]; got.ID != key.ID || !got.NotBefore.Equal(key.NotBefore) || !got.RetiredAt.Equal(key.RetiredAt) || !got.NotAfter.Equal(key.NotAfter) {
		t.Errorf("read back %+v, want %+v", got, key)
	}
	x := b64.EncodeToString(key.Public.(ed25519.PublicKey))
	one := func(members string) string { return `{"keys":[` + members + `]}` }
	for _, c := range []struct {
		name, jwks string
		ok         bool
	}{
		{"other key types are skipped", one(`{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `"}`), true},
		{"encryption keys are skipped", one(`{"kty":"OKP","crv":"Ed25519","kid":"e","use":"enc","x":"` + x + `"},{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `"}`), true},
		{"no usable key", one(`{"kty":"RSA","kid":"r"}`), false},
		{"empty", `{"keys":[]}`, false},
		{"not JSON", `keys`, false},
		{"no kid", one(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}`), false},
		{"short x", one(`{"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA"}`), false},
		{"another alg", one(`{"kty":"OKP","crv":"Ed25519","kid":"k","alg":"HS256","x":"` + x + `"}`), false},
		{"bad time", one(`{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `","not_before":"yesterday"}`), false},
		{"kid twice", one(`{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `"},{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `"}`), false},
	} {
		ks, err := ParseJWKS([]byte(c.jwks))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.ok && (len(ks) != 1 || ks[0].ID != "k") {
			t.Errorf("%s: keys %+v", c.name, ks)
		}
	}
}

// TestES256KeysRoundTripAndVerify: a P-256 key (a PKCS#11 token's) goes
// through MarshalJWKS and ParseJWKS with its period, beside an Ed25519 key,
// and a document it signs verifies with the parsed set; one signed by the
// Ed25519 key under the P-256 key's id does not.
func TestES256KeysRoundTripAndVerify(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := Thumbprint(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	es, err := NewKeySigner(kid, jose.ES256, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey := newEd25519(t, t0.Add(-time.Hour))
	edKey.RetiredAt, edKey.NotAfter = t0, t0.Add(time.Hour)
	ecPub := Key{ID: kid, Algorithm: jose.ES256, Public: &ecKey.PublicKey, NotBefore: t0}
	data, err := MarshalJWKS(KeySet{edKey, ecPub})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"kty": "EC"`) || !strings.Contains(string(data), `"alg": "ES256"`) {
		t.Errorf("JWKS without an EC ES256 key:\n%s", data)
	}
	ks, err := ParseJWKS(data)
	if err != nil || len(ks) != 2 {
		t.Fatalf("%v, %d keys", err, len(ks))
	}
	got := ks[1]
	if got.ID != kid || got.Algorithm != jose.ES256 || !got.NotBefore.Equal(t0) || !got.Public.(*ecdsa.PublicKey).Equal(&ecKey.PublicKey) {
		t.Errorf("read back %+v", got)
	}
	now := t0.Add(time.Minute)
	if _, err := Verify(mustSign(t, es, sample(now)), ks, now); err != nil {
		t.Errorf("ES256 document: %v", err)
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := NewKeySigner(kid, jose.EdDSA, edPriv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(mustSign(t, forged, sample(now)), ks, now); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("EdDSA document under the P-256 key's id: %v, want ErrAlgorithm", err)
	}
	x, y := b64.EncodeToString(ecKey.X.FillBytes(make([]byte, 32))), b64.EncodeToString(ecKey.Y.FillBytes(make([]byte, 32)))
	offCurve := b64.EncodeToString(make([]byte, 32))
	for _, c := range []struct{ name, jwk string }{
		{"another alg", `{"kty":"EC","crv":"P-256","kid":"k","alg":"EdDSA","x":"` + x + `","y":"` + y + `"}`},
		{"no y", `{"kty":"EC","crv":"P-256","kid":"k","x":"` + x + `"}`},
		{"off the curve", `{"kty":"EC","crv":"P-256","kid":"k","x":"` + x + `","y":"` + offCurve + `"}`},
	} {
		if _, err := ParseJWKS([]byte(`{"keys":[` + c.jwk + `]}`)); err == nil {
			t.Errorf("%s: parsed", c.name)
		}
	}
	if _, err := ParseJWKS([]byte(`{"keys":[{"kty":"EC","crv":"P-384","kid":"p384","x":"AA","y":"AA"}]}`)); err == nil {
		t.Error("a set of only P-384 keys parsed")
	}
}
