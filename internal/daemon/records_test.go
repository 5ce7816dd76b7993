package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
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

		var logs logBuffer
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&records{store: store}).retain(rctx, 0, lockout, testLogger(&logs))
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
