package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/biogate/biogate/outcome"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/biogate/biogate/gateway/protocol"
)

func TestRelaySessionMatch(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 3, Verdict: VerdictLive}, nil)
	c := h.dial(keyAll)
	c.relaySession(validIIN, 3)
	c.wantState(protocol.StateLiveness)
	c.wantState(protocol.StateSubmitting)
	if m, ok := c.next().(*protocol.Submitting); !ok || m.RequestID == "" {
		t.Fatalf("got %#v, want submitting with a request id", m)
	}
	r := c.wantResult()
	if r.Decision != protocol.DecisionMatch || r.Similarity == nil || *r.Similarity != 0.982 ||
		r.IDECRequestID != "IDEC-TEST-1" || r.ClientNonce != testNonce || r.FixedCommands || r.Attempts != 1 || len(r.Reasons) != 0 {
		t.Errorf("result %+v", r)
	}
	if s := c.wantState(protocol.StateDone); s.Reason != protocol.DoneCompleted {
		t.Errorf("done reason %q", s.Reason)
	}
	c.wantClose(protocol.CloseNormal)

	h.ver.mu.Lock()
	defer h.ver.mu.Unlock()
	if len(h.ver.reqs) != 1 {
		t.Fatalf("%d IDEC requests, want 1", len(h.ver.reqs))
	}
	req := h.ver.reqs[0]
	if !bytes.Equal(req.Photo, testJPEG) || req.IIN.String() != validIIN || req.BIN.String() != testBIN ||
		!strings.HasPrefix(req.ConsentRef, "mfo-consent-biometrics-v3:9f86d081") || req.Capture.Liveness != "live" {
		t.Errorf("IDEC request: IIN %s BIN %s consent %q liveness %q photo %d bytes",
			req.IIN.Masked(), req.BIN, req.ConsentRef, req.Capture.Liveness, len(req.Photo))
	}
}

func TestNoMatchLocksOut(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	h.ver.match = false
	for i := 0; i < 3; i++ {
		c := h.dial(keyAll)
		c.relaySession(validIIN, 1)
		if r := c.wantResult(); r.Decision != protocol.DecisionNoMatch || len(r.Reasons) != 1 || r.Reasons[0] != "below_threshold" {
			t.Fatalf("session %d: result %+v", i, r)
		}
		c.wantState(protocol.StateDone)
		c.wantClose(protocol.CloseNormal)
	}
	c := h.dial(keyAll)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	e := c.wantError(protocol.CodeLockedOut)
	if !e.Fatal || e.RetryAfter <= 0 || e.RetryAfter > 15*60 {
		t.Errorf("locked_out %+v", e)
	}
	if s := c.wantState(protocol.StateDone); s.Reason != protocol.DoneError {
		t.Errorf("done reason %q", s.Reason)
	}
	c.wantClose(protocol.ClosePolicy)

	// Another IIN is not locked.
	c = h.dial(keyAll)
	c.relaySession(otherIIN, 1)
	if r := c.wantResult(); r.Decision != protocol.DecisionNoMatch {
		t.Errorf("other IIN: %+v", r)
	}
}

// TestCaptureDropsAreCounted: the frames each session's capture loop
// discarded add up in biogate_gateway_capture_frames_dropped_total,
// whatever the decision.
func TestCaptureDropsAreCounted(t *testing.T) {
	pipe := &testPipeline{Frames: 1, Verdict: VerdictLive, Dropped: 3}
	h := newHarness(t, pipe, nil)
	c := h.dial(keyAll)
	c.relaySession(validIIN, 1)
	c.wantResult()
	pipe.Verdict = VerdictSpoof
	c = h.dial(keyAll)
	c.relaySession(validIIN, 1)
	if r := c.wantResult(); r.Decision != protocol.DecisionSpoof {
		t.Fatalf("second session: %+v", r)
	}
	if n := testutil.ToFloat64(h.srv.m.captureDropped.WithLabelValues("queue_full")); n != 6 {
		t.Errorf("capture_frames_dropped_total = %v, want 6", n)
	}
}

