package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
	"github.com/biogate/biogate/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// gatewayData is a gateway's data folder, laid out as the daemon lays it
// out (keys/, evidence.key, evidence-checkpoints.jsonl), with its store
// (SQLite in the folder, or a PostgreSQL database).
type gatewayData struct {
	dir, dsn, keyFile, checkpoints, jwks string
	keys                                 *document.Keyring
}

func newGatewayData(t *testing.T, backend string) *gatewayData {
	t.Helper()
	dir := t.TempDir()
	g := &gatewayData{dir: dir, keyFile: filepath.Join(dir, "evidence.key"), checkpoints: filepath.Join(dir, "evidence-checkpoints.jsonl"),
		jwks: filepath.Join(dir, "keys", "jwks.json")}
	switch backend {
	case "sqlite":
		g.dsn = "sqlite:" + filepath.Join(dir, "evidence.db")
	case "postgres":
		g.dsn = pgtest.DSN(t)
	}
	keys, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(dir, "keys")})
	if err != nil {
		t.Fatal(err)
	}
	g.keys = keys
	return g
}

// appendSessions appends n signed no_match documents, each naming a best
// frame and a command image, with a third image (the IDEC token) the
// document does not name, the way the daemon does: through the
// checkpointing store, which signs a checkpoint after each append.
func (g *gatewayData) appendSessions(t *testing.T, n int) {
	t.Helper()
	key, err := evidence.LoadOrCreateKey(g.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := evidence.Open(ctx, g.dsn, evidence.Options{ImageKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := checkpoint.OpenLog(g.checkpoints, g.keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cs := checkpoint.NewStore(s, log, func(err error) { t.Errorf("checkpoint: %v", err) })
	for i := range n {
		best, cmd, token := randomJPEG(), randomJPEG(), randomJPEG()
		ref := func(name string, jpeg []byte) *document.ImageRef {
			return &document.ImageRef{Name: name, SHA256: evidenceSHA256(jpeg), Bytes: int64(len(jpeg)), Width: 640, Height: 480, Quality: 70}
		}
		_, err := cs.Append(ctx, func(prev string) (evidence.Record, error) {
			d := document.New("session-"+strconv.Itoa(i), time.Now().Add(-time.Minute))
			d.Decision = document.DecisionNoMatch
			d.Organization.BIN, d.Subject.IIN = "000000000000", "790303402568"
			d.Consent = document.Consent{TextID: "consent-v1", TextSHA256: strings.Repeat("ab", 32), AcceptedAt: time.Now().Add(-2 * time.Minute)}
			d.ClientNonce = "nonce-of-the-test-0001"
			d.Liveness = document.Liveness{Random: true, Attempts: 1, Commands: []document.Command{
				{Attempt: 1, Index: 0, Command: "turn_left", Outcome: document.OutcomePassed, Progress: 1, Image: ref("command-1-0-turn_left", cmd)}}}
			d.BestFrame = ref("best", best)
			d.IDEC = &document.IDEC{RequestID: "idec-" + strconv.Itoa(i), Decision: document.DecisionNoMatch, Similarity: 0.2}
			d.Gateway = document.Gateway{ID: "biogated", Version: "test"}
			d.Device = document.Device{Mode: document.ModeRelay}
			d.PrevHash = prev
			jws, err := document.Sign(g.keys, d)
			return evidence.Record{ID: d.ID, Time: d.IssuedAt, Decision: string(d.Decision), Reasons: d.Reasons,
				BIN: d.Organization.BIN, Gateway: d.Gateway.ID, Document: []byte(jws), Images: []evidence.Image{
					{Name: "command-1-0-turn_left", JPEG: cmd}, {Name: "best", JPEG: best}, {Name: "token", JPEG: token}}}, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func randomJPEG() []byte {
	b := make([]byte, 3000)
	rand.Read(b)
	return append([]byte{0xFF, 0xD8, 0xFF}, b...)
}

// attacker is someone with write access to the store's database, and
// nothing else: not the gateway's keys.
type attacker struct {
	t  *testing.T
	db *sql.DB
}

func (g *gatewayData) attacker(t *testing.T) *attacker {
	driver, dsn := "sqlite", strings.TrimPrefix(g.dsn, "sqlite:")
	if strings.HasPrefix(g.dsn, "postgres") {
		driver, dsn = "pgx", g.dsn // github.com/jackc/pgx/v5/stdlib
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &attacker{t: t, db: db}
}

// pairs returns the two text columns of every row query selects.
func (a *attacker) pairs(query string, args ...any) ([][2]string, error) {
	rows, err := a.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func (a *attacker) exec(query string, args ...any) {
	a.t.Helper()
	if _, err := a.db.Exec(query, args...); err != nil {
		a.t.Fatalf("%s: %v", query, err)
	}
}

// cut deletes the documents after seq and rewinds the chain head to it.
func (a *attacker) cut(seq int) {
	a.exec("DELETE FROM image_data WHERE seq > $1", seq)
	a.exec("DELETE FROM images WHERE seq > $1", seq)
	a.exec("DELETE FROM documents WHERE seq > $1", seq)
	a.exec("UPDATE chain_head SET seq = $1, hash = (SELECT hash FROM documents WHERE seq = $1) WHERE one = 1", seq)
}

// rehash recomputes the hash of entry seq from its columns, as the
// evidence package documents it, and stores it (and in the head when seq is
// the last): what an attacker does after editing the last entry.
func (a *attacker) rehash(seq int) string {
	a.t.Helper()
	var (
		id, prev, decision, reasons, bin, gw string
		timeNs                               int64
		doc                                  []byte
	)
	err := a.db.QueryRow("SELECT id, prev_hash, time_ns, decision, reasons, bin, gateway, document FROM documents WHERE seq = $1", seq).
		Scan(&id, &prev, &timeNs, &decision, &reasons, &bin, &gw, &doc)
	if err != nil {
		a.t.Fatal(err)
	}
	h := sha256.New()
	putInt := func(v int64) { h.Write(binary.BigEndian.AppendUint64(nil, uint64(v))) }
	putString := func(s string) { putInt(int64(len(s))); h.Write([]byte(s)) }
	putString("biogate-evidence-entry-v1")
	putInt(int64(seq))
	putString(prev)
	putString(id)
	putInt(timeNs)
	putString(decision)
	var rs []string
	json.Unmarshal([]byte(reasons), &rs)
	putInt(int64(len(rs)))
	for _, r := range rs {
		putString(r)
	}
	putString(bin)
	putString(gw)
	d := sha256.Sum256(doc)
	h.Write(d[:])
	ims, err := a.pairs("SELECT name, sha256 FROM images WHERE seq = $1 ORDER BY idx", seq)
	if err != nil {
		a.t.Fatal(err)
	}
	putInt(int64(len(ims)))
	for _, im := range ims {
		putString(im[0])
		putString(im[1])
	}
	hash := hex.EncodeToString(h.Sum(nil))
	a.exec("UPDATE documents SET hash = $1 WHERE seq = $2", hash, seq)
	a.exec("UPDATE chain_head SET hash = $1 WHERE seq = $2", hash, seq)
	return hash
}

// swapImages swaps the encrypted first images of two entries.
func (a *attacker) swapImages(s1, s2 int) {
	a.t.Helper()
	var b1, b2 []byte
	if err := a.db.QueryRow("SELECT data FROM image_data WHERE seq = $1 AND idx = 0", s1).Scan(&b1); err != nil {
		a.t.Fatal(err)
	}
	if err := a.db.QueryRow("SELECT data FROM image_data WHERE seq = $1 AND idx = 0", s2).Scan(&b2); err != nil {
		a.t.Fatal(err)
	}
	a.exec("UPDATE image_data SET data = $1 WHERE seq = $2 AND idx = 0", b2, s1)
	a.exec("UPDATE image_data SET data = $1 WHERE seq = $2 AND idx = 0", b1, s2)
}

// hidden runs fn with the checkpoint file moved away: the store as it was
// checked before checkpoints.
func (g *gatewayData) hidden(t *testing.T, fn func()) {
	t.Helper()
	if err := os.Rename(g.checkpoints, g.checkpoints+".away"); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(g.checkpoints+".away", g.checkpoints)
	fn()
}

// verify runs biogate evidence verify on the gateway's store with args.
func (g *gatewayData) verify(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"evidence", "verify", "--store", g.dsn}, args...)...)
	if testing.Verbose() {
		t.Logf("verify %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return code, stdout + stderr
}

// Each attack of issue 14 item 5 on a real store, SQLite and PostgreSQL:
// it passes the hash chain alone (shown first), and fails once the store
// is checked against what the database's writers cannot rewrite: the
// gateway's signed checkpoints, its signed documents, and the images'
// authenticated encryption.
func TestEvidenceAttacks(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Run("untouched", func(t *testing.T) {
				g := newGatewayData(t, backend)
				g.appendSessions(t, 4)
				code, out := g.verify(t, "--checkpoints", g.checkpoints, "--jwks", g.jwks, "--images", "--key", g.keyFile)
				if code != exitOK || !strings.HasPrefix(out, "4 documents, chain intact, anchored by the checkpoint of") ||
					!strings.Contains(out, "(4 documents), every signature valid and every row as signed, every image as recorded") {
					t.Errorf("untouched store: exit %d\n%s", code, out)
				}
				// The checkpoints verify with the keyring beside them, without --jwks.
				if code, out := g.verify(t, "--checkpoints", g.checkpoints); code != exitOK || !strings.Contains(out, "anchored") {
					t.Errorf("checkpoints with the data folder's keys: exit %d\n%s", code, out)
				}
				// Images dropped by retention are no tampering.
				s, err := evidence.Open(context.Background(), g.dsn, evidence.Options{})
				if err != nil {
					t.Fatal(err)
				}
				n, err := s.Purge(context.Background(), time.Now())
				s.Close()
				if err != nil || n != 4 {
					t.Fatalf("Purge: %d, %v", n, err)
				}
				if code, out := g.verify(t, "--checkpoints", g.checkpoints, "--jwks", g.jwks, "--images", "--key", g.keyFile); code != exitOK ||
					!strings.Contains(out, "(4 documents' images purged by retention)") {
					t.Errorf("purged store: exit %d\n%s", code, out)
				}
			})
			t.Run("tail cut", func(t *testing.T) {
				g := newGatewayData(t, backend)
				g.appendSessions(t, 5)
				g.attacker(t).cut(3)
				g.hidden(t, func() {
					if code, out := g.verify(t, "--jwks", g.jwks); code != exitOK || !strings.HasPrefix(out, "3 documents, chain intact") {
						t.Fatalf("the attack no longer passes the chain alone: exit %d\n%s", code, out)
					}
				})
				var args []string // a SQLite store's checkpoints are beside it
				if backend == "postgres" {
					args = []string{"--checkpoints", g.checkpoints}
				}
				code, out := g.verify(t, args...)
				if code != exitFailure || !strings.Contains(out, "the store ends at document 3") || !strings.Contains(out, "the chain had 5") {
					t.Errorf("cut end against the checkpoints: exit %d\n%s", code, out)
				}
				// The gateway goes on appending on the rewound head: the
				// new entries 4 and 5 are not the ones it signed before.
				g.appendSessions(t, 2)
				code, out = g.verify(t, "--checkpoints", g.checkpoints, "--jwks", g.jwks)
				if code != exitFailure || !strings.Contains(out, "disagree on the hash of document 4") || !strings.Contains(out, "rewound") {
					t.Errorf("appends after a rewind: exit %d\n%s", code, out)
				}
			})
			t.Run("last decision edited", func(t *testing.T) {
				g := newGatewayData(t, backend)
				g.appendSessions(t, 3)
				a := g.attacker(t)
				var before string
				a.db.QueryRow("SELECT hash FROM documents WHERE seq = 3").Scan(&before)
				if got := a.rehash(3); got != before { // the attacker's hash is the store's
					t.Fatalf("rehash of an untouched entry: %s, stored %s", got, before)
				}
				a.exec("UPDATE documents SET decision = 'match' WHERE seq = 3")
				a.rehash(3)
				g.hidden(t, func() {
					if code, out := g.verify(t); code != exitOK {
						t.Fatalf("the attack no longer passes the chain alone: exit %d\n%s", code, out)
					}
					if code, out := g.verify(t, "--jwks", g.jwks); code == exitOK || !strings.Contains(out, `document 3 (id `) ||
						!strings.Contains(out, `the decision column says "match", the signed document "no_match"`) {
						t.Errorf("edited decision against the signed document: exit %d\n%s", code, out)
					}
				})
				if code, out := g.verify(t, "--checkpoints", g.checkpoints); code != exitFailure || !strings.Contains(out, "chain broken at document 3") {
					t.Errorf("edited decision against the checkpoints: exit %d\n%s", code, out)
				}
				// The regulator's statistics do not count the edited row,
				// and say so.
				day := time.Now().UTC().Format(time.DateOnly)
				code, stdout, stderr := runCLI(t, "evidence", "stats", "--store", g.dsn, "--jwks", g.jwks, "--from", day, "--to", day, "--json")
				var st evidenceStats
				json.Unmarshal([]byte(stdout), &st)
				if code != exitFailure || st.Matches != 0 || st.NoMatch != 2 || st.Unverified != 1 || !st.SignaturesChecked ||
					!strings.Contains(stderr, "1 documents of the range did not verify") {
					t.Errorf("stats of an edited store: exit %d %+v\n%s", code, st, stderr)
				}
			})
			t.Run("image blobs swapped", func(t *testing.T) {
				g := newGatewayData(t, backend)
				g.appendSessions(t, 3)
				g.attacker(t).swapImages(2, 3)
				if code, out := g.verify(t, "--checkpoints", g.checkpoints, "--jwks", g.jwks); code != exitOK {
					t.Fatalf("the attack no longer passes without --images: exit %d\n%s", code, out)
				}
				code, out := g.verify(t, "--checkpoints", g.checkpoints, "--jwks", g.jwks, "--images", "--key", g.keyFile)
				if code != exitFailure || !strings.Contains(out, "document 2 (id") || !strings.Contains(out, "document 3 (id") ||
					!strings.Contains(out, "does not decrypt") {
					t.Errorf("swapped images: exit %d\n%s", code, out)
				}
			})
			t.Run("forged checkpoint", func(t *testing.T) {
				g := newGatewayData(t, backend)
				g.appendSessions(t, 2)
				other, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "keys")})
				if err != nil {
					t.Fatal(err)
				}
				jws, err := checkpoint.Sign(other, checkpoint.Checkpoint{Seq: 1, Hash: strings.Repeat("0", 64), Time: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				f, _ := os.OpenFile(g.checkpoints, os.O_WRONLY|os.O_APPEND, 0)
				f.WriteString(jws + "\n")
				f.Close()
				if code, out := g.verify(t, "--checkpoints", g.checkpoints); code != exitFailure || !strings.Contains(out, "line 3") || !strings.Contains(out, "unknown key id") {
					t.Errorf("forged checkpoint: exit %d\n%s", code, out)
				}
			})
		})
	}
}
