package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

var stores = []struct {
	name   string
	newDSN func(testing.TB) string
}{{"sqlite", newSQLite}, {"postgres", newPostgres}}

// BenchmarkAppend appends documents as a gateway does: a 2 KB signed
// document and 4 face images of 30 KB each, one transaction per append
// (SQLite with synchronous=FULL; the PostgreSQL test server runs with fsync
// off, so its figure is CPU and round trips, not the disk).
func BenchmarkAppend(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			ctx := context.Background()
			s := open(b, st.newDSN(b), testKey(b))
			doc := make([]byte, 2048)
			images := make([]Image, 4)
			for i := range images {
				images[i] = Image{Name: fmt.Sprintf("image-%d", i), JPEG: fakeJPEG(30 << 10)}
			}
			at := time.Now()
			b.SetBytes(int64(len(doc) + 4*(30<<10)))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				_, err := s.Append(ctx, func(prev string) (Record, error) {
					copy(doc, prev)
					return Record{ID: "doc-" + strconv.Itoa(i), Time: at, Decision: "match", BIN: "000000000000",
						Gateway: "gw-bench", Document: doc, Images: images}, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}

// BenchmarkVerify times Verify over a chain of $BIOGATE_BENCH_VERIFY_N
// documents [2000; the figure the project quotes is for 100000], each with
// a 2 KB document and 4 image digests. The chain is filled in one
// transaction without the images' ciphertexts, which Verify never reads
// (they live in a table of their own).
func BenchmarkVerify(b *testing.B) {
	n := 2000
	if v := os.Getenv("BIOGATE_BENCH_VERIFY_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BIOGATE_BENCH_VERIFY_N=%q", v)
		}
	}
	for _, st := range stores {
		b.Run(fmt.Sprintf("%s/%d", st.name, n), func(b *testing.B) {
			ctx := context.Background()
			s := open(b, st.newDSN(b), nil)
			start := time.Now()
			fill(b, s, n)
			b.Logf("filled %d documents in %v", n, time.Since(start).Round(time.Millisecond))
			b.ResetTimer()
			for b.Loop() {
				rep, err := s.Verify(ctx)
				if err != nil || rep.FirstBroken != nil || rep.Checked != int64(n) {
					b.Fatalf("Verify: %+v, %v", rep, err)
				}
			}
		})
	}
}

// fill appends n chained documents to an empty store in one transaction,
// with multi-row inserts: the same rows and hashes Append would write,
// minus the images' ciphertexts.
func fill(b *testing.B, s Store, n int) {
	b.Helper()
	ctx := context.Background()
	doc := make([]byte, 2048)
	for i := range doc {
		doc[i] = byte('A' + i%26)
	}
	reasons, _ := json.Marshal([]string{"passive_live", "commands_done"})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const rowsPer = 100
	err := s.(*store).b.write(ctx, func(q querier) error {
		prev := ""
		for first := 1; first <= n; first += rowsPer {
			var docs, imgs []any
			for seq := first; seq < first+rowsPer && seq <= n; seq++ {
				l := link{seq: int64(seq), prevHash: prev, id: fmt.Sprintf("doc-%d", seq), timeNs: at.Add(time.Duration(seq) * time.Second).UnixNano(),
					decision: "match", reasons: []string{"passive_live", "commands_done"}, bin: "000000000000", gateway: "gw-bench",
					docSHA256: sha256.Sum256(doc)}
				for i := range 4 {
					l.images = append(l.images, imageDigest{fmt.Sprintf("image-%d", i), hexSHA256([]byte(l.id + strconv.Itoa(i)))})
					imgs = append(imgs, l.seq, i, l.images[i].name, l.images[i].sha256)
				}
				prev = l.hash()
				docs = append(docs, l.seq, l.id, l.timeNs, l.decision, string(reasons), l.bin, l.gateway, doc, l.prevHash, prev)
			}
			if _, err := q.exec(ctx, "INSERT INTO documents (seq, id, time_ns, decision, reasons, bin, gateway, document, prev_hash, hash) VALUES "+
				placeholders(len(docs)/10, 10), docs...); err != nil {
				return err
			}
			if _, err := q.exec(ctx, "INSERT INTO images (seq, idx, name, sha256) VALUES "+placeholders(len(imgs)/4, 4), imgs...); err != nil {
				return err
			}
		}
		_, err := q.exec(ctx, "UPDATE chain_head SET seq = $1, hash = $2 WHERE one = 1", n, prev)
		return err
	})
	if err != nil {
		b.Fatalf("fill: %v", err)
	}
}