func TestSpoofAndRefusedCount(t *testing.T) {
	for _, v := range []outcome.Liveness{VerdictSpoof, VerdictRefused} {
		t.Run(string(v), func(t *testing.T) {
			h := newHarness(t, &testPipeline{Frames: 1, Verdict: v}, func(c *Config) { c.MaxAttempts = 1 })
			c := h.dial(keyAll)
			c.relaySession(validIIN, 1)
			if r := c.wantResult(); string(r.Decision) != string(v) {
				t.Fatalf("result %+v", r)
			}
			c = h.dial(keyAll)
			c.send(startMsg(validIIN, protocol.CameraRelay))
			c.wantError(protocol.CodeLockedOut)
		})
	}
}

// TestRejectedMessages: each is answered with a non-fatal error and the
// session goes on to a good start.
func TestRejectedMessages(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, nil)
	c := h.dial(keyAll)

	badIIN := startMsg("790303402569", protocol.CameraRelay)
	noConsent := startMsg(validIIN, protocol.CameraRelay)
	noConsent.Consent = nil
	fixed := startMsg(validIIN, protocol.CameraRelay)
	fixed.Commands = []string{"turn_left", "turn_right", "tilt_left"}
	oldConsent := startMsg(validIIN, protocol.CameraRelay)
	oldConsent.Consent.AcceptedAt = time.Now().Add(-time.Hour)
	enc := func(m protocol.Message) string {
		b, err := protocol.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, msg string
		code      protocol.ErrorCode
		field     string
	}{
		{"malformed JSON", `{"v":1,"type":"start",`, protocol.CodeBadMessage, ""},
		{"not an object", `[1,2]`, protocol.CodeBadMessage, ""},
		{"unknown type", `{"v":1,"type":"dance"}`, protocol.CodeUnknownType, ""},
		{"gateway type", `{"v":1,"type":"hello"}`, protocol.CodeUnknownType, ""},
		{"too large", `{"v":1,"type":"cancel","pad":"` + strings.Repeat("x", 17<<10) + `"}`, protocol.CodeBadMessage, ""},
		{"invalid IIN", enc(badIIN), protocol.CodeInvalidIIN, "iin"},
		{"missing consent", enc(noConsent), protocol.CodeConsentRequired, "consent"},
		{"old consent", enc(oldConsent), protocol.CodeConsentInvalid, "consent.accepted_at"},
		{"fixed commands", enc(fixed), protocol.CodeFixedCommandsNotAllowed, "commands"},
		{"end_of_frames before start", `{"v":1,"type":"end_of_frames","last_seq":0}`, protocol.CodeUnexpectedMessage, ""},
	} {
		c.sendText(tc.msg)
		e := c.wantError(tc.code)
		if e.Fatal || e.Field != tc.field {
			t.Errorf("%s: %+v", tc.name, e)
		}
		if strings.Contains(e.Message, validIIN) {
			t.Errorf("%s: error message holds the IIN", tc.name)
		}
	}
	c.sendFrame(frameMsg(1, testJPEG))
	c.wantError(protocol.CodeUnexpectedMessage)

	c.send(startMsg(validIIN, protocol.CameraRelay))
	c.wantState(protocol.StateCapturing)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	c.wantError(protocol.CodeUnexpectedMessage)
	c.send(&protocol.Cancel{})
	if s := c.wantState(protocol.StateDone); s.Reason != protocol.DoneCancelled {
		t.Errorf("done reason %q", s.Reason)
	}
	c.wantClose(protocol.CloseNormal)
}

func TestUnsupportedVersionIsFatal(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	c := h.dial(keyAll)
	c.sendText(`{"v":2,"type":"start"}`)
	if e := c.wantError(protocol.CodeUnsupportedVersion); !e.Fatal {
		t.Errorf("%+v", e)
	}
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseProtocolError)
}

