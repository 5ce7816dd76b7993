package token_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/miekg/pkcs11"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/document/token/tokentest"
)

// payload is a statement to sign: the token signs any bytes; the document
// format is tested in gateway/document.
var payload = []byte(`{"statement":"a result"}`)

func mustInit(t *testing.T, cfg token.Config) *token.Keyring {
	t.Helper()
	k, err := token.Init(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// mustSign signs payload with k.
func mustSign(t *testing.T, k *token.Keyring) string {
	t.Helper()
	jws, err := k.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// verify checks jws against the keyring's keys and returns its kid.
func verify(t *testing.T, jws string, keys document.KeySet) string {
	t.Helper()
	got, key, err := document.VerifySignature(jws, keys)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if h, _ := document.ParseHeader(jws); string(got) != string(payload) || string(key.Algorithm) != h.Algorithm {
		t.Fatalf("verified %q with a %s key, header alg %s", got, key.Algorithm, h.Algorithm)
	}
	return key.ID
}

// SoftHSM2 2.6 offers both CKM_EDDSA and CKM_ECDSA: the keyring chooses
// EdDSA, and ES256 is there when asked for (a TPM's only choice).
func TestInitSignVerify(t *testing.T) {
	for _, c := range []struct {
		ask, want jose.SignatureAlgorithm
	}{{"", jose.EdDSA}, {jose.EdDSA, jose.EdDSA}, {jose.ES256, jose.ES256}} {
		t.Run("ask="+string(c.ask), func(t *testing.T) { testInitSignVerify(t, c.ask, c.want) })
	}
}

func testInitSignVerify(t *testing.T, ask, want jose.SignatureAlgorithm) {
	tok := tokentest.New(t, "doc-2026")
	k := mustInit(t, token.Config{URI: tok.URI, Algorithm: ask})
	jws := mustSign(t, k)
	if h, _ := document.ParseHeader(jws); h.Algorithm != string(want) || h.Type != document.Type {
		t.Errorf("header %+v, want alg %s", h, want)
	}
	keys, err := k.Keys()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	kid := verify(t, jws, keys)
	if cur, _ := k.KeyID(); cur != kid {
		t.Errorf("KeyID %s, signed with %s", cur, kid)
	}
	switch pub := keys[0].Public.(type) {
	case ed25519.PublicKey:
		if want != jose.EdDSA {
			t.Errorf("an Ed25519 key for %s", want)
		}
	case *ecdsa.PublicKey:
		if want != jose.ES256 {
			t.Errorf("a P-256 key for %s", want)
		}
	default:
		t.Fatalf("public key %T", pub)
	}
	if tp, _ := document.Thumbprint(keys[0].Public); tp != kid {
		t.Errorf("kid %s is not the key's thumbprint %s", kid, tp)
	}
	// A signature from another key of the same algorithm, under this
	// kid, is refused: the token's signature is really checked.
	forged := jws[:strings.LastIndexByte(jws, '.')+1] + otherSignature(t, jws, want)
	if _, _, err := document.VerifySignature(forged, keys); err == nil {
		t.Error("a signature by another key verifies")
	}
	// The JWKS published from the token reads back as the same key set.
	data, err := document.MarshalJWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := document.ParseJWKS(data)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, jws, parsed)

	if _, err := token.Init(token.Config{URI: tok.URI}); !errors.Is(err, token.ErrKeyExists) {
		t.Errorf("second Init: %v, want ErrKeyExists", err)
	}
	// Another process (Open) signs with the same key.
	k2, err := token.Open(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	defer k2.Close()
	jws2 := mustSign(t, k2)
	if verify(t, jws2, keys) != kid {
		t.Error("Open signs with another key")
	}
}

// TestPrivateKeyStaysOnToken reads the private key's value through the
// library: the token must refuse (sensitive, not extractable).
func TestPrivateKeyStaysOnToken(t *testing.T) {
	tok := tokentest.New(t, "doc")
	k := mustInit(t, token.Config{URI: tok.URI})
	kid, _ := k.KeyID()
	ctx := pkcs11.New(tok.URI.ModulePath)
	ctx.Initialize() // already initialised by the keyring: fine
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		ti, _ := ctx.GetTokenInfo(s)
		if strings.TrimRight(ti.Label, " ") != tok.Label {
			continue
		}
		sh, err := ctx.OpenSession(s, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.CloseSession(sh)
		ctx.Login(sh, pkcs11.CKU_USER, tokentest.PIN)
		ctx.FindObjectsInit(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(kid))})
		hs, _, _ := ctx.FindObjects(sh, 4)
		ctx.FindObjectsFinal(sh)
		if len(hs) != 1 {
			t.Fatalf("%d private keys with id %s", len(hs), kid)
		}
		attrs, err := ctx.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil), pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil)})
		if err != nil || attrs[0].Value[0] != 1 || attrs[1].Value[0] != 0 {
			t.Errorf("private key: sensitive/extractable %v, %v", attrs, err)
		}
		if v, err := ctx.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)}); err == nil {
			t.Errorf("the token gave out the private key's value (%d bytes)", len(v[0].Value))
		}
		return
	}
	t.Fatalf("no slot with token %s", tok.Label)
}

