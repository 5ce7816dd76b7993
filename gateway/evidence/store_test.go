package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSQLite(t *testing.T)   { testStore(t, newSQLite) }
func TestPostgres(t *testing.T) { testStore(t, newPostgres) }

// testStore is the suite both stores pass; newDSN returns a new, empty
// database each call.
func testStore(t *testing.T, newDSN func(testing.TB) string) {
	t.Run("round trip", func(t *testing.T) { testRoundTrip(t, newDSN(t)) })
	t.Run("tampering", func(t *testing.T) { testTampering(t, newDSN) })
	t.Run("purge", func(t *testing.T) { testPurge(t, newDSN(t)) })
	t.Run("encryption", func(t *testing.T) { testEncryption(t, newDSN(t)) })
	t.Run("concurrent appends", func(t *testing.T) { testConcurrentAppends(t, newDSN(t)) })
	t.Run("lockout", func(t *testing.T) { testLockout(t, newDSN(t)) })
	t.Run("holds", func(t *testing.T) { testHolds(t, newDSN(t)) })
	t.Run("release gateway", func(t *testing.T) { testReleaseGateway(t, newDSN(t)) })
	t.Run("migrations", func(t *testing.T) { testMigrations(t, newDSN) })
	t.Run("stats", func(t *testing.T) { testStats(t, newDSN(t)) })
	t.Run("verify documents", func(t *testing.T) { testVerifyDocuments(t, newDSN(t)) })
	t.Run("frame hashes", func(t *testing.T) { testFrameHashes(t, newDSN(t)) })
	t.Run("published keys", func(t *testing.T) { testPublishedKeys(t, newDSN(t)) })
}

// VerifyDocuments hands each entry with its row's columns, document and
// image digests, in chain order; an error from the check is the break,
// worded by the checker.
func testVerifyDocuments(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	at := time.Date(2026, 11, 30, 10, 0, 0, 123456789, time.UTC)
	want := []Record{record("doc-1", at, "match", 2), record("doc-2", at.Add(time.Second), "refused", 0)}
	want[1].Reasons = nil
	if h, err := s.Head(ctx); err != nil || h.Seq != 0 || h.Hash != "" {
		t.Errorf("Head of an empty chain: %+v, %v", h, err)
	}
	var last Entry
	for _, r := range want {
		last = appendRecord(t, s, r)
	}
	if h, err := s.Head(ctx); err != nil || h.Seq != 2 || h.Hash != last.Hash {
		t.Errorf("Head: %+v, %v; want seq 2, hash %s", h, err, last.Hash)
	}
	var got []Record
	rep, err := s.VerifyDocuments(ctx, func(e Entry, r Record) error {
		if e.ID != r.ID {
			t.Errorf("entry %+v handed with record %s", e, r.ID)
		}
		got = append(got, r)
		return nil
	})
	if err != nil || rep.FirstBroken != nil || rep.Checked != 2 || len(got) != 2 {
		t.Fatalf("VerifyDocuments: %+v, %v, %d records", rep, err, len(got))
	}
	for i, r := range got {
		w := want[i]
		if r.ID != w.ID || !r.Time.Equal(w.Time) || r.Decision != w.Decision || !slices.Equal(r.Reasons, w.Reasons) ||
			r.BIN != w.BIN || r.Gateway != w.Gateway || !bytes.Equal(r.Document, w.Document) || len(r.Images) != len(w.Images) {
			t.Errorf("record %d: %+v, want %+v", i, r, w)
			continue
		}
		for j, im := range r.Images {
			if im.Name != w.Images[j].Name || im.SHA256 != hexSHA256(w.Images[j].JPEG) || im.JPEG != nil {
				t.Errorf("record %d image %d: %q %s (%d bytes), want %q %s and no JPEG", i, j, im.Name, im.SHA256, len(im.JPEG), w.Images[j].Name, hexSHA256(w.Images[j].JPEG))
			}
		}
	}
	rep, err = s.VerifyDocuments(ctx, func(e Entry, r Record) error {
		if e.Seq == 2 {
			return errors.New("not as signed")
		}
		return nil
	})
	if err != nil || rep.FirstBroken == nil || *rep.FirstBroken != (Break{Seq: 2, ID: "doc-2", Reason: "not as signed"}) || rep.Checked != 1 {
		t.Errorf("a failing check: %+v, %v", rep.FirstBroken, err)
	}
}