func TestFixedCommandsAllowed(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.AllowFixedCommands = true })
	c := h.dial(keyAll)
	st := startMsg(validIIN, protocol.CameraRelay)
	st.Commands = []string{"tilt_left", "turn_right", "move_closer"}
	c.send(st)
	c.wantState(protocol.StateCapturing)
	c.sendFrame(frameMsg(1, testJPEG))
	var cmds []string
	for {
		m := c.next()
		if cm, ok := m.(*protocol.Command); ok && cm.Status == protocol.CommandIssued {
			cmds = append(cmds, string(cm.Command))
		}
		if r, ok := m.(*protocol.Result); ok {
			if !r.FixedCommands || r.Decision != protocol.DecisionMatch {
				t.Errorf("result %+v", r)
			}
			break
		}
	}
	if strings.Join(cmds, ",") != "tilt_left,turn_right,move_closer" {
		t.Errorf("commands issued %v", cmds)
	}
}

func TestFrameErrors(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, func(c *Config) {
		c.Limits.MaxFrameBytes = 8 << 10
		c.Limits.MaxFPS = 1
	})
	c := h.dial(keyAll)
	c.relaySession(validIIN, 1) // seq 1 takes the only token

	big := append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 9<<10)...)
	big = append(big, 0xFF, 0xD9)
	c.sendFrame(frameMsg(2, big))
	c.wantError(protocol.CodeFrameTooLarge)
	c.sendFrame(frameMsg(3, []byte("not a jpeg at all")))
	c.wantError(protocol.CodeFrameNotJPEG)
	c.sendFrame([]byte("BG\x01"))
	c.wantError(protocol.CodeFrameBadHeader)
	c.sendFrame(frameMsg(4, testJPEG))
	c.wantError(protocol.CodeFrameTooFast)
	c.sendText(`{"v":1,"type":"end_of_frames","last_seq":4}`)
	if r := c.wantResult(); r.Decision != protocol.DecisionError || len(r.Reasons) != 1 || r.Reasons[0] != "source_ended" {
		t.Errorf("result %+v", r)
	}
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseNormal)
}

func TestKioskWithoutCameras(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	c := h.dial(keyAll)
	c.send(startMsg(validIIN, protocol.CameraKiosk))
	c.wantError(protocol.CodeCameraUnavailable)
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseTryAgainLater)
}

func decodeHTTPError(t *testing.T, resp *http.Response) *protocol.ErrorMessage {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	m, err := protocol.DecodeServer(b)
	if err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	e, ok := m.(*protocol.ErrorMessage)
	if !ok {
		t.Fatalf("body %s", b)
	}
	return e
}

