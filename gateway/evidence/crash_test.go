package evidence

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// The child half of testCrash: appends until killed.
const crashDSNEnv, crashKeyEnv = "BIOGATE_EVIDENCE_CRASH_DSN", "BIOGATE_EVIDENCE_CRASH_KEY"

func TestCrashChild(t *testing.T) {
	dsn := os.Getenv(crashDSNEnv)
	if dsn == "" {
		t.Skip("the child process of the crash tests")
	}
	key, _ := base64.StdEncoding.DecodeString(os.Getenv(crashKeyEnv))
	s, err := Open(context.Background(), dsn, Options{ImageKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		r := record(fmt.Sprintf("crash-%d-%d", os.Getpid(), i), time.Now(), "match", 4)
		if _, err := s.Append(context.Background(), func(string) (Record, error) { return r, nil }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCrashSQLite(t *testing.T)   { testCrash(t, newSQLite(t)) }
func TestCrashPostgres(t *testing.T) { testCrash(t, newPostgres(t)) }

// testCrash kills processes in the middle of appending, twice, and checks
// that the chain holds only whole entries and goes on verifying.
func testCrash(t *testing.T, dsn string) {
	ctx := context.Background()
	key := testKey(t)
	s := open(t, dsn, key) // migrated before the children start
	var want int64
	for round := range 2 {
		var children []*exec.Cmd
		for range 2 {
			c := exec.Command(os.Args[0], "-test.run", "^TestCrashChild$")
			c.Env = append(os.Environ(), crashDSNEnv+"="+dsn, crashKeyEnv+"="+base64.StdEncoding.EncodeToString(key))
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			children = append(children, c)
		}
		// Kill once both have appended, in the middle of whatever they do.
		deadline := time.Now().Add(30 * time.Second)
		for {
			rep, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Head >= want+20 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, c := range children {
			c.Process.Kill()
			c.Wait()
		}
		rep, err := s.Verify(ctx)
		if err != nil || rep.FirstBroken != nil || rep.Checked != rep.Head || rep.Head <= want {
			t.Fatalf("round %d, after killing the appenders: %+v, %v (had %d)", round, rep, err, want)
		}
		t.Logf("round %d: killed two appenders at %d entries, chain intact", round, rep.Head)
		want = rep.Head
		// Every entry is whole: its images decrypt and match.
		r, _, err := s.Get(ctx, lastID(t, s))
		if err != nil || len(r.Images) != 4 {
			t.Fatalf("last entry: %d images, %v", len(r.Images), err)
		}
	}
	appendRecord(t, s, record("after-crashes", time.Now(), "match", 1))
	// (A killed client's last COMMIT may still land on a PostgreSQL server
	// after its death: more entries, never half of one.)
	if rep, err := s.Verify(ctx); err != nil || rep.FirstBroken != nil || rep.Checked != rep.Head || rep.Checked <= want {
		t.Errorf("append after the crashes: %+v, %v", rep, err)
	}
}

// lastID returns the id of the chain's last entry.
func lastID(t *testing.T, s Store) string {
	var id string
	err := s.(*store).b.read(context.Background(), func(q querier) error {
		return q.queryRow(context.Background(), "SELECT id FROM documents ORDER BY seq DESC LIMIT 1").Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