func testRoundTrip(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	at := time.Date(2026, 11, 30, 10, 0, 0, 123456789, time.FixedZone("Almaty", 5*3600))

	want := record("doc-1", at, "match", 4)
	var seen []string
	seal := func(r Record) func(string) (Record, error) {
		return func(prev string) (Record, error) { seen = append(seen, prev); return r, nil }
	}
	e1, err := s.Append(ctx, seal(want))
	if err != nil {
		t.Fatal(err)
	}
	if e1.Seq != 1 || e1.PrevHash != "" || len(e1.Hash) != 64 || e1.ID != "doc-1" {
		t.Errorf("first entry %+v", e1)
	}
	e2, err := s.Append(ctx, seal(record("doc-2", at.Add(time.Second), "no_match", 0)))
	if err != nil {
		t.Fatal(err)
	}
	if e2.Seq != 2 || e2.PrevHash != e1.Hash || e2.Hash == e1.Hash {
		t.Errorf("second entry %+v after %+v", e2, e1)
	}
	if !slices.Equal(seen, []string{"", e1.Hash}) {
		t.Errorf("seal saw previous hashes %q, want %q", seen, []string{"", e1.Hash})
	}

	got, ge, err := s.Get(ctx, "doc-1")
	if err != nil {
		t.Fatal(err)
	}
	if ge != e1 {
		t.Errorf("Get entry %+v, Append gave %+v", ge, e1)
	}
	if got.ID != want.ID || !got.Time.Equal(want.Time) || got.Decision != want.Decision || !slices.Equal(got.Reasons, want.Reasons) ||
		got.BIN != want.BIN || got.Gateway != want.Gateway || !bytes.Equal(got.Document, want.Document) || len(got.Images) != len(want.Images) {
		t.Fatalf("Get returned %+v, want %+v", got, want)
	}
	for i, im := range got.Images {
		if im.Name != want.Images[i].Name || !bytes.Equal(im.JPEG, want.Images[i].JPEG) || im.SHA256 != hexSHA256(want.Images[i].JPEG) {
			t.Errorf("image %d: %q (%d bytes), want %q (%d bytes)", i, im.Name, len(im.JPEG), want.Images[i].Name, len(want.Images[i].JPEG))
		}
	}

	// A duplicate id, a failing seal and an invalid record append nothing.
	_, err = s.Append(ctx, seal(record("doc-1", at, "spoof", 1)))
	if !errors.Is(err, ErrDuplicateID) {
		t.Errorf("duplicate id: %v, want ErrDuplicateID", err)
	}
	boom := errors.New("signer down")
	if _, err := s.Append(ctx, func(string) (Record, error) { return Record{}, boom }); !errors.Is(err, boom) {
		t.Errorf("failing seal: %v", err)
	}
	bad := record("doc-x", at, "match", 2)
	bad.Images[1].Name = bad.Images[0].Name
	for _, r := range []Record{{Time: at, Decision: "match"}, {ID: "doc-x", Decision: "match"}, {ID: "doc-x", Time: at}, bad} {
		if _, err := s.Append(ctx, seal(r)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("record %+v: %v, want ErrInvalidRecord", r, err)
		}
	}
	e3 := appendRecord(t, s, record("doc-3", at, "spoof", 1))
	if e3.Seq != 3 || e3.PrevHash != e2.Hash {
		t.Errorf("after refused appends the chain went on with %+v, want seq 3 after %s", e3, e2.Hash)
	}
	if _, _, err := s.Get(ctx, "doc-x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an absent id: %v, want ErrNotFound", err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.FirstBroken != nil || rep.Checked != 3 || rep.Head != 3 {
		t.Errorf("Verify: %+v, %v; want 3 checked, intact", rep, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// fillChain appends n records, doc-1 ... doc-n, one image each.
func fillChain(t *testing.T, s Store, n int) {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		appendRecord(t, s, record(fmt.Sprintf("doc-%d", i), at.Add(time.Duration(i)*time.Minute), "match", 2))
	}
}

func testTampering(t *testing.T, newDSN func(testing.TB) string) {
	ctx := context.Background()
	cases := []struct {
		name   string
		edit   []string // SQL, run in order
		seq    int64    // where Verify must report the break
		id     string   // and the id it names
		reason string   // a word of the reason
	}{
		{"decision changed", []string{"UPDATE documents SET decision = 'spoof' WHERE seq = 3"}, 3, "doc-3", "content"},
		{"document bytes changed", []string{"UPDATE documents SET document = $1 WHERE seq = 3"}, 3, "doc-3", "content"},
		{"time changed", []string{"UPDATE documents SET time_ns = time_ns + 1 WHERE seq = 3"}, 3, "doc-3", "content"},
		{"reasons changed", []string{`UPDATE documents SET reasons = '[]' WHERE seq = 3`}, 3, "doc-3", "content"},
		{"image digest changed", []string{"UPDATE images SET sha256 = $1 WHERE seq = 3 AND idx = 1"}, 3, "doc-3", "content"},
		{"image row deleted", []string{"DELETE FROM images WHERE seq = 3 AND idx = 0"}, 3, "doc-3", "content"},
		{"hash rewritten", []string{"UPDATE documents SET hash = $1 WHERE seq = 3"}, 3, "doc-3", "content"},
		{"hash and next link rewritten", []string{"UPDATE documents SET hash = $1 WHERE seq = 3", "UPDATE documents SET prev_hash = $1 WHERE seq = 4"}, 3, "doc-3", "content"},
		{"row deleted", []string{"DELETE FROM images WHERE seq = 3", "DELETE FROM documents WHERE seq = 3"}, 3, "", "missing"},
		{"last row deleted", []string{"DELETE FROM images WHERE seq = 5", "DELETE FROM documents WHERE seq = 5"}, 5, "", "missing"},
		{"id changed", []string{"UPDATE documents SET id = 'doc-x' WHERE seq = 3"}, 3, "doc-x", "content"},
		{"head moved back", []string{"UPDATE chain_head SET seq = 4"}, 4, "", "head"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, newDSN(t), testKey(t))
			fillChain(t, s, 5)
			if rep, err := s.Verify(ctx); err != nil || rep.FirstBroken != nil || rep.Checked != 5 {
				t.Fatalf("before tampering: %+v, %v", rep, err)
			}
			for _, q := range c.edit {
				var args []any
				switch {
				case bytes.Contains([]byte(q), []byte("document = $1")):
					args = []any{[]byte("eyJhbGciOiJFZERTQSJ9.forged.c2lnbmF0dXJl")}
				case bytes.Contains([]byte(q), []byte("$1")):
					args = []any{hexSHA256([]byte("forged"))}
				}
				if n := sqlExec(t, s, q, args...); n == 0 {
					t.Fatalf("%s changed no row", q)
				}
			}
			rep, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b := rep.FirstBroken
			checked := c.seq - 1 // entries before the break
			if c.reason == "head" {
				checked = 5 // every entry verifies, the head does not
			}
			if b == nil {
				t.Fatalf("Verify after %q: intact (%+v)", c.name, rep)
			}
			if b.Seq != c.seq || b.ID != c.id || !bytes.Contains([]byte(b.Reason), []byte(c.reason)) || rep.Checked != checked {
				t.Errorf("Verify reported %+v, checked %d; want seq %d id %q reason with %q", *b, rep.Checked, c.seq, c.id, c.reason)
			}
		})
	}
}

func testPurge(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := record("old", t0, "match", 3)
	appendRecord(t, s, old)
	appendRecord(t, s, record("older-too", t0.Add(time.Hour), "spoof", 1))
	recent := record("recent", t0.AddDate(0, 6, 0), "match", 2)
	appendRecord(t, s, recent)

	n, err := s.Purge(ctx, t0.AddDate(0, 1, 0))
	if err != nil || n != 2 {
		t.Fatalf("Purge: %d, %v; want 2", n, err)
	}
	if n, err := s.Purge(ctx, t0.AddDate(0, 1, 0)); err != nil || n != 0 {
		t.Errorf("second Purge: %d, %v; want 0", n, err)
	}
	got, e, err := s.Get(ctx, "old")
	if !errors.Is(err, ErrImagesPurged) {
		t.Fatalf("Get of a purged record: %v, want ErrImagesPurged", err)
	}
	if e.Purged.IsZero() || !bytes.Equal(got.Document, old.Document) || len(got.Images) != 3 {
		t.Fatalf("purged record: entry %+v, %d images, document kept %v", e, len(got.Images), bytes.Equal(got.Document, old.Document))
	}
	for i, im := range got.Images {
		if im.JPEG != nil || im.Name != old.Images[i].Name || im.SHA256 != hexSHA256(old.Images[i].JPEG) {
			t.Errorf("purged image %d: %q %s, %d bytes", i, im.Name, im.SHA256, len(im.JPEG))
		}
	}
	if n := sqlExec(t, s, "DELETE FROM image_data WHERE seq <= 2"); n != 0 {
		t.Errorf("%d purged ciphertexts still stored", n)
	}
	if got, e, err := s.Get(ctx, "recent"); err != nil || !e.Purged.IsZero() || !bytes.Equal(got.Images[1].JPEG, recent.Images[1].JPEG) {
		t.Errorf("recent record after purge: %v, purged %v", err, e.Purged)
	}
	if rep, err := s.Verify(ctx); err != nil || rep.FirstBroken != nil || rep.Checked != 3 {
		t.Errorf("Verify after purge: %+v, %v", rep, err)
	}
	appendRecord(t, s, record("after-purge", t0.AddDate(0, 7, 0), "match", 1))
	if rep, err := s.Verify(ctx); err != nil || rep.FirstBroken != nil || rep.Checked != 4 {
		t.Errorf("Verify after purge and append: %+v, %v", rep, err)
	}
}

func testEncryption(t *testing.T, dsn string) {
	ctx := context.Background()
	key := testKey(t)
	s := open(t, dsn, key)
	a := record("a", time.Now(), "match", 2)
	appendRecord(t, s, a)
	appendRecord(t, s, record("b", time.Now(), "match", 2))

	blob := sqlBytes(t, s, "SELECT data FROM image_data WHERE seq = 1 AND idx = 0")
	jpeg := a.Images[0].JPEG
	if len(blob) < len(jpeg) {
		t.Fatalf("stored blob is %d bytes for a %d-byte image", len(blob), len(jpeg))
	}
	for off := 0; off+64 <= len(jpeg); off += 512 {
		if bytes.Contains(blob, jpeg[off:off+64]) {
			t.Fatalf("the stored blob contains the image's bytes at %d", off)
		}
	}

	other := testKey(t)
	s2 := open(t, dsn, other)
	if _, _, err := s2.Get(ctx, "a"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Get with another key: %v, want ErrWrongKey", err)
	}
	s3 := open(t, dsn, nil)
	if _, _, err := s3.Get(ctx, "a"); !errors.Is(err, ErrNoKey) {
		t.Errorf("Get without a key: %v, want ErrNoKey", err)
	}
	if _, err := s3.Append(ctx, func(string) (Record, error) { return record("c", time.Now(), "match", 1), nil }); !errors.Is(err, ErrNoKey) {
		t.Errorf("Append of images without a key: %v, want ErrNoKey", err)
	}
	if _, err := Open(ctx, dsn, Options{ImageKey: key[:16]}); err == nil {
		t.Error("Open with a 16-byte key succeeded")
	}

	// A ciphertext moved to another row does not decrypt there.
	sqlExec(t, s, "UPDATE image_data SET data = $1 WHERE seq = 2 AND idx = 0", blob)
	if _, _, err := s.Get(ctx, "b"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Get of a swapped ciphertext: %v, want ErrWrongKey", err)
	}
	// A digest edited to match nothing is caught on read as well.
	sqlExec(t, s, "UPDATE images SET sha256 = $1 WHERE seq = 1 AND idx = 1", hexSHA256([]byte("x")))
	if _, _, err := s.Get(ctx, "a"); !errors.Is(err, ErrImageAltered) {
		t.Errorf("Get of an image with an edited digest: %v, want ErrImageAltered", err)
	}
}

func testConcurrentAppends(t *testing.T, dsn string) {
	ctx := context.Background()
	key := testKey(t)
	// Two Stores on one database stand for two gateways (or processes).
	stores := []Store{open(t, dsn, key), open(t, dsn, key)}
	const writers, each = 8, 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		entries []Entry
		errs    []error
	)
	for w := range writers {
		wg.Go(func() {
			s := stores[w%len(stores)]
			for i := range each {
				e, err := s.Append(ctx, func(prev string) (Record, error) {
					return record(fmt.Sprintf("w%d-%d", w, i), time.Now(), "match", 1), nil
				})
				mu.Lock()
				entries, errs = append(entries, e), append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return int(a.Seq - b.Seq) })
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("seqs are not contiguous: position %d holds seq %d", i+1, e.Seq)
		}
		if i > 0 && e.PrevHash != entries[i-1].Hash {
			t.Fatalf("seq %d links to %s, not to seq %d's hash %s", e.Seq, e.PrevHash, i, entries[i-1].Hash)
		}
	}
	for _, s := range stores {
		if rep, err := s.Verify(ctx); err != nil || rep.FirstBroken != nil || rep.Checked != writers*each {
			t.Errorf("Verify: %+v, %v; want %d intact", rep, err, writers*each)
		}
	}
}