func TestAuthAndOrigin(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) {
		c.AllowedOrigins = []string{"https://kiosk.example"}
	})
	for _, tc := range []struct {
		name   string
		hdr    http.Header
		query  string
		status int
		code   protocol.ErrorCode
	}{
		{"no key", http.Header{}, "", 401, protocol.CodeUnauthorized},
		{"wrong key", http.Header{"Authorization": {"Bearer test-key-wrong-0123456789"}}, "", 401, protocol.CodeUnauthorized},
		{"key in URL", http.Header{}, "?api_key=" + keyAll, 401, protocol.CodeUnauthorized},
		{"admin scope", http.Header{"X-API-Key": {keyAdmin}}, "", 403, protocol.CodeForbiddenScope},
		{"wrong origin", http.Header{"X-API-Key": {keyAll}, "Origin": {"https://evil.example"}}, "", 403, protocol.CodeOriginNotAllowed},
		{"allowed origin", http.Header{"X-API-Key": {keyAll}, "Origin": {"https://kiosk.example"}}, "", 101, ""},
		{"allowed origin, default port", http.Header{"X-API-Key": {keyAll}, "Origin": {"https://Kiosk.Example:443"}}, "", 101, ""},
		{"origin over http", http.Header{"X-API-Key": {keyAll}, "Origin": {"http://kiosk.example"}}, "", 403, protocol.CodeOriginNotAllowed},
		{"origin of another scheme", http.Header{"X-API-Key": {keyAll}, "Origin": {"evil://kiosk.example"}}, "", 403, protocol.CodeOriginNotAllowed},
		{"origin on another port", http.Header{"X-API-Key": {keyAll}, "Origin": {"https://kiosk.example:8443"}}, "", 403, protocol.CodeOriginNotAllowed},
		{"null origin", http.Header{"X-API-Key": {keyAll}, "Origin": {"null"}}, "", 403, protocol.CodeOriginNotAllowed},
		{"no origin, bearer", http.Header{"Authorization": {"Bearer " + keyAll}}, "", 101, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := h.url
			h.url += tc.query
			ws, resp, err := h.dialHeader(tc.hdr)
			h.url = url
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 101 {
				ws.Close()
				return
			}
			e := decodeHTTPError(t, resp)
			if e.Code != tc.code || !e.Fatal {
				t.Errorf("error %+v", e)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestOwnOrigin: without AllowedOrigins, only the gateway's own origin may
// open sessions: its scheme (http here, no TLS), host and port.
func TestOwnOrigin(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	host := strings.TrimPrefix(h.ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	for origin, want := range map[string]int{
		"http://" + host:                 101,
		"HTTP://" + host:                 101,
		"http://localhost:" + port:       403, // another host name
		"evil://" + host:                 403,
		"https://" + host:                403,
		"ws://" + host:                   403,
		"http://" + host + "/x":          403,
		"http://user@" + host:            403,
		"http://127.0.0.1:1":             403,
		"http://127.0.0.1":               403,
		"http://127.0.0.1:" + port + "0": 403,
	} {
		ws, resp, err := h.dialHeader(http.Header{"X-API-Key": {keyAll}, "Origin": {origin}})
		if resp == nil {
			t.Fatalf("%s: no response: %v", origin, err)
		}
		if resp.StatusCode != want {
			t.Errorf("Origin %s: status %d, want %d", origin, resp.StatusCode, want)
		}
		if ws != nil {
			ws.Close()
		}
	}
}

func TestModeScope(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	c := h.dial(keyKiosk)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	if e := c.wantError(protocol.CodeForbiddenScope); e.Fatal || e.Field != "camera.mode" {
		t.Errorf("%+v", e)
	}
	// The session survives: a kiosk start is accepted (and fails for want of a camera).
	c.send(startMsg(validIIN, protocol.CameraKiosk))
	c.wantError(protocol.CodeCameraUnavailable)
}

func TestRatePerKey(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.RatePerKey = 1 })
	h.dial(keyAll).ws.Close()
	_, resp, err := h.dialHeader(http.Header{"X-API-Key": {keyAll}})
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second session: %v %v", resp, err)
	}
	if e := decodeHTTPError(t, resp); e.Code != protocol.CodeRateLimited || e.RetryAfter < 1 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("%+v", e)
	}
}

// TestRatePerIIN: an IIN starts at most RatePerIIN sessions a minute; the
// next start is refused with a fatal rate_limited and its retry_after,
// and another IIN still starts.
func TestRatePerIIN(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.RatePerIIN = 1 })
	first := h.dial(keyAll)
	first.send(startMsg(validIIN, protocol.CameraRelay))
	first.wantState(protocol.StateCapturing)
	first.send(&protocol.Cancel{})
	first.wantState(protocol.StateDone)
	first.wantClose(protocol.CloseNormal)

	again := h.dial(keyAll)
	again.send(startMsg(validIIN, protocol.CameraRelay))
	if e := again.wantError(protocol.CodeRateLimited); !e.Fatal || e.RetryAfter < 1 {
		t.Errorf("%+v", e)
	}
	again.wantState(protocol.StateDone)
	again.wantClose(protocol.ClosePolicy)

	other := h.dial(keyAll)
	other.relaySession(otherIIN, 1)
	if r := other.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("another IIN: %+v", r)
	}
	if n := testutil.ToFloat64(h.srv.m.refused.WithLabelValues("rate_iin")); n != 1 {
		t.Errorf("rate_iin refusals %v", n)
	}
}

