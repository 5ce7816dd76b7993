package daemon

import (
	"context"
	"crypto/rand"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
	"github.com/biogate/biogate/internal/testenv"
)

// The retention loop prunes failures older than the lockout at start and
// again every retainEvery, against a real SQLite store; the bubble's clock
// makes the hour pass at once.
func TestRetainPrunesOnStartAndEveryHour(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "evidence.db")
	key := filepath.Join(t.TempDir(), "evidence.key")
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		imageKey, err := evidence.LoadOrCreateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		store, err := evidence.Open(ctx, dsn, evidence.Options{ImageKey: imageKey})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		const lockout = 15 * time.Minute
		t0 := time.Now()
		for _, at := range []time.Time{t0.Add(-20 * time.Minute), t0.Add(-5 * time.Minute), t0.Add(50 * time.Minute)} {
			if err := store.Failure(ctx, "subject", at); err != nil {
				t.Fatal(err)
			}
		}
		left := func() []time.Time {
			t.Helper()
			f, err := store.Failures(ctx, "subject", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return f
		}

		var logs testenv.LogBuffer
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&records{store: store}).retain(rctx, 0, 0, lockout, testLogger(&logs))
		}()
		synctest.Wait() // the pass at start is done
		if f := left(); len(f) != 2 {
			t.Errorf("after the pass at start: %d failures left, want 2 (the one 20 minutes old pruned)", len(f))
		}
		time.Sleep(retainEvery - time.Second)
		synctest.Wait()
		if f := left(); len(f) != 2 {
			t.Errorf("before an hour passed: %d failures left, want 2", len(f))
		}
		time.Sleep(time.Second)
		synctest.Wait() // the hourly pass is done
		if f := left(); len(f) != 1 || !f[0].Equal(t0.Add(50*time.Minute)) {
			t.Errorf("after an hour: failures %v, want only the one at start+50m", f)
		}
		stop()
		<-done
		if logs.String() != "" {
			t.Errorf("retention logged:\n%s", logs.String())
		}
	})
}

// A data folder keeps its gateway id across starts; another folder is
// another gateway; a folder left with no id file (a crash) gets one.
func TestGatewayIDKeptInData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.id")
	first, err := loadOrCreateID(path)
	if err != nil || len(first) != 32 {
		t.Fatalf("first start: %q, %v", first, err)
	}
	again, err := loadOrCreateID(path)
	if err != nil || again != first {
		t.Errorf("restart: %q, %v; want %q", again, err, first)
	}
	other, err := loadOrCreateID(filepath.Join(t.TempDir(), "gateway.id"))
	if err != nil || other == first {
		t.Errorf("another data folder: %q, %v; want another id than %q", other, err, first)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".gateway.id-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// A gateway starting on a store cut behind its last checkpoint, or whose
// last document was rewritten, or after appends on a rewound chain, says so
// in its log; on an untouched store it says nothing.
func TestRecordsCheckTheStoreAgainstTheLastCheckpoint(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	start := func(appends int) string {
		t.Helper()
		var logs testenv.LogBuffer
		r, err := openRecords(ctx, Config{Data: data}, testLogger(&logs))
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		for range appends {
			_, err := r.store.Append(ctx, func(string) (evidence.Record, error) {
				return evidence.Record{ID: rand.Text(), Time: time.Now(), Decision: "refused", Document: []byte("x")}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return logs.String()
	}
	attack := func(queries ...string) {
		t.Helper()
		db, err := sql.Open("sqlite", filepath.Join(data, "evidence.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range queries {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	start(3)
	if logs := start(0); strings.Contains(logs, "level=ERROR") {
		t.Errorf("untouched store:\n%s", logs)
	}
	attack("UPDATE documents SET hash = '"+strings.Repeat("0", 64)+"' WHERE seq = 3",
		"UPDATE chain_head SET hash = '"+strings.Repeat("0", 64)+"' WHERE one = 1")
	if logs := start(0); !strings.Contains(logs, "last document is not the one checkpointed") {
		t.Errorf("last document rewritten:\n%s", logs)
	}
	attack("DELETE FROM documents WHERE seq > 1", "UPDATE chain_head SET seq = 1, hash = (SELECT hash FROM documents WHERE seq = 1) WHERE one = 1")
	if logs := start(2); !strings.Contains(logs, "shorter than its last checkpoint") {
		t.Errorf("cut store:\n%s", logs)
	}
	if logs := start(0); !strings.Contains(logs, "rewound and rewritten") { // appends on the cut chain forked it
		t.Errorf("forked checkpoints:\n%s", logs)
	}
}

// With an http(s) witness, the daemon posts each checkpoint to it, and
// closing the records stops the witness's goroutine.
func TestRecordsPostCheckpointsToAnHTTPWitness(t *testing.T) {
	got := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer srv.Close()
	ctx := context.Background()
	r, err := openRecords(ctx, Config{Data: t.TempDir(), CheckpointWitness: srv.URL + "/checkpoints"}, testLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var last evidence.Entry
	for range 2 {
		last, err = r.store.Append(ctx, func(string) (evidence.Record, error) {
			return evidence.Record{ID: rand.Text(), Time: time.Now(), Decision: "refused", Document: []byte("x")}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	keys, err := r.keys.Keys()
	if err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for range 2 {
		select {
		case l := <-got:
			lines.WriteString(l)
		case <-time.After(5 * time.Second):
			t.Fatalf("the witness got %q", lines.String())
		}
	}
	set, err := checkpoint.Read(strings.NewReader(lines.String()), keys, time.Now())
	if c, ok := set.Latest(); err != nil || len(set) != 2 || !ok || c.Hash != last.Hash {
		t.Errorf("witnessed %d checkpoints, %v; latest %+v, last entry %+v", len(set), err, c, last)
	}
}
