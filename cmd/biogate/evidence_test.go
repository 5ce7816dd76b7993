package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// evidenceStore makes a SQLite store with a key file in a temp folder and
// appends records to it; it returns the store's DSN, its path and the key
// file.
func evidenceStore(t *testing.T, records ...evidence.Record) (dsn, path, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	path, keyFile = filepath.Join(dir, "evidence.db"), filepath.Join(dir, "evidence.key")
	key, err := evidence.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	dsn = "sqlite:" + path
	s, err := evidence.Open(context.Background(), dsn, evidence.Options{ImageKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range records {
		if _, err := s.Append(context.Background(), func(string) (evidence.Record, error) { return r, nil }); err != nil {
			t.Fatal(err)
		}
	}
	return dsn, path, keyFile
}

func evidenceRecord(id string, at time.Time, decision string, reasons ...string) evidence.Record {
	return evidence.Record{ID: id, Time: at, Decision: decision, Reasons: reasons, BIN: "000000000000", Gateway: "gw-1",
		Document: []byte("eyJhbGciOiJFZERTQSJ9." + id + ".c2ln")}
}

// sqliteExec edits the store's file behind biogate's back.
func sqliteExec(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if res, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	} else if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed no row", query)
	}
}

func TestEvidenceVerify(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var recs []evidence.Record
	for i := 1; i <= 4; i++ {
		recs = append(recs, evidenceRecord(fmt.Sprintf("doc-%d", i), at.Add(time.Duration(i)*time.Minute), "no_match"))
	}
	dsn, path, _ := evidenceStore(t, recs...)

	code, stdout, stderr := runCLI(t, "evidence", "verify", "--store", dsn)
	if code != exitOK || !strings.HasPrefix(stdout, "4 documents, chain intact\n") || !strings.Contains(stdout, "note: no checkpoint file") {
		t.Fatalf("intact chain, no checkpoints: exit %d, %q %q", code, stdout, stderr)
	}
	// The store from the environment when no flag names one.
	t.Setenv("BIOGATE_EVIDENCE", dsn)
	if code, stdout, _ := runCLI(t, "evidence", "verify"); code != exitOK || !strings.Contains(stdout, "4 documents") {
		t.Errorf("store from BIOGATE_EVIDENCE: exit %d, %q", code, stdout)
	}

	sqliteExec(t, path, "UPDATE documents SET decision = 'match' WHERE seq = 2")
	code, stdout, stderr = runCLI(t, "evidence", "verify", "--store", dsn)
	if code != exitFailure || !strings.Contains(stdout, "chain broken at document 2 (id doc-2)") || !strings.Contains(stdout, "1 documents verified") {
		t.Errorf("edited decision: exit %d, %q %q", code, stdout, stderr)
	}
	sqliteExec(t, path, "UPDATE documents SET decision = 'no_match' WHERE seq = 2")
	sqliteExec(t, path, "DELETE FROM documents WHERE seq = 3")
	code, stdout, stderr = runCLI(t, "evidence", "verify", "--store", dsn)
	if code != exitFailure || !strings.Contains(stdout, "chain broken at document 3:") || !strings.Contains(stdout, "missing") {
		t.Errorf("deleted document: exit %d, %q %q", code, stdout, stderr)
	}

	// A store that does not exist is an error, and is not created.
	missing := filepath.Join(t.TempDir(), "none.db")
	if code, _, stderr := runCLI(t, "evidence", "verify", "--store", "sqlite:"+missing); code != exitFailure || !strings.Contains(stderr, "no evidence store") {
		t.Errorf("missing store: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("verify created the missing store")
	}
	if code, _, _ := runCLI(t, "evidence", "verify", "extra"); code != exitUsage {
		t.Errorf("stray argument: exit %d", code)
	}
	if code, _, _ := runCLI(t, "evidence", "frobnicate"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

func TestEvidenceStats(t *testing.T) {
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	dsn, _, _ := evidenceStore(t,
		evidenceRecord("a", day.Add(-time.Second), "match"),
		evidenceRecord("b", day, "match"),
		evidenceRecord("c", day.Add(time.Hour), "no_match"),
		evidenceRecord("d", day.Add(2*time.Hour), "spoof", "replay_attack"),
		evidenceRecord("e", day.Add(3*time.Hour), "refused", "timeout"),
		evidenceRecord("f", day.Add(4*time.Hour), "refused", evidence.ReasonLockedOut),
		evidenceRecord("g", day.Add(5*time.Hour), "error"),
		evidenceRecord("h", day.Add(24*time.Hour-time.Nanosecond), "match"),
		evidenceRecord("i", day.Add(24*time.Hour), "spoof"),
	)
	code, stdout, stderr := runCLI(t, "evidence", "stats", "--store", dsn, "--from", "2026-11-02", "--to", "2026-11-02", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got evidenceStats
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	want := evidenceStats{From: day, To: day.Add(24 * time.Hour), Attempts: 7, Matches: 2, NoMatch: 1, Spoofs: 1, Refused: 1, LockedOut: 1, Errors: 1}
	if got != want {
		t.Errorf("stats of one day:\n got %+v\nwant %+v", got, want)
	}
	// RFC 3339 bounds, --to excluded; text output.
	code, stdout, _ = runCLI(t, "evidence", "stats", "--store", dsn, "--from", "2026-11-01T23:00:00Z", "--to", "2026-11-02T02:00:00Z")
	if code != exitOK || !evidenceLine(stdout, "attempts", "3") || !evidenceLine(stdout, "matches", "2") || !evidenceLine(stdout, "spoofs detected", "0") {
		t.Errorf("stats of three hours: exit %d\n%s", code, stdout)
	}
	for _, args := range [][]string{
		{"--from", "2026-11-02"},
		{"--from", "yesterday", "--to", "2026-11-02"},
		{"--from", "2026-11-03", "--to", "2026-11-01"},
	} {
		if code, _, _ := runCLI(t, append([]string{"evidence", "stats", "--store", dsn}, args...)...); code != exitUsage {
			t.Errorf("stats %v: exit %d, want usage", args, code)
		}
	}
}

// evidenceLine reports whether out has a line "name   value".
func evidenceLine(out, name, value string) bool {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.TrimSpace(strings.TrimPrefix(l, name)); strings.HasPrefix(l, name+" ") && f == value {
			return true
		}
	}
	return false
}

func TestEvidenceExport(t *testing.T) {
	jpeg := func() []byte {
		b := make([]byte, 5000)
		rand.Read(b)
		return append([]byte{0xFF, 0xD8, 0xFF}, b...)
	}
	r := evidenceRecord("doc-7", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), "match", "passive_live")
	r.Images = []evidence.Image{{Name: "best", JPEG: jpeg()}, {Name: "command-1/turn_left", JPEG: jpeg()}}
	dsn, _, keyFile := evidenceStore(t, evidenceRecord("doc-6", r.Time.Add(-time.Hour), "spoof"), r)

	out := filepath.Join(t.TempDir(), "export")
	code, stdout, stderr := runCLI(t, "evidence", "export", "--store", dsn, "--key", keyFile, "--id", "doc-7", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "document 2 (id doc-7)") {
		t.Errorf("stdout %q", stdout)
	}
	if b, err := os.ReadFile(filepath.Join(out, "document.jws")); err != nil || !bytes.Equal(b, r.Document) {
		t.Errorf("document.jws: %q, %v", b, err)
	}
	var m evidenceManifest
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest.json: %v\n%s", err, b)
	}
	if m.ID != "doc-7" || m.Seq != 2 || len(m.Hash) != 64 || len(m.PrevHash) != 64 || m.Decision != "match" || m.Document.SHA256 != evidenceSHA256(r.Document) || len(m.Images) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	for i, im := range m.Images {
		got, err := os.ReadFile(filepath.Join(out, im.File))
		if err != nil || im.Name != r.Images[i].Name || !bytes.Equal(got, r.Images[i].JPEG) || im.SHA256 != evidenceSHA256(got) {
			t.Errorf("image %d: %+v, %v", i, im, err)
		}
		if strings.ContainsAny(im.File, "/\\") {
			t.Errorf("image file name %q is not a plain name", im.File)
		}
	}
	if st, err := os.Stat(filepath.Join(out, m.Images[0].File)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("exported image mode: %v, %v", st.Mode(), err)
	}

	// Another key does not decrypt; an unknown id is an error.
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := evidence.LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "evidence", "export", "--store", dsn, "--key", other, "--id", "doc-7", "--out", t.TempDir()); code != exitFailure || !strings.Contains(stderr, "wrong image key") {
		t.Errorf("another key: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "evidence", "export", "--store", dsn, "--key", keyFile, "--id", "nope", "--out", t.TempDir()); code != exitFailure || !strings.Contains(stderr, "not found") {
		t.Errorf("unknown id: exit %d, %q", code, stderr)
	}
	// A document without images needs no key.
	out2 := t.TempDir()
	if code, _, stderr := runCLI(t, "evidence", "export", "--store", dsn, "--key", filepath.Join(out2, "absent.key"), "--id", "doc-6", "--out", out2); code != exitOK {
		t.Errorf("document without images, no key: exit %d, %q", code, stderr)
	}

	// Once retention purged the images, the export has the document and
	// the images' digests.
	s, err := evidence.Open(context.Background(), dsn, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(context.Background(), r.Time.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("Purge: %d, %v", n, err)
	}
	s.Close()
	out3 := t.TempDir()
	code, _, stderr = runCLI(t, "evidence", "export", "--store", dsn, "--key", keyFile, "--id", "doc-7", "--out", out3)
	if code != exitOK || !strings.Contains(stderr, "purged") {
		t.Fatalf("purged export: exit %d, %q", code, stderr)
	}
	b, _ = os.ReadFile(filepath.Join(out3, "manifest.json"))
	m = evidenceManifest{}
	if err := json.Unmarshal(b, &m); err != nil || m.ImagesPurged.IsZero() || len(m.Images) != 2 || m.Images[0].File != "" || m.Images[0].SHA256 != evidenceSHA256(r.Images[0].JPEG) {
		t.Errorf("manifest after purge: %+v, %v", m, err)
	}
	if files, _ := filepath.Glob(filepath.Join(out3, "*.jpg")); len(files) != 0 {
		t.Errorf("images exported after purge: %v", files)
	}
}

// evidence verify --jwks also checks each stored document: its signature
// with the gateway's keys, and that the predecessor it signed is the
// chain's. A store whose hashes all hold still fails when a document was
// signed by another key or names another predecessor.
func TestEvidenceVerifyDocuments(t *testing.T) {
	ring, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "keys")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "keys")})
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := func(k *document.Keyring) string {
		b, err := k.JWKS()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "jwks.json")
		os.WriteFile(p, b, 0o600)
		return p
	}
	// appendDocs appends n refused documents signed by signer; lie makes
	// the last one name a wrong predecessor.
	appendDocs := func(t *testing.T, dsn string, signer document.Signer, n int, lie bool) {
		s, err := evidence.Open(context.Background(), dsn, evidence.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range n {
			_, err := s.Append(context.Background(), func(prev string) (evidence.Record, error) {
				d := document.New("session-"+strconv.Itoa(i), time.Now().Add(-time.Minute))
				d.Decision = document.DecisionRefused
				d.Reasons = []string{"attempts_exhausted"}
				d.Organization.BIN, d.Subject.IIN = "000000000000", "790303402568"
				d.Consent = document.Consent{TextID: "consent-v1", TextSHA256: strings.Repeat("ab", 32), AcceptedAt: time.Now().Add(-2 * time.Minute)}
				d.ClientNonce = "nonce-of-the-test-0001"
				d.Liveness = document.Liveness{Random: true, Attempts: 3}
				d.Gateway = document.Gateway{ID: "biogated", Version: "test"}
				d.Device = document.Device{Mode: document.ModeRelay}
				d.PrevHash = prev
				if lie && i == n-1 {
					d.PrevHash = strings.Repeat("0", 64)
				}
				jws, err := document.Sign(signer, d)
				return evidence.Record{ID: d.ID, Time: d.IssuedAt, Decision: string(d.Decision), Reasons: d.Reasons,
					BIN: d.Organization.BIN, Gateway: d.Gateway.ID, Document: []byte(jws)}, err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "evidence.db")
	appendDocs(t, dsn, ring, 3, false)
	code, stdout, stderr := runCLI(t, "evidence", "verify", "--store", dsn, "--jwks", jwksFile(ring))
	if code != exitOK || !strings.Contains(stdout, "3 documents, chain intact, every signature valid") {
		t.Errorf("genuine store: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "evidence", "verify", "--store", dsn, "--jwks", jwksFile(other))
	if code != exitFailure || !strings.Contains(stdout, "chain broken at document 1") || !strings.Contains(stdout, "key") {
		t.Errorf("keys of another gateway: exit %d\n%s", code, stdout)
	}
	appendDocs(t, dsn, ring, 1, true)
	code, stdout, _ = runCLI(t, "evidence", "verify", "--store", dsn, "--jwks", jwksFile(ring))
	if code != exitFailure || !strings.Contains(stdout, "chain broken at document 4") || !strings.Contains(stdout, "predecessor") {
		t.Errorf("a document naming another predecessor: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "evidence", "verify", "--store", dsn); code != exitOK {
		t.Errorf("without --jwks the hashes alone hold: exit %d\n%s", code, stdout)
	}
}