// TestBusy: a session takes its slot at start. With one slot, a second
// connection is greeted and waits; its start gets busy (fatal) while the
// first session runs, and the slot is free again once that one ends.
func TestBusy(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.MaxSessions = 1 })
	first := h.dial(keyAll)
	first.send(startMsg(validIIN, protocol.CameraRelay))
	first.wantState(protocol.StateCapturing)

	c := h.dial(keyRelay)
	c.send(startMsg(otherIIN, protocol.CameraRelay))
	if e := c.wantError(protocol.CodeBusy); !e.Fatal || e.RetryAfter < 1 {
		t.Errorf("%+v", e)
	}
	if s := c.wantState(protocol.StateDone); s.Reason != protocol.DoneError {
		t.Errorf("%+v", s)
	}
	c.wantClose(protocol.CloseTryAgainLater)
	if n := testutil.ToFloat64(h.srv.m.busy); n != 1 {
		t.Errorf("busy rejections %v", n)
	}
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(h.srv.m.sessions.WithLabelValues("busy")) != 1; {
		if time.Now().After(deadline) { // counted once the handler is done
			t.Fatal("the refused session is not counted as busy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first session is unharmed, and its slot serves the next one.
	first.sendFrame(frameMsg(1, testJPEG))
	if r := first.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("%+v", r)
	}
	first.wantClose(protocol.CloseNormal)
	next := h.dial(keyRelay)
	next.relaySession(otherIIN, 1)
	if r := next.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("after the first ended: %+v", r)
	}
}

// TestIdleConnectionsHoldNoSlot: connections that never send start hold
// no session slot; their number is capped per key (key_busy) and overall
// (busy), right after hello, and another key's session runs meanwhile.
func TestIdleConnectionsHoldNoSlot(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.MaxSessions, c.MaxPending = 1, 6 })
	for range 3 { // MaxPendingPerKey: half of 6
		h.dial(keyAll)
	}
	refused := func(key string, code protocol.ErrorCode) {
		t.Helper()
		ws, _, err := h.dialHeader(http.Header{"X-API-Key": {key}})
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, ws: ws}
		if _, ok := c.next().(*protocol.Hello); !ok {
			t.Fatal("no hello")
		}
		if e := c.wantError(code); !e.Fatal || e.RetryAfter < 1 {
			t.Errorf("%+v", e)
		}
		c.wantClose(protocol.CloseTryAgainLater)
	}
	refused(keyAll, protocol.CodeKeyBusy)

	honest := h.dial(keyRelay)
	honest.relaySession(validIIN, 1)
	if r := honest.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("the honest session beside 3 idle connections: %+v", r)
	}
	honest.wantClose(protocol.CloseNormal)

	for range 3 {
		h.dial(keyRelay)
	}
	refused(keyRelay, protocol.CodeBusy) // 6 connections wait
	for reason, want := range map[string]float64{"key_pending": 1, "pending": 1} {
		if n := testutil.ToFloat64(h.srv.m.refused.WithLabelValues(reason)); n != want {
			t.Errorf("refusals %s: %v, want %v", reason, n, want)
		}
	}
	if n := testutil.ToFloat64(h.srv.m.pending); n != 6 {
		t.Errorf("pending %v, want 6", n)
	}
}

