package evidence

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/internal/pgtest"
)

// newSQLite returns the DSN of a new SQLite file.
func newSQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "evidence.db")
}

// newPostgres returns the DSN of a new PostgreSQL database.
func newPostgres(t testing.TB) string { return pgtest.DSN(t) }

// testKey returns a random image key.
func testKey(t testing.TB) []byte {
	k := make([]byte, keySize)
	rand.Read(k)
	return k
}

// open opens a store and closes it when the test ends.
func open(t testing.TB, dsn string, key []byte) Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{ImageKey: key})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fakeJPEG returns n random bytes behind a JPEG marker: the size of a face
// image, incompressible like one.
func fakeJPEG(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	return b
}

// record returns a record with a document and images of the given sizes.
func record(id string, at time.Time, decision string, images int) Record {
	r := Record{ID: id, Time: at, Decision: decision, Reasons: []string{"test"}, BIN: "000000000000", Gateway: "gw-test",
		Document: []byte("eyJhbGciOiJFZERTQSJ9." + id + ".c2lnbmF0dXJl")}
	for i := range images {
		r.Images = append(r.Images, Image{Name: fmt.Sprintf("image-%d", i), JPEG: fakeJPEG(2000 + i)})
	}
	return r
}

// appendRecord appends r, checking that seal sees the expected link.
func appendRecord(t testing.TB, s Store, r Record) Entry {
	t.Helper()
	e, err := s.Append(context.Background(), func(prev string) (Record, error) { return r, nil })
	if err != nil {
		t.Fatalf("Append %s: %v", r.ID, err)
	}
	return e
}

// sqlExec runs a statement directly in the store's database, as someone
// editing it behind biogate's back would.
func sqlExec(t testing.TB, s Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	err := s.(*store).b.write(context.Background(), func(q querier) error {
		var err error
		n, err = q.exec(context.Background(), query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sqlBytes reads one []byte value directly from the database.
func sqlBytes(t testing.TB, s Store, query string, args ...any) []byte {
	t.Helper()
	var b []byte
	err := s.(*store).b.read(context.Background(), func(q querier) error {
		return q.queryRow(context.Background(), query, args...).Scan(&b)
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return b
}
