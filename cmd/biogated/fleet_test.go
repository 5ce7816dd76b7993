package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/pgtest"
	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
)

// Two gateways on one PostgreSQL evidence store (a fleet): an IIN has one
// session at a time across both, failures counted by either lock the IIN
// out on both, both append to one chain, and each signs with its own key
// while the JWKS of either verifies the documents of both and serves no
// key that a database writer without the subject key published.
func TestFleetSharesLockoutAndChain(t *testing.T) {
	dsn := pgtest.DSN(t)
	subjectKey := filepath.Join(t.TempDir(), "subject.key") // shared by the fleet
	a := startDaemon(t, "--evidence", dsn, "--subject-key", subjectKey)
	b := startDaemon(t, "--evidence", dsn, "--subject-key", subjectKey)
	attack := clipFrames(t, "minivision/minivision_live_replay_print.mp4")[34:] // the phone replay, then the print

	// A session running on A holds the IIN on B too, until it ends.
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+a+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := protocol.Encode(protocol.Start{IIN: bidenIIN, Modality: protocol.ModalityFace, ClientNonce: "fleet-test-nonce-0001",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}})
	conn.WriteMessage(websocket.TextMessage, msg)
	for capturing := false; !capturing; {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		m, _ := protocol.DecodeServer(data)
		st, ok := m.(*protocol.State)
		capturing = ok && st.State == protocol.StateCapturing
	}
	if res, fatal := streamSession(t, b, bidenIIN, attack[:5]); fatal == nil || fatal.Code != protocol.CodeIINInSession {
		t.Fatalf("the same IIN on B while A runs its session: result %+v, error %+v; want iin_in_session", res, fatal)
	}
	cancel, _ := protocol.Encode(protocol.Cancel{})
	conn.WriteMessage(websocket.TextMessage, cancel)
	for { // until A closes the cancelled session
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	conn.Close()

	for i, addr := range []string{a, b, a} {
		res, fatal := streamSession(t, addr, bidenIIN, attack)
		if res == nil || res.Decision != protocol.DecisionSpoof {
			t.Fatalf("session %d: result %+v, error %+v; want spoof", i+1, res, fatal)
		}
	}
	for _, addr := range []string{b, a} {
		res, fatal := streamSession(t, addr, bidenIIN, attack[:5])
		if fatal == nil || fatal.Code != protocol.CodeLockedOut || fatal.RetryAfter <= 0 {
			t.Fatalf("after 3 failures across the fleet: result %+v, error %+v; want locked_out on both gateways", res, fatal)
		}
	}

	store, err := evidence.Open(context.Background(), dsn, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rep, err := store.Verify(context.Background())
	if err != nil || rep.FirstBroken != nil || rep.Checked != 5 {
		t.Errorf("the fleet's chain: %+v, %v; want 5 documents intact", rep, err)
	}
	st, err := store.Stats(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || st.Attempts != 5 || st.Spoofs != 3 || st.LockedOut != 2 {
		t.Errorf("stats %+v, %v; want 5 attempts: 3 spoofs, 2 lockouts", st, err)
	}

	// The documents' keys: two, one per gateway; each gateway's JWKS
	// verifies every document.
	var docs []string
	kids := map[string]bool{}
	if _, err := store.VerifyDocuments(context.Background(), func(_ evidence.Entry, r evidence.Record) error {
		h, err := document.ParseHeader(string(r.Document))
		if err != nil {
			return err
		}
		docs, kids[h.KeyID] = append(docs, string(r.Document)), true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kids) != 2 {
		t.Fatalf("documents signed with %d keys %v, want one per gateway", len(kids), kids)
	}
	// Someone who can write to the database, without the fleet's subject
	// key, publishes a key of their own: no gateway serves it.
	forger, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "forger")})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	forgedKid, _ := forger.KeyID()
	if err := store.PublishKeys(context.Background(), evidence.PublishedKeys{Gateway: "gw-forged", JWKS: forged,
		Tag: make([]byte, 32), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{a, b} {
		ks := fetchJWKS(t, "http://"+addr+document.JWKSPath)
		if _, ok := ks.Lookup(forgedKid); ok {
			t.Errorf("%s serves a key published without the fleet's endorsement", addr)
		}
		for i, d := range docs {
			if _, _, err := document.VerifySignature(d, ks); err != nil {
				t.Errorf("%s's JWKS: document %d: %v", addr, i+1, err)
			}
		}
	}
}

// fetchJWKS reads the JWKS at url as a loan system would.
func fetchJWKS(t *testing.T, url string) document.KeySet {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	ks, err := document.ParseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// When the evidence store cannot answer, the daemon says so: /readyz turns
// 503 and a session is refused with evidence_unavailable at its start,
// before any capture, rather than run to a result it could not record.
func TestEvidenceStoreDown(t *testing.T) {
	dsn := pgtest.DSN(t)
	addr := startDaemon(t, "--evidence", dsn)
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz %d with the store up", code)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "ALTER TABLE failures RENAME TO failures_gone"); err != nil {
		t.Fatal(err)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d with the store failing, want 503", code)
	}
	res, fatal := streamSession(t, addr, cap12IIN, nil)
	if fatal == nil || fatal.Code != protocol.CodeEvidenceUnavailable || res != nil {
		t.Errorf("session with the store failing: result %+v, error %+v; want evidence_unavailable", res, fatal)
	}
}

// A decision the store cannot keep is not given: the client gets
// evidence_unavailable instead of an unrecorded spoof, and the failed
// attempt still counts toward the lockout.
func TestDecisionNotKept(t *testing.T) {
	dsn := pgtest.DSN(t)
	addr := startDaemon(t, "--evidence", dsn, "--max-attempts", "1")
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "ALTER TABLE chain_head RENAME TO chain_head_gone"); err != nil {
		t.Fatal(err)
	}
	attack := clipFrames(t, "minivision/minivision_live_replay_print.mp4")[34:]
	res, fatal := streamSession(t, addr, bidenIIN, attack)
	if fatal == nil || fatal.Code != protocol.CodeEvidenceUnavailable || res != nil {
		t.Fatalf("spoof the store cannot keep: result %+v, error %+v; want evidence_unavailable", res, fatal)
	}
	if _, err := conn.Exec(context.Background(), "ALTER TABLE chain_head_gone RENAME TO chain_head"); err != nil {
		t.Fatal(err)
	}
	res, fatal = streamSession(t, addr, bidenIIN, attack[:5])
	if fatal == nil || fatal.Code != protocol.CodeLockedOut {
		t.Errorf("after the unrecorded spoof (max attempts 1): result %+v, error %+v; want locked_out", res, fatal)
	}
}