// TestKeyBusy: one key runs at most MaxSessionsPerKey sessions; its next
// start gets key_busy (fatal) while another key still starts.
func TestKeyBusy(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.MaxSessions, c.MaxSessionsPerKey = 3, 1 })
	first := h.dial(keyAll)
	first.send(startMsg(validIIN, protocol.CameraRelay))
	first.wantState(protocol.StateCapturing)

	second := h.dial(keyAll)
	second.send(startMsg(otherIIN, protocol.CameraRelay))
	if e := second.wantError(protocol.CodeKeyBusy); !e.Fatal || e.RetryAfter < 1 {
		t.Errorf("%+v", e)
	}
	second.wantState(protocol.StateDone)
	second.wantClose(protocol.CloseTryAgainLater)

	other := h.dial(keyRelay)
	other.relaySession(otherIIN, 1)
	if r := other.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("another key: %+v", r)
	}
	if n := testutil.ToFloat64(h.srv.m.refused.WithLabelValues("key_sessions")); n != 1 {
		t.Errorf("key_sessions refusals %v", n)
	}
	if n := testutil.ToFloat64(h.srv.m.busy); n != 0 {
		t.Errorf("busy rejections %v: key_busy is not busy", n)
	}
}

func TestSlowConsumerDropped(t *testing.T) {
	pipe := &testPipeline{Flood: true}
	h := newHarness(t, pipe, func(c *Config) {
		c.SendQueue = 16
		c.WriteTimeout = 200 * time.Millisecond
	})
	slow := h.dial(keyAll)
	slow.send(startMsg(validIIN, protocol.CameraRelay))
	// slow never reads again; the gateway must drop it.
	deadline := time.Now().Add(15 * time.Second)
	for testutil.ToFloat64(h.srv.m.sessions.WithLabelValues("slow_consumer")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("slow client not dropped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := testutil.ToFloat64(h.srv.m.active); n != 0 {
		t.Errorf("%v sessions active after the drop", n)
	}

	// The gateway goes on serving.
	pipe.Flood = false // no session runs the pipeline now
	pipe.Frames, pipe.Verdict = 1, VerdictLive
	c := h.dial(keyAll)
	c.relaySession(otherIIN, 1)
	if r := c.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("%+v", r)
	}
}

func TestShutdownAborts(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, nil)
	get := func(path string) int {
		resp, err := http.Get(h.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/readyz") != 200 || get("/healthz") != 200 {
		t.Fatal("not ready")
	}
	if code := get("/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the session handler: %d, want 404", code)
	}
	running := h.dial(keyAll)
	running.relaySession(validIIN, 2)
	waiting := h.dial(keyAll)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	for _, c := range []*client{running, waiting} {
		if m, ok := c.skip().(*protocol.Aborted); !ok || m.Reason != protocol.AbortShutdown {
			t.Errorf("got %#v, want aborted", m)
		}
		c.wantClose(protocol.CloseGoingAway)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(h.srv.m.active); n != 0 {
		t.Errorf("%v sessions active after Shutdown", n)
	}
	if n := testutil.ToFloat64(h.srv.m.sessions.WithLabelValues("aborted")); n != 2 {
		t.Errorf("%v sessions aborted, want 2", n)
	}
	if get("/readyz") != http.StatusServiceUnavailable {
		t.Error("ready while shutting down")
	}
	if _, resp, _ := h.dialHeader(http.Header{"X-API-Key": {keyAll}}); resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Error("session accepted after Shutdown")
	}
}

