package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/protocol"
)

// failedCommand reads up to the failed command of a session's attempt.
func (c *client) failedCommand() *protocol.Command {
	c.t.Helper()
	for {
		switch m := c.next().(type) {
		case *protocol.Command:
			if m.Status == protocol.CommandFailed {
				return m
			}
		case *protocol.Quality, *protocol.State:
		default:
			c.t.Fatalf("got %#v, want a failed command", m)
		}
	}
}

// failures is how many failed attempts the gateway holds for subject.
func (h *harness) failures(subject string) int {
	h.t.Helper()
	ts, err := h.srv.failures.Failures(context.Background(), h.srv.subjectKey(subject), time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(ts)
}

// A failed attempt counts the moment its command fails: three sessions,
// each ended after one failed attempt by cancel, by disconnect and by
// end_of_frames, lock the IIN out at the next start. Each session is
// offered only the attempts its IIN has left.
func TestFailedAttemptCountsAtOnce(t *testing.T) {
	pipe := &testPipeline{Frames: 1, Failed: 1, Hold: true}
	h := newHarness(t, pipe, nil)
	ends := []struct {
		name string
		end  func(c *client)
	}{
		{"cancel", func(c *client) {
			c.send(&protocol.Cancel{})
			c.wantClose(protocol.CloseNormal)
		}},
		{"disconnect", func(c *client) { c.ws.Close() }},
		{"end_of_frames", func(c *client) {
			c.send(&protocol.EndOfFrames{LastSeq: 1})
			if r := c.wantResult(); r.Decision != protocol.DecisionError {
				t.Errorf("end_of_frames: %+v, want error source_ended", r)
			}
		}},
	}
	for i, e := range ends {
		c := h.dial(keyAll)
		c.relaySession(validIIN, 1)
		if m := c.failedCommand(); m.AttemptsLeft != 2-i {
			t.Errorf("%s: attempts_left %d, want %d", e.name, m.AttemptsLeft, 2-i)
		}
		e.end(c)
		// The count was kept before the session ended.
		if n := h.failures(validIIN); n != i+1 {
			t.Fatalf("after %s: %d failed attempts kept, want %d", e.name, n, i+1)
		}
	}
	if got := pipe.opts(); !slices.Equal(got, []int{3, 2, 1}) {
		t.Errorf("attempts offered %v, want [3 2 1]: only those the IIN has left", got)
	}
	c := h.dial(keyAll)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	if e := c.wantError(protocol.CodeLockedOut); e.RetryAfter <= 0 {
		t.Errorf("locked_out %+v", e)
	}
}

// Each attempt counts once: a failed attempt and then a spoof in the next
// are two; a refusal after three failed attempts is three, not four.
func TestAttemptsCountOnce(t *testing.T) {
	for _, tc := range []struct {
		pipe *testPipeline
		want protocol.Decision
		n    int
	}{
		{&testPipeline{Frames: 1, Failed: 1, Verdict: VerdictSpoof}, protocol.DecisionSpoof, 2},
		{&testPipeline{Frames: 1, Failed: 3, Verdict: VerdictRefused}, protocol.DecisionRefused, 3},
		{&testPipeline{Frames: 1, Failed: 1, Verdict: VerdictLive}, protocol.DecisionNoMatch, 2},
		{&testPipeline{Frames: 1, Failed: 2, Verdict: VerdictLive}, protocol.DecisionMatch, 2},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			h := newHarness(t, tc.pipe, func(c *Config) { c.MaxAttempts = 5 })
			h.ver.match = tc.want == protocol.DecisionMatch
			c := h.dial(keyAll)
			c.relaySession(validIIN, 1)
			if r := c.wantResult(); r.Decision != tc.want {
				t.Fatalf("result %+v, want %s", r, tc.want)
			}
			if n := h.failures(validIIN); n != tc.n {
				t.Errorf("%d failed attempts counted, want %d", n, tc.n)
			}
		})
	}
}

// brokenFailures is a store that cannot record a failed attempt.
type brokenFailures struct{ evidence.Store }

func (brokenFailures) Failure(context.Context, string, time.Time) error {
	return errors.New("disk full")
}

// A failed attempt the store cannot record is not reported: the session
// ends with evidence_unavailable instead of offering another attempt.
func TestFailedAttemptNotRecorded(t *testing.T) {
	store, err := evidence.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "evidence.db"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := newHarness(t, &testPipeline{Frames: 1, Failed: 1, Hold: true}, func(c *Config) { c.Evidence = brokenFailures{store} })
	c := h.dial(keyAll)
	c.relaySession(validIIN, 1)
	for {
		m := c.next()
		if cm, ok := m.(*protocol.Command); ok && cm.Status == protocol.CommandFailed {
			t.Fatalf("a failed attempt not recorded was reported: %+v", cm)
		}
		if e, ok := m.(*protocol.ErrorMessage); ok {
			if e.Code != protocol.CodeEvidenceUnavailable || !e.Fatal {
				t.Fatalf("error %+v, want evidence_unavailable", e)
			}
			break
		}
	}
}

// A gateway starting on a store releases the leases its sessions held
// when it was killed (holders ID/...), and no other gateway's.
func TestNewReleasesItsLeases(t *testing.T) {
	ctx := context.Background()
	store, err := evidence.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "evidence.db"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	for key, holder := range map[string]string{"mine": "gw-a/s1", "theirs": "gw-b/s2"} {
		if ok, err := store.Hold(ctx, key, holder, now, now.Add(3*time.Minute)); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	newHarness(t, &testPipeline{}, func(c *Config) { c.Evidence, c.ID = store, "gw-a" })
	for key, free := range map[string]bool{"mine": true, "theirs": false} {
		if ok, err := store.Hold(ctx, key, "gw-c/s3", now, now.Add(time.Minute)); err != nil || ok != free {
			t.Errorf("lease %q after gw-a started: taken %v, %v; want %v", key, ok, err, free)
		}
	}
	if _, err := New(Config{ID: "gw/a"}, &testPipeline{}, &testVerifier{}, nil); err == nil || !strings.Contains(err.Error(), "ID") {
		t.Errorf("an ID with '/': %v, want it refused", err)
	}
}
