package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/document/token/tokentest"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/daemon"
)

// syncBuffer is a log sink safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemonLog is startDaemon with the daemon's log kept in a buffer.
func startDaemonLog(t *testing.T, log *syncBuffer, extra ...string) string {
	t.Helper()
	args := append(daemonArgs(t), extra...)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, log, ready) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("biogated exited %d", code)
		}
	})
	select {
	case addr := <-ready:
		return addr
	case code := <-done:
		t.Fatalf("biogated exited %d before listening:\n%s", code, log)
	case <-time.After(60 * time.Second):
		t.Fatal("biogated did not start")
	}
	return ""
}

// End to end with the signing key on a token: biogated --signing-key
// pkcs11:... signs a session's document and the evidence checkpoints
// through the token; the document, every document of the chain and the
// last checkpoint verify with the JWKS it serves. Then the token is
// removed while the daemon runs: the next session gets
// evidence_unavailable and no result, the daemon keeps serving, and no log
// line carries the PIN. The bank's HSM is a SoftHSM2 token (EdDSA, which
// it offers); the kiosk's TPM is a software TPM through tpm2-pkcs11
// (ES256, a TPM having no Ed25519).
func TestSessionSignsThroughToken(t *testing.T) {
	t.Run("hsm", func(t *testing.T) { testSessionSignsThroughToken(t, tokentest.New(t, "doc-2026"), jose.EdDSA) })
	t.Run("tpm", func(t *testing.T) { testSessionSignsThroughToken(t, tokentest.NewTPM(t, "doc-2026"), jose.ES256) })
}

func testSessionSignsThroughToken(t *testing.T, tok *tokentest.Token, alg jose.SignatureAlgorithm) {
	k, err := token.Init(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := k.KeyID()
	k.Close()
	var log syncBuffer
	data := t.TempDir()
	addr := startDaemonLog(t, &log, "--data", data, "--signing-key", tok.URI.String(), "--signing-timeout", "1s", "--log-level", "info")
	attack := clipFrames(t, "minivision/minivision_live_replay_print.mp4")[34:]

	res, fatal := streamSession(t, addr, bidenIIN, attack)
	if res == nil || res.Document == "" {
		t.Fatalf("session: result %+v, error %+v; want a signed result", res, fatal)
	}
	keys := jwks(t, addr)
	if len(keys) != 1 || keys[0].ID != kid || keys[0].Algorithm != alg {
		t.Fatalf("JWKS %+v, want the token's %s key %s only", keys, alg, kid)
	}
	doc, err := document.Verify(res.Document, keys, time.Now())
	if err != nil {
		t.Fatalf("the result's document: %v", err)
	}
	if h, _ := document.ParseHeader(res.Document); h.Algorithm != string(alg) || h.KeyID != kid || string(doc.Decision) != string(res.Decision) {
		t.Errorf("document header %+v, decision %s for result %s", h, doc.Decision, res.Decision)
	}

	store := dataStore(t, data)
	rep, err := store.VerifyDocuments(context.Background(), func(_ evidence.Entry, r evidence.Record) error {
		_, err := document.Verify(string(r.Document), keys, time.Now())
		return err
	})
	if err != nil || rep.FirstBroken != nil || rep.Checked != 1 {
		t.Errorf("the chain: %+v, %v; want 1 document intact, signed by the token", rep, err)
	}
	cp, ok, err := checkpoint.Tail(filepath.Join(data, daemon.CheckpointFile), keys, time.Now())
	if err != nil || !ok || cp.Seq != 1 {
		t.Errorf("the last checkpoint: %+v, %v, %v; want one verifying with the token's key", cp, ok, err)
	}

	if tok.Dir == "" {
		// The TPM stops answering, then answers again: the session in
		// between gets evidence_unavailable after --signing-timeout, not
		// a hung socket, and the next one is signed.
		// (Another person: three spoofs would lock bidenIIN out.)
		thaw := tokentest.Freeze(t, tok)
		res, fatal = streamSession(t, addr, obamaIIN, attack)
		thaw()
		if res != nil || fatal == nil || fatal.Code != protocol.CodeEvidenceUnavailable {
			t.Errorf("session with the TPM stopped: result %+v, error %+v; want evidence_unavailable", res, fatal)
		}
		time.Sleep(time.Second) // the pending signature returns
		res, fatal = streamSession(t, addr, cap12IIN, attack)
		if res == nil || res.Document == "" {
			t.Fatalf("session after the TPM answers again: result %+v, error %+v", res, fatal)
		}
		if _, err := document.Verify(res.Document, jwks(t, addr), time.Now()); err != nil {
			t.Errorf("the document after the TPM answers again: %v", err)
		}
	}

	// The token goes away (its folder removed, or the TPM gone; its
	// library reset).
	tokentest.Remove(t, tok)
	res, fatal = streamSession(t, addr, bidenIIN, attack)
	if res != nil || fatal == nil || fatal.Code != protocol.CodeEvidenceUnavailable {
		t.Errorf("session with the token removed: result %+v, error %+v; want evidence_unavailable and no result", res, fatal)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz after the token failed: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	logs := log.String()
	if !strings.Contains(logs, "token unavailable") {
		t.Errorf("the log does not say the token is unavailable:\n%s", logs)
	}
	if strings.Contains(logs, tokentest.PIN) || strings.Contains(logs, tokentest.SOPIN) {
		t.Errorf("a log line carries the PIN:\n%s", logs)
	}
}

// A daemon pointed at a token it cannot use does not start, and says why.
func TestSigningKeyFailuresStopStart(t *testing.T) {
	tok := tokentest.New(t, "doc")
	k, err := token.Init(token.Config{URI: tok.URI})
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	for _, c := range []struct {
		name string
		edit func(u *token.URI)
		want string
		code int
	}{
		// Not restarted by systemd: each try counts towards the lockout.
		{"wrong PIN", func(u *token.URI) { u.PINSource, u.PINValue = "", "not-the-pin-8812" }, "refused the PIN", exitPINRefused},
		{"missing token", func(u *token.URI) { u.Token = "elsewhere" }, "token not found", 1},
		{"missing object", func(u *token.URI) { u.Object = "doc-1999" }, "biogate keys init", 1},
		{"missing module", func(u *token.URI) { u.ModulePath = "/nonexistent/lib.so" }, "module unavailable", 1},
	} {
		u := tok.URI
		c.edit(&u)
		var log syncBuffer
		args := append(daemonArgs(t), "--signing-key", u.String())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		code := run(ctx, args, func(string) string { return "" }, &log, nil)
		cancel()
		if code != c.code || !strings.Contains(log.String(), c.want) {
			t.Errorf("%s: exit %d, log:\n%s\nwant exit %d and it to say %q", c.name, code, log.String(), c.code, c.want)
		}
		if strings.Contains(log.String(), "not-the-pin-8812") || strings.Contains(log.String(), tokentest.PIN) {
			t.Errorf("%s: the log carries a PIN", c.name)
		}
	}
}
