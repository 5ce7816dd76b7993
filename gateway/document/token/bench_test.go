package token_test

import (
	"bytes"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/document/token/tokentest"
)

// docPayload is the size of a result document's JSON (about 2 KiB with
// cues and an IDEC section): what a Signer signs per result.
var docPayload = bytes.Repeat([]byte("x"), 2048)

// BenchmarkSignToken measures one document's signature through a SoftHSM2
// token, for each algorithm, and through a software TPM: C_SignInit and C_Sign on the token (EdDSA on
// the signing input; ECDSA P-256 on its SHA-256, taken in Go), the JWS
// around it.
func BenchmarkSignToken(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256} {
		b.Run("softhsm-"+string(alg), func(b *testing.B) { benchmarkSignToken(b, tokentest.New(b, "bench"), alg) })
	}
	// A TPM signs ES256 only; swtpm through tpm2-abrmd, on loopback.
	b.Run("swtpm-ES256", func(b *testing.B) { benchmarkSignToken(b, tokentest.NewTPM(b, "bench"), jose.ES256) })
}

func benchmarkSignToken(b *testing.B, tok *tokentest.Token, alg jose.SignatureAlgorithm) {
	k, err := token.Init(token.Config{URI: tok.URI, RotateEvery: 24 * time.Hour, Algorithm: alg})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(docPayload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignFileKeyring is BenchmarkSignToken with the default file
// keyring (Ed25519 in Go), for comparison.
func BenchmarkSignFileKeyring(b *testing.B) {
	k, err := document.NewKeyring(document.KeyringConfig{Dir: b.TempDir(), RotateEvery: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(docPayload); err != nil {
			b.Fatal(err)
		}
	}
}