func testLockout(t *testing.T, dsn string) {
	ctx := context.Background()
	a, b := open(t, dsn, nil), open(t, dsn, nil)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	const window, max = 15 * time.Minute, 3
	key, other := "hmac-of-iin-1", "hmac-of-iin-2"

	for _, f := range []struct {
		s  Store
		at time.Time
	}{{a, now.Add(-20 * time.Minute)}, {a, now.Add(-10 * time.Minute)}, {b, now.Add(-5 * time.Minute)}} {
		if err := f.s.Failure(ctx, key, f.at); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Failure(ctx, other, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Two failures in the window, recorded by two gateways: not yet locked.
	if d, err := b.LockedFor(ctx, key, now, window, max); err != nil || d != 0 {
		t.Errorf("after 2 failures in the window: locked for %v, %v", d, err)
	}
	if err := b.Failure(ctx, key, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Store{a, b} {
		if d, err := s.LockedFor(ctx, key, now, window, max); err != nil || d != 14*time.Minute {
			t.Errorf("after 3 failures: locked for %v, %v; want 14m", d, err)
		}
		if d, err := s.LockedFor(ctx, other, now, window, max); err != nil || d != 0 {
			t.Errorf("another subject: locked for %v, %v", d, err)
		}
	}
	if d, err := a.LockedFor(ctx, key, now.Add(14*time.Minute), window, max); err != nil || d != 0 {
		t.Errorf("once the window passed: locked for %v, %v", d, err)
	}
	ts, err := a.Failures(ctx, key, now.Add(-window))
	want := []time.Time{now.Add(-10 * time.Minute), now.Add(-5 * time.Minute), now.Add(-time.Minute)}
	if err != nil || !slices.EqualFunc(ts, want, time.Time.Equal) {
		t.Errorf("Failures: %v, %v; want %v", ts, err, want)
	}
	if n, err := b.PruneFailures(ctx, now.Add(-window)); err != nil || n != 1 {
		t.Errorf("PruneFailures: %d, %v; want 1", n, err)
	}
	if ts, err := a.Failures(ctx, key, time.Time{}); err != nil || len(ts) != 3 {
		t.Errorf("after pruning: %v, %v; want the 3 recent", ts, err)
	}
}

func testMigrations(t *testing.T, newDSN func(testing.TB) string) {
	ctx := context.Background()
	dsn := newDSN(t)
	// Two processes opening a new database at once: one migrates.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(ctx, dsn, Options{})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
	s := open(t, dsn, nil) // and once more
	appendRecord(t, s, record("a", time.Now(), "match", 0))
	s2 := open(t, dsn, nil)
	if rep, err := s2.Verify(ctx); err != nil || rep.Checked != 1 || rep.FirstBroken != nil {
		t.Errorf("reopened: %+v, %v", rep, err)
	}
	ms, _ := loadMigrations(s.(*store).b.dialect().name)
	var n int64
	s.(*store).b.read(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	})
	if n != int64(len(ms)) {
		t.Errorf("schema_migrations holds %d rows, want %d", n, len(ms))
	}

	sqlExec(t, s, "INSERT INTO schema_migrations (version, applied_ns) VALUES (9999, 0)")
	_, err := Open(ctx, dsn, Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !bytes.Contains([]byte(err.Error()), []byte("9999")) {
		t.Errorf("Open of a newer schema: %v, want ErrSchemaTooNew naming 9999", err)
	}
}

func testStats(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	add := func(id string, at time.Time, decision string, reasons ...string) {
		r := record(id, at, decision, 0)
		r.Reasons = reasons
		appendRecord(t, s, r)
	}
	add("before", day.Add(-time.Nanosecond), "match")
	add("m1", day, "match")
	add("m2", day.Add(time.Hour), "match")
	add("n1", day.Add(2*time.Hour), "no_match")
	add("s1", day.Add(3*time.Hour), "spoof", "replay")
	add("r1", day.Add(4*time.Hour), "refused", "timeout")
	add("l1", day.Add(5*time.Hour), "refused", ReasonLockedOut)
	add("l2", day.Add(6*time.Hour), "refused", "x", ReasonLockedOut)
	add("e1", day.Add(7*time.Hour), "error", "idec_unavailable")
	add("after", day.Add(24*time.Hour), "spoof")

	st, err := s.Stats(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{From: day, To: day.Add(24 * time.Hour), Attempts: 8, Matches: 2, NoMatch: 1, Spoofs: 1, Refused: 1, LockedOut: 2, Errors: 1}
	if st != want {
		t.Errorf("Stats = %+v\nwant    %+v", st, want)
	}
	st, err = s.Stats(ctx, day.Add(-time.Hour), day.Add(48*time.Hour))
	if err != nil || st.Attempts != 10 || st.Spoofs != 2 || st.Matches != 3 {
		t.Errorf("wider range: %+v, %v", st, err)
	}
}

// A subject's lease is held by one holder at a time across stores (the
// gateways of a fleet), can be extended by its holder, is taken over once
// it runs out (a gateway that died), and is released only by its holder.
// Of many holders racing for one subject, exactly one wins.
func testHolds(t *testing.T, dsn string) {
	ctx := context.Background()
	a, b := open(t, dsn, nil), open(t, dsn, nil)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	until := now.Add(2 * time.Minute)
	hold := func(s Store, key, holder string, at time.Time) bool {
		t.Helper()
		ok, err := s.Hold(ctx, key, holder, at, at.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !hold(a, "k1", "session-a", now) {
		t.Fatal("a free subject could not be held")
	}
	if hold(b, "k1", "session-b", now.Add(time.Minute)) {
		t.Error("a held subject was taken by another gateway")
	}
	if !hold(b, "k2", "session-b", now) {
		t.Error("another subject was held up")
	}
	if !hold(a, "k1", "session-a", now.Add(time.Minute)) {
		t.Error("its holder could not extend the lease")
	}
	if err := b.Release(ctx, "k1", "session-b"); err != nil {
		t.Fatal(err)
	}
	if hold(b, "k1", "session-b", now.Add(time.Minute)) {
		t.Error("a release by another holder dropped the lease")
	}
	if !hold(b, "k1", "session-b", until.Add(time.Minute+time.Second)) {
		t.Error("a lease that ran out (its gateway died) could not be taken over")
	}
	if err := b.Release(ctx, "k1", "session-b"); err != nil {
		t.Fatal(err)
	}
	if !hold(a, "k1", "session-c", now) {
		t.Error("a released subject could not be held again")
	}

	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []Store{a, b}[i%2]
			ok, err := s.Hold(ctx, "race", fmt.Sprintf("session-%d", i), now, until)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 8 racing holders won the lease, want 1", n)
	}
}

// A gateway that starts again releases the leases its sessions held
// before it was killed (holders gw-1/...), and only those: another
// gateway's leases on the same store, even one whose id begins alike,
// stay held.
func testReleaseGateway(t *testing.T, dsn string) {
	ctx := context.Background()
	a, b := open(t, dsn, nil), open(t, dsn, nil)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	until := now.Add(3 * time.Minute)
	for key, holder := range map[string]string{"k1": "gw-1/s1", "k2": "gw-1/s2", "k3": "gw-10/s3", "k4": "gw-2/s4"} {
		if ok, err := a.Hold(ctx, key, holder, now, until); err != nil || !ok {
			t.Fatalf("hold %s: %v, %v", key, ok, err)
		}
	}
	n, err := b.ReleaseGateway(ctx, "gw-1")
	if err != nil || n != 2 {
		t.Fatalf("ReleaseGateway(gw-1) = %d, %v; want 2", n, err)
	}
	for key, free := range map[string]bool{"k1": true, "k2": true, "k3": false, "k4": false} {
		ok, err := b.Hold(ctx, key, "gw-3/s5", now.Add(time.Second), until)
		if err != nil || ok != free {
			t.Errorf("%s after gw-1's restart: taken %v, %v; want %v", key, ok, err, free)
		}
	}
	for _, bad := range []string{"", "gw/1"} {
		if _, err := b.ReleaseGateway(ctx, bad); err == nil {
			t.Errorf("ReleaseGateway(%q) succeeded", bad)
		}
	}
}
