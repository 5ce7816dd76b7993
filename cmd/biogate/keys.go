package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
)

const keysUsage = "usage: biogate keys init|list|rotate --token pkcs11:URI [--alg auto|EdDSA|ES256] [--verify-for D] [--json|--jwks]"

// keyReport is one key of `biogate keys ... --json`.
type keyReport struct {
	KeyID     string    `json:"kid"`
	Algorithm string    `json:"alg"`
	Current   bool      `json:"current"`
	NotBefore time.Time `json:"not_before,omitzero"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

// runKeys manages the document signing keys on a PKCS#11 token (an HSM, a
// TPM through tpm2-pkcs11, SoftHSM2): init generates the first key pair
// under the URI's object label, list shows the label's keys, rotate
// retires the current key (kept in the JWKS for --verify-for) and makes a
// new one. biogated --signing-key URI then signs with the current key.
func runKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "init" && args[0] != "list" && args[0] != "rotate") {
		fmt.Fprintln(stderr, keysUsage)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("token", os.Getenv("BIOGATE_SIGNING_KEY"), "the key on its token, an RFC 7512 URI: 'pkcs11:token=LABEL;object=KEY?module-path=LIB.so&pin-source=file:PINFILE' (default $BIOGATE_SIGNING_KEY)")
	alg := fs.String("alg", "auto", "init, rotate: the new key's algorithm: EdDSA (Ed25519), ES256 (P-256), or auto (EdDSA where the token offers it, else ES256)")
	verifyFor := fs.Duration("verify-for", 0, "rotate: how long a retired key still verifies its documents (0: 5 years; set it to the evidence's retention)")
	asJSON := fs.Bool("json", false, "print the keys as JSON")
	asJWKS := fs.Bool("jwks", false, "print the keys' JWKS, as biogated serves it (for biogate doc verify --jwks FILE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, keysUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if fs.NArg() > 0 || *uri == "" {
		fs.Usage()
		return exitUsage
	}
	u, err := token.ParseURI(*uri)
	if err != nil {
		fmt.Fprintf(stderr, "biogate keys: --token: %v\n", err)
		return exitUsage
	}
	cfg := token.Config{URI: u, VerifyFor: *verifyFor}
	switch a := jose.SignatureAlgorithm(*alg); a {
	case "auto":
	case jose.EdDSA, jose.ES256:
		cfg.Algorithm = a
	default:
		fmt.Fprintf(stderr, "biogate keys: --alg %q: want auto, EdDSA or ES256\n", *alg)
		return exitUsage
	}
	var k *token.Keyring
	if sub == "init" {
		k, err = token.Init(cfg)
	} else {
		k, err = token.Open(cfg)
	}
	if err == nil && sub == "rotate" {
		err = k.Rotate()
	}
	var keys document.KeySet
	if err == nil {
		keys, err = k.Keys()
	}
	if k != nil {
		k.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "biogate keys %s: %s: %v\n", sub, u, err)
		return exitFailure
	}
	return printKeys(keys, *asJSON, *asJWKS, stdout, stderr)
}

func printKeys(keys document.KeySet, asJSON, asJWKS bool, stdout, stderr io.Writer) int {
	if asJWKS {
		data, err := document.MarshalJWKS(keys)
		if err != nil {
			fmt.Fprintf(stderr, "biogate keys: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "%s\n", data)
		return exitOK
	}
	reports := make([]keyReport, len(keys))
	for i, k := range keys {
		reports[i] = keyReport{KeyID: k.ID, Algorithm: string(k.Algorithm), Current: i == len(keys)-1 && k.RetiredAt.IsZero(),
			NotBefore: k.NotBefore.UTC(), RetiredAt: k.RetiredAt.UTC(), NotAfter: k.NotAfter.UTC()}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(reports)
		return exitOK
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	for _, r := range reports {
		state := "retired"
		if r.Current {
			state = "current"
		}
		fmt.Fprintf(stdout, "%s  %s  %-7s  from %s  retired %s  verifies until %s\n", r.KeyID, r.Algorithm, state, stamp(r.NotBefore), stamp(r.RetiredAt), stamp(r.NotAfter))
	}
	return exitOK
}
