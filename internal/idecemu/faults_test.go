package idecemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
)

const testLatency = 300 * time.Millisecond

func TestFaults(t *testing.T) {
	wantStatus := func(status int, code string) func(*testing.T, *env, idechttp.VerifyRequest) {
		return func(t *testing.T, e *env, req idechttp.VerifyRequest) {
			r := e.verify(t, req, "")
			if r.status != status || r.err.Code != code {
				t.Fatalf("got %d %+v, want %d %s", r.status, r.err, status, code)
			}
			if status == 503 && r.header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if !headerFaulted(e) {
				return
			}
			// Not processed: a retry without the fault is answered afresh.
			r = verifyNoFault(t, e, req)
			if r.status != 200 {
				t.Errorf("retry: %d %+v", r.status, r.err)
			}
		}
	}
	latency := func(t *testing.T, e *env, req idechttp.VerifyRequest) {
		start := time.Now()
		r := e.verify(t, req, "")
		if d := time.Since(start); d < testLatency {
			t.Errorf("answered in %v, want at least %v", d, testLatency)
		}
		if r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
			t.Errorf("got %d %+v", r.status, r.err)
		}
	}
	malformed := func(t *testing.T, e *env, req idechttp.VerifyRequest) {
		resp, body, err := e.post(idechttp.PathVerify, req, map[string]string{idechttp.HeaderRequestID: req.RequestID})
		if err != nil {
			t.Fatal(err)
		}
		var v idechttp.VerifyResponse
		if resp.StatusCode != 200 || json.Unmarshal(body, &v) == nil {
			t.Fatalf("got %d %q, want 200 with a broken body", resp.StatusCode, body)
		}
		if !headerFaulted(e) {
			return
		}
		// The verification was done and recorded: the retry gets the
		// answer that was garbled, with the same IDEC request id.
		r := verifyNoFault(t, e, req)
		if r.status != 200 || !strings.Contains(string(body), r.ok.IDECRequestID) {
			t.Errorf("retry: %d %+v; garbled %q", r.status, r.ok, body)
		}
	}
	reset := func(t *testing.T, e *env, req idechttp.VerifyRequest) {
		_, _, err := e.post(idechttp.PathVerify, req, map[string]string{idechttp.HeaderRequestID: req.RequestID})
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Fatalf("got %v, want a transport error", err)
		}
		if !headerFaulted(e) {
			return
		}
		r := verifyNoFault(t, e, req)
		if r.status != 200 {
			t.Errorf("retry: %d %+v", r.status, r.err)
		}
	}
	timeout := func(t *testing.T, e *env, req idechttp.VerifyRequest) {
		hc := *e.hc
		hc.Timeout = testLatency
		e2 := *e
		e2.hc = &hc
		start := time.Now()
		_, _, err := e2.post(idechttp.PathVerify, req, map[string]string{idechttp.HeaderRequestID: req.RequestID})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("got %v, want a client timeout", err)
		}
		if d := time.Since(start); d < testLatency {
			t.Errorf("gave up after %v", d)
		}
	}
	cases := []struct {
		name   string
		faults idecemu.Faults
		header string
		check  func(*testing.T, *env, idechttp.VerifyRequest)
	}{
		{"status 503 by config", idecemu.Faults{Status: 503}, "", wantStatus(503, idechttp.CodeUnavailable)},
		{"status 500 by header", idecemu.Faults{}, "status=500", wantStatus(500, idechttp.CodeInternal)},
		{"status 429 by header", idecemu.Faults{}, "status=429", wantStatus(429, idechttp.CodeUnavailable)},
		{"status 400 by header", idecemu.Faults{}, "status=400", wantStatus(400, idechttp.CodeInvalidRequest)},
		{"latency by config", idecemu.Faults{Latency: testLatency}, "", latency},
		{"latency by header", idecemu.Faults{}, "latency=300ms", latency},
		{"latencies add up", idecemu.Faults{Latency: testLatency / 2}, "latency=150ms", latency},
		{"malformed by config", idecemu.Faults{Malformed: true}, "", malformed},
		{"malformed by header", idecemu.Faults{}, "malformed", malformed},
		{"reset by config", idecemu.Faults{Reset: true}, "", reset},
		{"reset by header", idecemu.Faults{}, " reset ", reset},
		{"timeout by config", idecemu.Faults{Timeout: true}, "", timeout},
		{"timeout by header", idecemu.Faults{}, "timeout", timeout},
		{"latency and status combined", idecemu.Faults{}, "latency=300ms;status=503", func(t *testing.T, e *env, req idechttp.VerifyRequest) {
			start := time.Now()
			wantStatus(503, idechttp.CodeUnavailable)(t, e, req)
			if d := time.Since(start); d < testLatency {
				t.Errorf("answered in %v", d)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, idecemu.Config{Faults: tc.faults})
			if err := e.emu.Enroll(context.Background(), obamaIIN, photo(t, "obama.jpg")); err != nil {
				t.Fatal(err)
			}
			if tc.header != "" {
				e.hc = withHeader(e.hc, idecemu.HeaderFault, tc.header)
			}
			tc.check(t, e, newRequest(obamaIIN, photo(t, "obama2.jpg")))
		})
	}
}

