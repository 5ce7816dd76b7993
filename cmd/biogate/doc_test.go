package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
)

// testDocument returns a complete match document issued at issued.
func testDocument(issued time.Time) *document.Document {
	sum := sha256.Sum256([]byte("best frame"))
	d := document.New("0b7e3c1a-1d2f-4e5a-8b9c-0d1e2f3a4b5c", issued)
	d.Decision = document.DecisionMatch
	d.Organization.BIN = demoBIN
	d.Subject.IIN = "790303402568"
	d.Consent = document.Consent{TextID: "cli-test/v1", TextSHA256: hex.EncodeToString(sum[:]), AcceptedAt: issued.Add(-time.Minute)}
	d.ClientNonce = "cli-test-nonce-0123456789"
	d.Liveness = document.Liveness{Random: true, Attempts: 1, Commands: []document.Command{
		{Attempt: 1, Index: 0, Command: protocol.CommandTurnLeft, Outcome: document.OutcomePassed, Progress: 1},
	}}
	d.BestFrame = &document.ImageRef{Name: "best.jpg", SHA256: hex.EncodeToString(sum[:]), Bytes: 4096, Width: 640, Height: 480, Quality: 80}
	d.IDEC = &document.IDEC{RequestID: "idec-1", Decision: document.DecisionMatch, Similarity: 0.93, Threshold: 0.6, LatencyMS: 120}
	d.Gateway = document.Gateway{ID: "test-gateway", Version: "test"}
	d.Device = document.Device{Mode: document.ModeRelay}
	return d
}