// otherSignature signs jws's signing input with a new key of alg, made in
// Go, and returns the signature's base64url.
func otherSignature(t *testing.T, jws string, alg jose.SignatureAlgorithm) string {
	t.Helper()
	input := []byte(jws[:strings.LastIndexByte(jws, '.')])
	var sig []byte
	if alg == jose.EdDSA {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		sig = ed25519.Sign(priv, input)
	} else {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	return base64.RawURLEncoding.EncodeToString(sig)
}

// A keyring made with ES256 (an older token's key) rotates to EdDSA when
// left to choose: documents of both keys verify with the one JWKS.
func TestRotateToEdDSA(t *testing.T) {
	tok := tokentest.New(t, "doc")
	old := mustInit(t, token.Config{URI: tok.URI, Algorithm: jose.ES256})
	first := mustSign(t, old)
	old.Close()
	k, err := token.Open(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// The key in use keeps its algorithm until it is rotated.
	if jws, err := k.Sign(payload); err != nil {
		t.Fatal(err)
	} else if h, _ := document.ParseHeader(jws); h.Algorithm != "ES256" {
		t.Errorf("before rotation: alg %s, want ES256", h.Algorithm)
	}
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	second := mustSign(t, k)
	keys, err := k.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %d, %v", len(keys), err)
	}
	if keys[0].Algorithm != jose.ES256 || keys[1].Algorithm != jose.EdDSA {
		t.Errorf("algorithms %s, %s: want ES256 retired, EdDSA current", keys[0].Algorithm, keys[1].Algorithm)
	}
	if verify(t, first, keys) != keys[0].ID || verify(t, second, keys) != keys[1].ID {
		t.Error("documents verify with the wrong keys")
	}
	if _, err := token.Init(token.Config{URI: tok.URI, Algorithm: "RS256"}); err == nil {
		t.Error("Init with RS256: no error")
	}
}

func TestRotateKeepsOldPublicKeys(t *testing.T) {
	tok := tokentest.New(t, "doc")
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg := token.Config{URI: tok.URI, VerifyFor: 48 * time.Hour, RotateEvery: 24 * time.Hour, Now: clock}
	k := mustInit(t, cfg)
	first := mustSign(t, k)
	now = now.Add(25 * time.Hour) // past RotateEvery: the next Sign rotates
	second := mustSign(t, k)
	keys, err := k.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after rotation: %d, %v", len(keys), err)
	}
	old, cur := keys[0], keys[1]
	if !old.RetiredAt.Equal(now) || !old.NotAfter.Equal(now.Add(48*time.Hour)) || !cur.RetiredAt.IsZero() {
		t.Errorf("periods: old %v-%v, current retired %v", old.RetiredAt, old.NotAfter, cur.RetiredAt)
	}
	if verify(t, first, keys) != old.ID || verify(t, second, keys) != cur.ID {
		t.Error("documents verify with the wrong keys")
	}
	// Another process rotates (biogate keys rotate): the old private key
	// is destroyed, and the first keyring follows to the new key.
	other, err := token.Open(token.Config{URI: tok.URI, VerifyFor: 48 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := other.Rotate(); err != nil {
		t.Fatal(err)
	}
	other.Close()
	third, err := k.Sign(payload)
	if err != nil {
		t.Fatalf("sign after another process rotated: %v", err)
	}
	keys, err = k.Keys()
	if err != nil || len(keys) != 3 {
		t.Fatalf("keys after two rotations: %d, %v", len(keys), err)
	}
	if verify(t, third, keys) != keys[2].ID {
		t.Error("signed with a retired key after the rotation")
	}
	// Past the first key's window, a rotation drops it from the JWKS.
	now = now.Add(47*time.Hour + 30*time.Minute) // the first key's window closed, not the second's
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	keys, _ = k.Keys()
	if _, ok := keys.Lookup(old.ID); ok || len(keys) != 3 {
		t.Errorf("after the window: %d keys, the first still listed: %v", len(keys), ok)
	}
}

func TestOpenFailures(t *testing.T) {
	tok := tokentest.New(t, "doc")
	mustInit(t, token.Config{URI: tok.URI}).Close() // logged out: the token itself checks the PIN
	const wrongPIN = "wrong-pin-31337"
	for _, c := range []struct {
		name string
		edit func(u *token.URI)
		want error
	}{
		{"wrong PIN", func(u *token.URI) { u.PINSource, u.PINValue = "", wrongPIN }, token.ErrPIN},
		{"missing token", func(u *token.URI) { u.Token = "no-such-token" }, token.ErrTokenNotFound},
		{"missing object", func(u *token.URI) { u.Object = "no-such-key" }, token.ErrNoKey},
		{"missing module", func(u *token.URI) { u.ModulePath = "/nonexistent/libpkcs11.so" }, token.ErrModule},
		{"not a module", func(u *token.URI) { u.ModulePath = os.Args[0] }, token.ErrModule},
		{"missing pin file", func(u *token.URI) { u.PINSource += ".missing" }, os.ErrNotExist},
	} {
		u := tok.URI
		c.edit(&u)
		k, err := token.Open(token.Config{URI: u})
		if err == nil {
			k.Close()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, wrongPIN) || strings.Contains(msg, tokentest.PIN) {
			t.Errorf("%s: the error shows a PIN: %s", c.name, msg)
		}
		t.Logf("%s: %v", c.name, err)
	}
	// The right PIN still works (a wrong one did not lock the token).
	k, err := token.Open(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// While k keeps the token logged in (login is per process), a wrong
	// PIN is still refused.
	u := tok.URI
	u.PINSource, u.PINValue = "", wrongPIN
	if k2, err := token.Open(token.Config{URI: u}); !errors.Is(err, token.ErrPIN) {
		if err == nil {
			k2.Close()
		}
		t.Errorf("wrong PIN while logged in: %v, want ErrPIN", err)
	}
}

// finalize finalises the process's copy of the library behind the
// keyring's back, as a crashed or reset token does.
func finalize(t *testing.T, module string) {
	t.Helper()
	ctx := pkcs11.New(module)
	if err := ctx.Finalize(); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFailsMidRun(t *testing.T) {
	tok := tokentest.New(t, "doc")
	k := mustInit(t, token.Config{URI: tok.URI})
	mustSign(t, k)
	// The library is finalised (reset): the keyring initialises it again
	// and signs on a new session.
	finalize(t, tok.URI.ModulePath)
	jws, err := k.Sign(payload)
	if err != nil {
		t.Fatalf("sign after the library was reset: %v", err)
	}
	keys, _ := k.Keys()
	verify(t, jws, keys)

	// The token is removed: every Sign fails with ErrUnavailable, and
	// names neither PIN.
	if err := os.RemoveAll(tok.Dir); err != nil {
		t.Fatal(err)
	}
	finalize(t, tok.URI.ModulePath)
	for range 2 {
		_, err := k.Sign(payload)
		if !errors.Is(err, token.ErrUnavailable) {
			t.Fatalf("sign with the token removed: %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), tokentest.PIN) {
			t.Errorf("the error shows the PIN: %v", err)
		}
		t.Log(err)
	}
	if _, err := k.Keys(); !errors.Is(err, token.ErrUnavailable) {
		t.Errorf("keys with the token removed: %v", err)
	}
}
