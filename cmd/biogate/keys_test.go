package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/document/token/tokentest"
)

// keysCLI runs biogate keys ... --json and returns its keys.
func keysCLI(t *testing.T, sub, uri string, extra ...string) []keyReport {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"keys", sub, "--token", uri, "--json"}, extra...)...)
	if code != exitOK {
		t.Fatalf("keys %s: exit %d\n%s%s", sub, code, stdout, stderr)
	}
	var keys []keyReport
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatalf("keys %s: not JSON: %v\n%s", sub, err, stdout)
	}
	return keys
}

// The key lifecycle on a SoftHSM2 token and on a software TPM: init makes
// one current key (EdDSA where the token offers it, else ES256; ES256 when
// asked), rotate retires it
// (kept for --verify-for) and adds a new one, and a document signed before
// the rotation still verifies with biogate doc verify against the JWKS
// keys --jwks prints.
func TestKeysLifecycleOnToken(t *testing.T) {
	for _, c := range []struct {
		name, alg, want string
		token           func(testing.TB, string) *tokentest.Token
	}{
		{"hsm", "auto", "EdDSA", tokentest.New},
		{"hsm-es256", "ES256", "ES256", tokentest.New},
		{"tpm", "auto", "ES256", tokentest.NewTPM}, // a TPM has no Ed25519
	} {
		t.Run(c.name, func(t *testing.T) { testKeysLifecycle(t, c.token(t, "doc-2026"), c.alg, c.want) })
	}
}

func testKeysLifecycle(t *testing.T, tok *tokentest.Token, alg, want string) {
	uri := tok.URI.String()
	keys := keysCLI(t, "init", uri, "--alg", alg)
	if len(keys) != 1 || !keys[0].Current || keys[0].Algorithm != want {
		t.Fatalf("after init --alg %s: %+v, want one %s key", alg, keys, want)
	}
	if code, _, stderr := runCLI(t, "keys", "init", "--token", uri); code != exitFailure || !strings.Contains(stderr, "exists") {
		t.Errorf("init twice: exit %d, %s", code, stderr)
	}

	k, err := token.Open(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := document.Sign(k, testDocument(time.Now()))
	k.Close()
	if err != nil {
		t.Fatal(err)
	}
	docFile := writeFile(t, "doc.jws", jws)

	keys = keysCLI(t, "rotate", uri, "--verify-for", "24h", "--alg", alg)
	if len(keys) != 2 || keys[0].Current || !keys[1].Current || keys[0].RetiredAt.IsZero() ||
		keys[0].NotAfter.Sub(keys[0].RetiredAt) != 24*time.Hour || keys[1].KeyID == keys[0].KeyID {
		t.Fatalf("after rotate: %+v", keys)
	}
	if listed := keysCLI(t, "list", uri); len(listed) != 2 || listed[1].KeyID != keys[1].KeyID {
		t.Errorf("list: %+v, want the rotated keys", listed)
	}
	code, jwks, stderr := runCLI(t, "keys", "list", "--token", uri, "--jwks")
	if code != exitOK {
		t.Fatalf("list --jwks: exit %d %s", code, stderr)
	}
	rep := verifyDocCLI(t, []string{docFile, "--jwks", writeFile(t, "jwks.json", jwks)}, exitOK, "")
	if rep.Algorithm != want || keys[1].Algorithm != want || rep.KeyID != keys[0].KeyID {
		t.Errorf("verified with %s %s, want the retired key %s", rep.Algorithm, rep.KeyID, keys[0].KeyID)
	}
}

func TestKeysErrors(t *testing.T) {
	tok := tokentest.New(t, "doc")
	const wrong = "wrong-pin-7741"
	u := tok.URI
	u.PINSource, u.PINValue = "", wrong
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"keys"}, exitUsage, "usage"},
		{[]string{"keys", "delete", "--token", tok.URI.String()}, exitUsage, "usage"},
		{[]string{"keys", "list", "--token", "file:/x"}, exitUsage, "PKCS#11 URI"},
		{[]string{"keys", "list", "--token", tok.URI.String()}, exitFailure, "biogate keys init"},
		{[]string{"keys", "init", "--token", u.String()}, exitFailure, "refused the PIN"},
		{[]string{"keys", "init", "--token", tok.URI.String(), "--alg", "RS256"}, exitUsage, "want auto, EdDSA or ES256"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if strings.Contains(stdout+stderr, wrong) {
			t.Errorf("%v: the output shows the PIN", c.args)
		}
	}
}
