package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/pgtest"
)

// Two gateways on one PostgreSQL evidence store (a fleet): failures counted
// by either lock the IIN out on both, and both append to one chain.
func TestFleetSharesLockoutAndChain(t *testing.T) {
	dsn := pgtest.DSN(t)
	subjectKey := filepath.Join(t.TempDir(), "subject.key") // shared by the fleet
	a := daemon(t, "--evidence", dsn, "--subject-key", subjectKey)
	b := daemon(t, "--evidence", dsn, "--subject-key", subjectKey)
	attack := clipFrames(t, "minivision/minivision_live_replay_print.mp4")[34:] // the phone replay, then the print

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
}