// TestDrainLetsRunningSessionsFinish: on Drain, /readyz fails at once, a
// new connection is refused and a connected session that has not started
// is aborted, while a session already running goes on to its result; Drain
// returns when it has ended.
func TestDrainLetsRunningSessionsFinish(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 3, Verdict: VerdictLive}, nil)
	running := h.dial(keyAll)
	running.relaySession(validIIN, 1) // started, two frames to go
	waiting := h.dial(keyAll)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- h.srv.Drain(ctx)
	}()
	if m, ok := waiting.skip().(*protocol.Aborted); !ok || m.Reason != protocol.AbortShutdown {
		t.Errorf("session not started: got %#v, want aborted", m)
	}
	waiting.wantClose(protocol.CloseGoingAway)
	if code := h.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", code)
	}
	if code := h.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while draining: %d, want 200", code)
	}
	if _, resp, _ := h.dialHeader(http.Header{"X-API-Key": {keyAll}}); resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Error("session accepted while draining")
	}
	select {
	case err := <-done:
		t.Fatalf("Drain returned %v with a session running", err)
	case <-time.After(200 * time.Millisecond):
	}
	for i := uint32(2); i <= 3; i++ {
		time.Sleep(100 * time.Millisecond)
		running.sendFrame(frameMsg(i, testJPEG))
	}
	if r := running.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("running session: %+v, want its match", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if n := testutil.ToFloat64(h.srv.m.sessions.WithLabelValues("aborted")); n != 1 {
		t.Errorf("%v sessions aborted, want 1 (the one not started)", n)
	}
}

// TestDrainGraceEnds: a session still running when Drain's context ends is
// left to Shutdown, which aborts it.
func TestDrainGraceEnds(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, nil)
	running := h.dial(keyAll)
	running.relaySession(validIIN, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := h.srv.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain: %v, want the grace's deadline", err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	go h.srv.Shutdown(sctx)
	if m, ok := running.skip().(*protocol.Aborted); !ok || m.Reason != protocol.AbortShutdown {
		t.Errorf("got %#v, want aborted", m)
	}
	running.wantClose(protocol.CloseGoingAway)
}

func TestParseKeys(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"good", "# c\n\nabcdefghijklmnop kiosk,relay\nqrstuvwxyz0123456 admin\n", true},
		{"short key", "abc kiosk\n", false},
		{"unknown scope", "abcdefghijklmnop session\n", false},
		{"no scope", "abcdefghijklmnop\n", false},
		{"duplicate", "abcdefghijklmnop kiosk\nabcdefghijklmnop relay\n", false},
		{"empty", "# nothing\n", false},
	} {
		ks, err := ParseKeys(strings.NewReader(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "abcdefghijklmnop") {
			t.Errorf("%s: error holds the key: %v", tc.name, err)
		}
		if tc.ok {
			if k, ok := ks.lookup("abcdefghijklmnop"); !ok || !k.has(ScopeKiosk) || !k.has(ScopeRelay) || k.has(ScopeAdmin) {
				t.Errorf("%s: lookup %+v %v", tc.name, k, ok)
			}
			if _, ok := ks.lookup("abcdefghijklmnoq"); ok {
				t.Errorf("%s: wrong key accepted", tc.name)
			}
		}
	}
}

var _ = json.Marshal

// One session per IIN at a time: a second start for an IIN whose session
// is running gets iin_in_session (so concurrent sessions cannot pass the
// lockout together), another IIN is not held up, and once the first
// session ends the IIN can start again.
func TestOneSessionPerIIN(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
	first := h.dial(keyAll)
	first.send(startMsg(validIIN, protocol.CameraRelay))
	first.wantState(protocol.StateCapturing)

	second := h.dial(keyAll)
	second.send(startMsg(validIIN, protocol.CameraRelay))
	if e := second.waitError(protocol.CodeIINInSession); !e.Fatal {
		t.Errorf("%+v", e)
	}
	second.wantClose(protocol.CloseTryAgainLater)

	other := h.dial(keyAll)
	other.send(startMsg(otherIIN, protocol.CameraRelay))
	other.wantState(protocol.StateCapturing)

	first.send(&protocol.Cancel{})
	first.wantState(protocol.StateDone)
	again := h.dial(keyAll)
	again.send(startMsg(validIIN, protocol.CameraRelay))
	again.wantState(protocol.StateCapturing)
}