// testClock is a settable clock for a keyring.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// jwksServer serves k's JWKS at the well-known path and returns its URL.
func jwksServer(t *testing.T, k *document.Keyring) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(document.JWKSPath, k.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + document.JWKSPath
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDocVerify(t *testing.T) {
	clk := &testClock{now: time.Now().Add(-2 * time.Hour)}
	k, err := document.NewKeyring(document.KeyringConfig{Dir: t.TempDir(), VerifyFor: 30 * time.Minute, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	// A document of a key retired an hour ago, verifiable for 30 minutes.
	expired, err := document.Sign(k, testDocument(clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Now().Add(-time.Hour))
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Now())
	doc := testDocument(time.Now())
	jws, err := document.Sign(k, doc)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := k.KeyID()
	url := jwksServer(t, k)
	jwksBody, _ := k.JWKS()
	jwksFile := writeFile(t, "jwks.json", string(jwksBody))

	other, err := document.NewKeyring(document.KeyringConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	otherURL := jwksServer(t, other)

	result, _ := protocol.Encode(protocol.Result{SessionID: doc.SessionID, Decision: protocol.DecisionMatch,
		ClientNonce: doc.ClientNonce, Attempts: 1, DecidedAt: doc.IssuedAt, Document: jws})
	lied, _ := protocol.Encode(protocol.Result{SessionID: doc.SessionID, Decision: protocol.DecisionMatch,
		ClientNonce: "another-apps-nonce-000000", Attempts: 1, DecidedAt: doc.IssuedAt, Document: jws})
	state, _ := protocol.Encode(protocol.State{State: protocol.StateDone, Reason: protocol.DoneCompleted})
	sessionLog := string(state) + "\n" + string(result) + "\n" + string(state) + "\n"
	// One character of the payload changed for another of the base64url
	// alphabet (its 6-bit value's top bit flipped).
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	tampered := []byte(jws)
	at := strings.Index(jws, ".") + 10
	tampered[at] = alphabet[strings.IndexByte(alphabet, tampered[at])^32]

	for _, c := range []struct {
		name  string
		args  []string
		code  int
		check string // the failed check, "" when valid
	}{
		{"JWS, JWKS over HTTP", []string{writeFile(t, "doc.jws", jws+"\n"), "--jwks", url}, exitOK, ""},
		{"JWS, JWKS file, flags first", []string{"--jwks", jwksFile, writeFile(t, "doc.jws", jws)}, exitOK, ""},
		{"result message", []string{writeFile(t, "result.json", string(result)), "--jwks", url}, exitOK, ""},
		{"biogate session --json output", []string{writeFile(t, "session.jsonl", sessionLog), "--jwks", url}, exitOK, ""},
		{"result message that differs from its document", []string{writeFile(t, "lied.json", string(lied)), "--jwks", url}, exitFailure, "envelope"},
		{"changed byte", []string{writeFile(t, "tampered.jws", string(tampered)), "--jwks", url}, exitFailure, "signature"},
		{"another gateway's keys", []string{writeFile(t, "doc.jws", jws), "--jwks", otherURL}, exitFailure, "unknown_key"},
		{"expired key id", []string{writeFile(t, "old.jws", expired), "--jwks", url}, exitFailure, "key_expired"},
		{"not a document", []string{writeFile(t, "junk.jws", "hello"), "--jwks", url}, exitFailure, "malformed"},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.jws"), "--jwks", url}, exitFailure, "input"},
		{"JWKS URL not found", []string{writeFile(t, "doc.jws", jws), "--jwks", url + ".missing"}, exitFailure, "jwks"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyDocCLI(t, c.args, c.code, c.check)
			if rep.Valid && (rep.Decision != "match" || rep.ID != doc.ID || rep.KeyID != kid || !rep.IssuedAt.Equal(doc.IssuedAt)) {
				t.Errorf("report %+v", rep)
			}
		})
	}

	// The terminal report.
	code, stdout, _ := runCLI(t, "doc", "verify", writeFile(t, "doc.jws", jws), "--jwks", url)
	if code != exitOK || !strings.Contains(stdout, "signature valid") || !strings.Contains(stdout, kid) || !strings.Contains(stdout, doc.ID) {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "doc", "verify", writeFile(t, "old.jws", expired), "--jwks", url)
	if code != exitFailure || !strings.Contains(stdout, "INVALID") || !strings.Contains(stdout, "expired key id") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	if strings.Contains(stdout, doc.Subject.IIN) {
		t.Errorf("the report shows the IIN:\n%s", stdout)
	}
}

func TestDocUsage(t *testing.T) {
	t.Setenv("BIOGATE_JWKS", "")
	for _, args := range [][]string{{"doc"}, {"doc", "sign"}, {"doc", "verify"}, {"doc", "verify", "x.jws"}, {"doc", "verify", "a", "b", "--jwks", "k"}} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestDocVerifyReplay: a loan system that asked with nonce B is handed the
// signed result of an earlier session (nonce A, an hour old). The
// signature alone verifies it; --nonce and --max-age refuse it, and accept
// the answer to the request that was made.
func TestDocVerifyReplay(t *testing.T) {
	now := time.Now()
	clk := &testClock{now: now.Add(-2 * time.Hour)}
	k, err := document.NewKeyring(document.KeyringConfig{Dir: t.TempDir(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	url := jwksServer(t, k)
	old := testDocument(now.Add(-time.Hour))
	old.ClientNonce = "earlier-session-nonce-AAAA"
	oldJWS, err := document.Sign(k, old)
	if err != nil {
		t.Fatal(err)
	}
	fresh := testDocument(now.Add(-5 * time.Second))
	fresh.ClientNonce = "0123456789abcdef0123456789abcdef"
	freshJWS, err := document.Sign(k, fresh)
	if err != nil {
		t.Fatal(err)
	}
	oldFile, freshFile := writeFile(t, "old.jws", oldJWS), writeFile(t, "fresh.jws", freshJWS)
	// The app hands over the earlier result message, with its own nonce.
	oldResult, _ := protocol.Encode(protocol.Result{SessionID: old.SessionID, Decision: protocol.DecisionMatch,
		ClientNonce: old.ClientNonce, Attempts: 1, DecidedAt: old.IssuedAt, Document: oldJWS})
	oldResultFile := writeFile(t, "old-result.json", string(oldResult))

	for _, c := range []struct {
		name  string
		args  []string
		code  int
		check string
	}{
		{"replayed, signature only (the attack)", []string{oldFile}, exitOK, ""},
		{"replayed, nonce checked", []string{oldFile, "--nonce", fresh.ClientNonce}, exitFailure, "nonce"},
		{"replayed result message, nonce checked", []string{oldResultFile, "--nonce", fresh.ClientNonce}, exitFailure, "nonce"},
		{"replayed, age checked", []string{oldFile, "--max-age", "10m"}, exitFailure, "stale"},
		{"replayed, right nonce but expired", []string{oldFile, "--nonce", old.ClientNonce, "--max-age", "10m"}, exitFailure, "stale"},
		{"the answer to this request", []string{freshFile, "--nonce", fresh.ClientNonce, "--max-age", "10m"}, exitOK, ""},
		{"the answer, flags first", []string{"--max-age", "1m", "--nonce", fresh.ClientNonce, freshFile}, exitOK, ""},
		{"the answer, another applicant", []string{freshFile, "--nonce", fresh.ClientNonce, "--iin", "061211600012"}, exitFailure, "subject"},
		{"the answer, this applicant", []string{freshFile, "--nonce", fresh.ClientNonce, "--iin", fresh.Subject.IIN, "--max-age", "10m"}, exitOK, ""},
		{"the answer, kept too long", []string{freshFile, "--nonce", fresh.ClientNonce, "--max-age", "1s"}, exitFailure, "stale"},
	} {
		t.Run(c.name, func(t *testing.T) {
			verifyDocCLI(t, append([]string{"--jwks", url}, c.args...), c.code, c.check)
		})
	}

	code, stdout, _ := runCLI(t, "doc", "verify", oldFile, "--jwks", url, "--nonce", fresh.ClientNonce)
	if code != exitFailure || !strings.Contains(stdout, "INVALID     nonce: client nonce differs") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	if strings.Contains(stdout, old.ClientNonce) || strings.Contains(stdout, fresh.Subject.IIN) {
		t.Errorf("the report shows a nonce or the IIN:\n%s", stdout)
	}
	if code, _, _ := runCLI(t, "doc", "verify", freshFile, "--jwks", url, "--max-age", "-1m"); code != exitUsage {
		t.Errorf("negative --max-age: exit %d, want %d", code, exitUsage)
	}
}

// verifyDocCLI runs biogate doc verify --json with args and checks its exit
// code and the check its report names ("" for a valid document).
func verifyDocCLI(t *testing.T, args []string, wantCode int, wantCheck string) docReport {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"doc", "verify", "--json"}, args...)...)
	if code != wantCode {
		t.Fatalf("exit %d, want %d\n%s%s", code, wantCode, stdout, stderr)
	}
	var rep docReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if rep.Valid != (wantCheck == "") || rep.Check != wantCheck {
		t.Fatalf("valid %v, check %q (%s), want check %q", rep.Valid, rep.Check, rep.Message, wantCheck)
	}
	return rep
}
