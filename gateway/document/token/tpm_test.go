package token_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/document/token/tokentest"
)

// The kiosk path: a key in a TPM 2.0 (swtpm) through tpm2-pkcs11. A TPM
// has no Ed25519, so the keyring left to choose makes an ES256 key, and
// one asked for EdDSA says the token lacks it; the key signs, rotates
// with the old public key kept, and a wrong PIN is refused by the TPM.
func TestTPMKeyring(t *testing.T) {
	tok := tokentest.NewTPM(t, "doc-2026")
	if _, err := token.Init(token.Config{URI: tok.URI, Algorithm: jose.EdDSA}); !errors.Is(err, token.ErrAlgorithm) {
		t.Fatalf("Init EdDSA on a TPM: %v, want ErrAlgorithm", err)
	}
	k := mustInit(t, token.Config{URI: tok.URI})
	first := mustSign(t, k)
	keys, err := k.Keys()
	if err != nil || len(keys) != 1 || keys[0].Algorithm != jose.ES256 {
		t.Fatalf("keys %+v, %v; want one ES256 key", keys, err)
	}
	verify(t, first, keys)
	forged := first[:strings.LastIndexByte(first, '.')+1] + otherSignature(t, first, jose.ES256)
	if _, _, err := document.VerifySignature(forged, keys); err == nil {
		t.Error("a signature by another key verifies")
	}

	// Rotation on the TPM: a new key generated and loaded beside the old
	// one (the resource manager swaps them in and out of the TPM).
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	second := mustSign(t, k)
	keys, err = k.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after rotation: %d, %v", len(keys), err)
	}
	if verify(t, first, keys) != keys[0].ID || verify(t, second, keys) != keys[1].ID {
		t.Error("documents verify with the wrong keys")
	}

	// Another process's view: with the library finalised (the last
	// keyring closed) and initialised again, the token's store holds the
	// rotation, and Open signs with the new key. (tpm2-pkcs11 kept a data
	// object's changed value only in memory: the JWKS is written anew.)
	k.Close()
	k2, err := token.Open(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	third, err := k2.Sign(payload)
	k2.Close()
	if err != nil || verify(t, third, keys) != keys[1].ID {
		t.Errorf("Open after the rotation: signed (%v) with another key", err)
	}

	u := tok.URI
	u.PINSource, u.PINValue = "", "wrong-tpm-pin-5521"
	// Logged out: the TPM's token itself checks the PIN.
	if k3, err := token.Open(token.Config{URI: u}); !errors.Is(err, token.ErrPIN) {
		if err == nil {
			k3.Close()
		}
		t.Errorf("wrong PIN: %v, want ErrPIN", err)
	} else if strings.Contains(err.Error(), "wrong-tpm-pin") {
		t.Errorf("the error shows the PIN: %v", err)
	}
}

// A TPM that stops answering (swtpm stopped): a signature gives
// ErrUnavailable after the keyring's Timeout instead of hanging the
// session, calls behind the pending one give up too, and once the TPM
// answers again the keyring signs as before.
func TestTPMStopsAnswering(t *testing.T) {
	tok := tokentest.NewTPM(t, "doc")
	const timeout = 300 * time.Millisecond
	k := mustInit(t, token.Config{URI: tok.URI, Timeout: timeout})
	mustSign(t, k)
	thaw := tokentest.Freeze(t, tok)
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"sign", func() error { _, err := k.Sign(payload); return err }, "no answer in"},
		{"sign behind it", func() error { _, err := k.Sign(payload); return err }, "earlier call"},
		{"keys behind it", func() error { _, err := k.Keys(); return err }, "earlier call"},
	} {
		start := time.Now()
		err := c.call()
		took := time.Since(start)
		if !errors.Is(err, token.ErrUnavailable) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on a stopped TPM: %v, want ErrUnavailable (%s)", c.name, err, c.want)
		}
		if took < timeout || took > timeout+2*time.Second {
			t.Errorf("%s: gave up after %v, want about %v", c.name, took, timeout)
		}
	}
	thaw()
	var jws string
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if jws, err = k.Sign(payload); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("sign after the TPM answers again: %v", err)
	}
	keys, err := k.Keys()
	if err != nil {
		t.Fatal(err)
	}
	verify(t, jws, keys)
}