// headerFaulted reports whether e's client asks for faults by header (so a
// retry without them is possible).
func headerFaulted(e *env) bool {
	_, ok := e.hc.Transport.(*headerTransport)
	return ok
}

// verifyNoFault verifies through e's client without its fault header.
func verifyNoFault(t *testing.T, e *env, req idechttp.VerifyRequest) result {
	t.Helper()
	e2 := *e
	if h, ok := e.hc.Transport.(*headerTransport); ok {
		hc := *e.hc
		hc.Transport = h.base
		e2.hc = &hc
	}
	return e2.verify(t, req, "")
}

// headerTransport adds one header to every request.
type headerTransport struct {
	base       http.RoundTripper
	key, value string
}

func (h *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.key, h.value)
	return h.base.RoundTrip(r)
}

func withHeader(hc *http.Client, key, value string) *http.Client {
	c := *hc
	c.Transport = &headerTransport{base: hc.Transport, key: key, value: value}
	return &c
}

func TestFaultErrorRate(t *testing.T) {
	draws := []float64{0.1, 0.9, 0.49, 0.5}
	var mu sync.Mutex
	next := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		x := draws[0]
		draws = draws[1:]
		return x
	}
	e := newEnv(t, idecemu.Config{Faults: idecemu.Faults{ErrorRate: 0.5, Status: 502, Rand: next}})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	for i, want := range []int{502, 200, 502, 200} {
		r := e.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), "")
		if r.status != want {
			t.Errorf("draw %d: status %d, want %d", i, r.status, want)
		}
	}
	// Enrolment and health are never faulted.
	resp, err := e.hc.Get(e.srv.URL + idechttp.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health: %d", resp.StatusCode)
	}
}

func TestFaultHeaderInvalid(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	for _, h := range []string{"bogus", "status=200", "status=abc", "latency=-1s", "latency=1h", "timeout=1", "status"} {
		r := e.verify(t, newRequest(obamaIIN, []byte{0xFF, 0xD8, 0xFF}), h)
		if r.status != 400 || r.err.Code != idechttp.CodeInvalidRequest || !strings.Contains(r.err.Message, idecemu.HeaderFault) {
			t.Errorf("%q: %d %+v", h, r.status, r.err)
		}
	}
}

// TestCloseReleasesHeldRequests: a request held by the timeout fault ends
// when the server closes, and Close returns.
func TestCloseReleasesHeldRequests(t *testing.T) {
	e := newEnv(t, idecemu.Config{Faults: idecemu.Faults{Timeout: true}})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	errc := make(chan error, 1)
	go func() {
		req := newRequest(obamaIIN, photo(t, "obama2.jpg"))
		_, _, err := e.post(idechttp.PathVerify, req, map[string]string{idechttp.HeaderRequestID: req.RequestID})
		errc <- err
	}()
	time.Sleep(500 * time.Millisecond) // let it reach the hold
	closed := make(chan struct{})
	go func() { e.emu.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the held request got an answer")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held request was not released")
	}
}
