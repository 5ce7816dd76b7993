package idechttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// asError returns err as *Error or fails the test.
func asError(tb testing.TB, err error) *idec.Error {
	tb.Helper()
	var e *idec.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

// outcomes returns the requests_total count of outcome.
func outcomeCount(tb testing.TB, c *idec.Client, outcome string) float64 {
	tb.Helper()
	return metricValue(tb, c, "biogate_idec_requests_total", "outcome", outcome)
}

func TestVerifyDecision(t *testing.T) {
	p := newPKI(t)
	for _, tt := range []struct {
		decision   string
		similarity float64
		match      bool
	}{
		{DecisionMatch, 0.97, true},
		{DecisionNoMatch, 0.31, false},
	} {
		t.Run(tt.decision, func(t *testing.T) {
			var got VerifyRequest
			f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
				got = req
				answer(w, req, tt.decision, tt.similarity)
			})
			c := newTestClient(t, f.srv.URL, p, nil)
			res, err := verify(t, c)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Match != tt.match || res.Decision != tt.decision || res.Similarity != tt.similarity {
				t.Errorf("result = %+v", res)
			}
			if !uuidV4.MatchString(res.RequestID) {
				t.Errorf("RequestID %q is not a UUIDv4", res.RequestID)
			}
			header, body := f.ids()
			if len(header) != 1 || header[0] != res.RequestID || body[0] != res.RequestID {
				t.Errorf("server saw header ids %v, body ids %v; result id %s", header, body, res.RequestID)
			}
			if res.IDECRequestID == "" || res.ReferenceSource != "identity_document_registry" || res.Time.IsZero() {
				t.Errorf("result = %+v", res)
			}
			want := testRequest(t)
			if got.IIN != want.IIN.String() || got.BIN != want.BIN.String() || got.ConsentRef != want.ConsentRef ||
				string(got.Photo) != string(want.Photo) || !got.Capture.Time.Equal(want.Capture.Time) ||
				got.Capture.Quality != want.Capture.Quality || got.Capture.DeviceID != want.Capture.DeviceID {
				t.Errorf("server got a different request")
			}
			if outcomeCount(t, c, tt.decision) != 1 {
				t.Errorf("requests_total{outcome=%q} = %v, want 1", tt.decision, outcomeCount(t, c, tt.decision))
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if !uuidV4.MatchString(id) || seen[id] {
			t.Fatalf("request id %q: malformed or repeated", id)
		}
		seen[id] = true
	}
}

func TestRetry503KeepsRequestID(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if n < 3 {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
			return
		}
		match(w, r, req, n)
	})
	c := newTestClient(t, f.srv.URL, p, nil)
	res, err := verify(t, c)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	header, body := f.ids()
	if len(header) != 3 {
		t.Fatalf("server saw %d attempts, want 3", len(header))
	}
	for i := range header {
		if header[i] != res.RequestID || body[i] != res.RequestID {
			t.Errorf("attempt %d: header id %s, body id %s, want %s", i+1, header[i], body[i], res.RequestID)
		}
	}
	if got := metricValue(t, c, "biogate_idec_retries_total"); got != 2 {
		t.Errorf("retries_total = %v, want 2", got)
	}
}

func TestRetryableStatusesExhausted(t *testing.T) {
	p := newPKI(t)
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
				http.Error(w, "proxy says no", status) // not an ErrorResponse: a proxy's page
			})
			c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.MaxRetries = 3 })
			_, err := verify(t, c)
			if !errors.Is(err, idec.ErrUnavailable) {
				t.Fatalf("error = %v, want ErrUnavailable", err)
			}
			e := asError(t, err)
			if e.Status != status || e.Attempts != 4 || f.hits() != 4 {
				t.Errorf("status %d, attempts %d, server hits %d; want %d, 4, 4", e.Status, e.Attempts, f.hits(), status)
			}
			if outcomeCount(t, c, idec.OutcomeUnavailable) != 1 {
				t.Errorf("requests_total{outcome=unavailable} = %v", outcomeCount(t, c, idec.OutcomeUnavailable))
			}
		})
	}
}

// TestAnswersNotRetried covers every error answer that must not be retried
// and how it is classified.
func TestAnswersNotRetried(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name    string
		status  int
		code    string // "" writes a body that is not an ErrorResponse
		want    error
		outcome string
	}{
		{"invalid request", http.StatusBadRequest, CodeInvalidRequest, idec.ErrInvalidRequest, idec.OutcomeInvalidRequest},
		{"unknown IIN", http.StatusNotFound, CodeUnknownIIN, idec.ErrUnknownIIN, idec.OutcomeUnknownIIN},
		{"no reference photo", http.StatusConflict, CodeNoReferencePhoto, idec.ErrNoReferencePhoto, idec.OutcomeNoReferencePhoto},
		{"request id reused", http.StatusConflict, CodeConflict, idec.ErrInvalidRequest, idec.OutcomeInvalidRequest},
		{"no face", http.StatusUnprocessableEntity, CodeNoFace, idec.ErrNoFace, idec.OutcomeNoFace},
		{"internal", http.StatusInternalServerError, CodeInternal, idec.ErrUnavailable, idec.OutcomeUnavailable},
		{"too many requests", http.StatusTooManyRequests, "", idec.ErrUnavailable, idec.OutcomeUnavailable},
		{"400 without body", http.StatusBadRequest, "", idec.ErrInvalidRequest, idec.OutcomeInvalidRequest},
		{"unauthorized", http.StatusUnauthorized, "", idec.ErrBadResponse, idec.OutcomeBadResponse},
		{"redirect", http.StatusTemporaryRedirect, "", idec.ErrBadResponse, idec.OutcomeBadResponse},
		{"no content", http.StatusNoContent, "", idec.ErrBadResponse, idec.OutcomeBadResponse},
		{"unknown code", http.StatusTeapot, "brewing", idec.ErrBadResponse, idec.OutcomeBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
				if tt.status == http.StatusTemporaryRedirect {
					w.Header().Set("Location", "/elsewhere")
				}
				if tt.code == "" {
					w.WriteHeader(tt.status)
					return
				}
				writeError(w, tt.status, tt.code)
			})
			c := newTestClient(t, f.srv.URL, p, nil)
			_, err := verify(t, c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			e := asError(t, err)
			if f.hits() != 1 || e.Attempts != 1 {
				t.Errorf("server hits %d, attempts %d; want 1 (no retry)", f.hits(), e.Attempts)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("status %d code %q, want %d %q", e.Status, e.Code, tt.status, tt.code)
			}
			if tt.code != "" && e.IDECRequestID != "idec-err" {
				t.Errorf("IDECRequestID = %q", e.IDECRequestID)
			}
			if outcomeCount(t, c, tt.outcome) != 1 {
				t.Errorf("requests_total{outcome=%q} = %v, want 1", tt.outcome, outcomeCount(t, c, tt.outcome))
			}
			if got := metricValue(t, c, "biogate_idec_retries_total"); got != 0 {
				t.Errorf("retries_total = %v", got)
			}
		})
	}
}

func TestBadResponse(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name string
		body func(req VerifyRequest) string
	}{
		{"not JSON", func(VerifyRequest) string { return "<html>ok</html>" }},
		{"truncated JSON", func(req VerifyRequest) string { return `{"request_id":"` + req.RequestID }},
		{"trailing garbage", func(req VerifyRequest) string { return validBody(req, "match", "0.9") + "}" }},
		{"other request id", func(VerifyRequest) string {
			return validBody(VerifyRequest{RequestID: newRequestID()}, "match", "0.9")
		}},
		{"unknown decision", func(req VerifyRequest) string { return validBody(req, "maybe", "0.9") }},
		{"similarity above 1", func(req VerifyRequest) string { return validBody(req, "match", "95") }},
		{"similarity negative", func(req VerifyRequest) string { return validBody(req, "no_match", "-0.1") }},
		{"similarity a string", func(req VerifyRequest) string { return validBody(req, "match", `"0.9"`) }},
		{"missing idec id", func(req VerifyRequest) string {
			return strings.Replace(validBody(req, "match", "0.9"), `"idec_request_id":"idec-1"`, `"idec_request_id":""`, 1)
		}},
		{"missing time", func(req VerifyRequest) string {
			return strings.Replace(validBody(req, "match", "0.9"), `,"time":"2026-07-12T10:00:00Z"`, "", 1)
		}},
		{"too long", func(req VerifyRequest) string {
			return strings.Replace(validBody(req, "match", "0.9"), `"reference_source":"`, `"reference_source":"`+strings.Repeat("x", maxBody), 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body(req)))
			})
			c := newTestClient(t, f.srv.URL, p, nil)
			_, err := verify(t, c)
			if !errors.Is(err, idec.ErrBadResponse) {
				t.Fatalf("error = %v, want ErrBadResponse", err)
			}
			if e := asError(t, err); e.Status != http.StatusOK || f.hits() != 1 {
				t.Errorf("status %d, hits %d", e.Status, f.hits())
			}
			if outcomeCount(t, c, idec.OutcomeBadResponse) != 1 {
				t.Errorf("requests_total{outcome=bad_response} = %v", outcomeCount(t, c, idec.OutcomeBadResponse))
			}
		})
	}
	// The valid body the cases start from is accepted.
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
		_, _ = w.Write([]byte(validBody(req, "match", "0.9")))
	})
	if _, err := verify(t, newTestClient(t, f.srv.URL, p, nil)); err != nil {
		t.Fatalf("valid body: %v", err)
	}
}

func validBody(req VerifyRequest, decision, similarity string) string {
	return `{"request_id":"` + req.RequestID + `","idec_request_id":"idec-1","similarity":` + similarity +
		`,"decision":"` + decision + `","reference_source":"identity_document_registry","time":"2026-07-12T10:00:00Z"}`
}

func TestDeadlineHoldsUnderLatency(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		waitOrDone(r, 10*time.Second)
		match(w, r, req, n)
	})
	const timeout = 300 * time.Millisecond
	t.Run("Config.Timeout", func(t *testing.T) {
		c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Timeout = timeout })
		start := time.Now()
		_, err := verify(t, c)
		elapsed := time.Since(start)
		if !errors.Is(err, idec.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v, want idec.ErrTimeout and context.DeadlineExceeded", err)
		}
		if elapsed > 3*timeout {
			t.Errorf("Verify returned after %v, want about %v", elapsed, timeout)
		}
		if outcomeCount(t, c, idec.OutcomeTimeout) != 1 {
			t.Errorf("requests_total{outcome=timeout} = %v", outcomeCount(t, c, idec.OutcomeTimeout))
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Timeout = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		_, err := c.Verify(ctx, testRequest(t))
		if !errors.Is(err, idec.ErrTimeout) {
			t.Fatalf("error = %v, want ErrTimeout", err)
		}
		if elapsed := time.Since(start); elapsed > 3*timeout {
			t.Errorf("Verify returned after %v, want about %v", elapsed, timeout)
		}
	})
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if n == 1 {
			waitOrDone(r, 10*time.Second)
			return
		}
		match(w, r, req, n)
	})
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.AttemptTimeout = 100 * time.Millisecond })
	res, err := verify(t, c)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	header, _ := f.ids()
	if len(header) != 2 || header[0] != res.RequestID || header[1] != res.RequestID {
		t.Errorf("attempt ids %v, want 2 × %s", header, res.RequestID)
	}
}

func TestConnectionResetIsRetried(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if n == 1 {
			hijackClose(t, w)
			return
		}
		match(w, r, req, n)
	})
	c := newTestClient(t, f.srv.URL, p, nil)
	res, err := verify(t, c)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	header, body := f.ids()
	if len(header) != 2 || header[1] != res.RequestID || body[0] != res.RequestID {
		t.Errorf("attempt ids %v / %v, want 2 × %s", header, body, res.RequestID)
	}
}

// TestResetWhileReadingIsNotRetried: once response bytes were read, the
// decision may have been taken; the client does not try again.
func TestResetWhileReadingIsNotRetried(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"request_id\":\"" + req.RequestID)
		_ = buf.Flush()
		_ = conn.Close()
	})
	c := newTestClient(t, f.srv.URL, p, nil)
	_, err := verify(t, c)
	if !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("error = %v, want ErrUnavailable", err)
	}
	if e := asError(t, err); f.hits() != 1 || e.Status != http.StatusOK {
		t.Errorf("server hits %d, status %d; want 1, 200", f.hits(), e.Status)
	}
}

func hijackClose(tb testing.TB, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		tb.Error(err)
		return
	}
	_ = conn.Close()
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, match)
	url := f.srv.URL
	f.srv.Close()
	c := newTestClient(t, url, p, nil)
	_, err := verify(t, c)
	if !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("error = %v, want ErrUnavailable", err)
	}
	if e := asError(t, err); e.Attempts != 3 || e.Status != 0 {
		t.Errorf("attempts %d, status %d; want 3, 0", e.Attempts, e.Status)
	}
	if got := metricValue(t, c, "biogate_idec_retries_total"); got != 2 {
		t.Errorf("retries_total = %v, want 2", got)
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	other := newTestCA(t, "another CA")

	t.Run("client certificate from another CA", func(t *testing.T) {
		f := startIDEC(t, p.server.tls, p.ca, match)
		stranger := p
		stranger.client = other.issue(t, "stranger", false)
		c := newTestClient(t, f.srv.URL, stranger, nil)
		_, err := verify(t, c)
		if !errors.Is(err, idec.ErrUnavailable) {
			t.Fatalf("error = %v, want ErrUnavailable", err)
		}
		// With TLS 1.3 the server rejects the certificate after the
		// client's side of the handshake finished: the client sees the
		// alert or, racing with the close, a reset, which it retries. So
		// the number of attempts is not asserted here.
		if f.hits() != 0 {
			t.Errorf("the handler ran %d times", f.hits())
		}
		// The server logs the failed handshake in its own goroutine.
		if !f.waitLog("TLS handshake error", 5*time.Second) {
			t.Errorf("server log %q does not show a rejected handshake", f.errorLog())
		}
	})
	t.Run("server certificate from another CA", func(t *testing.T) {
		f := startIDEC(t, other.issue(t, "impostor", true).tls, p.ca, match)
		c := newTestClient(t, f.srv.URL, p, nil)
		_, err := verify(t, c)
		if !errors.Is(err, idec.ErrUnavailable) {
			t.Fatalf("error = %v, want ErrUnavailable", err)
		}
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) {
			t.Errorf("error %v is not a certificate verification error", err)
		}
		if e := asError(t, err); e.Attempts != 1 || f.hits() != 0 {
			t.Errorf("attempts %d, hits %d; want 1, 0", e.Attempts, f.hits())
		}
	})
	t.Run("server name not in certificate", func(t *testing.T) {
		f := startIDEC(t, p.server.tls, p.ca, match)
		c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.TLS.ServerName = "idec.example.kz" })
		if _, err := verify(t, c); !errors.Is(err, idec.ErrUnavailable) {
			t.Fatalf("error = %v, want ErrUnavailable", err)
		}
	})
	t.Run("TLS 1.1 server", func(t *testing.T) {
		f := startIDEC(t, p.server.tls, p.ca, match)
		f.srv.TLS.MaxVersion = tls.VersionTLS11 // read per handshake
		f.srv.TLS.MinVersion = tls.VersionTLS10
		c := newTestClient(t, f.srv.URL, p, nil)
		if _, err := verify(t, c); !errors.Is(err, idec.ErrUnavailable) || f.hits() != 0 {
			t.Fatalf("error = %v, hits %d; want idec.ErrUnavailable, 0", err, f.hits())
		}
	})
}

func TestInFlightCap(t *testing.T) {
	p := newPKI(t)
	arrived := make(chan struct{}, 10)
	release := make(chan struct{})
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		match(w, r, req, n)
	})
	const limit = 2
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.MaxInFlight = limit })

	errs := make(chan error, limit+1)
	for range limit + 1 {
		go func() {
			_, err := verify(t, c)
			errs <- err
		}()
	}
	for range limit {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the first requests did not arrive")
		}
	}
	select {
	case <-arrived:
		t.Fatalf("request %d reached the server while %d were in flight", limit+1, limit)
	case <-time.After(200 * time.Millisecond):
	}

	t.Run("a waiting call respects its deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Verify(ctx, testRequest(t))
		if !errors.Is(err, idec.ErrTimeout) {
			t.Fatalf("error = %v, want ErrTimeout", err)
		}
		if e := asError(t, err); e.Status != 0 || e.Attempts != 0 {
			t.Errorf("status %d, attempts %d; want 0, 0", e.Status, e.Attempts)
		}
	})

	close(release)
	for range limit + 1 {
		if err := <-errs; err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.maxInFlight != limit || len(f.headerIDs) != limit+1 {
		t.Errorf("server saw at most %d in flight and %d attempts; want %d and %d", f.maxInFlight, len(f.headerIDs), limit, limit+1)
	}
}

func TestCanceledByCaller(t *testing.T) {
	p := newPKI(t)
	arrived := make(chan struct{}, 1)
	f := startIDEC(t, p.server.tls, p.ca, func(_ http.ResponseWriter, r *http.Request, _ VerifyRequest, _ int) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Breaker.FailureThreshold = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := c.Verify(ctx, testRequest(t))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	for _, s := range []error{idec.ErrTimeout, idec.ErrUnavailable, idec.ErrBadResponse} {
		if errors.Is(err, s) {
			t.Errorf("a cancelation also matches %v", s)
		}
	}
	if f.hits() != 1 || outcomeCount(t, c, idec.OutcomeCanceled) != 1 {
		t.Errorf("hits %d, canceled count %v", f.hits(), outcomeCount(t, c, idec.OutcomeCanceled))
	}
	if s := c.BreakerState(); s != idec.BreakerClosed {
		t.Errorf("a cancelation moved the breaker to %v", s)
	}
}

// testFingerRequest is testRequest with a fingerprint instead of a photo:
// a minutiae record's header and some bytes (the client does not parse
// records; IDEC does).
func testFingerRequest(tb testing.TB) idec.Request {
	req := testRequest(tb)
	req.Photo = nil
	req.Capture.Liveness = ""
	req.Finger = &idec.Finger{Position: 7, Format: idec.FormatFingerMinutiae, Record: append([]byte("FMR\x00 20\x00"), bytes.Repeat([]byte{1}, 300)...)}
	return req
}

func TestVerifyFinger(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
		answer(w, req, DecisionMatch, 0.9)
	})
	c := newTestClient(t, f.srv.URL, p, nil)
	want := testFingerRequest(t)
	res, err := c.Verify(context.Background(), want)
	if err != nil || !res.Match {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	f.mu.Lock()
	got := f.fingers
	f.mu.Unlock()
	if len(got) != 1 || got[0].Position != 7 || got[0].Format != "iso19794-2" || !bytes.Equal(got[0].Record, want.Finger.Record) {
		t.Fatalf("the server's finger path got %d samples, first %+v", len(got), got)
	}
	if outcomeCount(t, c, idec.OutcomeMatch) != 1 {
		t.Error("the finger verification was not counted")
	}
}

func TestFingerCodes(t *testing.T) {
	p := newPKI(t)
	for code, want := range map[string]error{CodeNoFinger: idec.ErrNoFinger, CodeNoReferenceFinger: idec.ErrNoReferenceFinger} {
		status := map[string]int{CodeNoFinger: http.StatusUnprocessableEntity, CodeNoReferenceFinger: http.StatusConflict}[code]
		f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
			writeError(w, status, code)
		})
		c := newTestClient(t, f.srv.URL, p, nil)
		_, err := c.Verify(context.Background(), testFingerRequest(t))
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", code, err, want)
		}
		if f.hits() != 1 {
			t.Errorf("%s: %d attempts, want 1 (not retried)", code, f.hits())
		}
	}
}

func TestInvalidFingerRequestIsNotSent(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, match)
	c := newTestClient(t, f.srv.URL, p, nil)
	for name, edit := range map[string]func(*idec.Request){
		"position 0":        func(r *idec.Request) { r.Finger.Position = 0 },
		"position 11":       func(r *idec.Request) { r.Finger.Position = 11 },
		"unknown format":    func(r *idec.Request) { r.Finger.Format = "wsq" },
		"image record as 2": func(r *idec.Request) { r.Finger.Record = []byte("FIR\x00 10\x00") },
		"minutiae as 4":     func(r *idec.Request) { r.Finger.Format = idec.FormatFingerImage },
		"empty record":      func(r *idec.Request) { r.Finger.Record = nil },
		"record too long": func(r *idec.Request) {
			r.Finger.Record = append(r.Finger.Record, make([]byte, idec.MaxFingerRecord)...)
		},
		"photo and finger":   func(r *idec.Request) { r.Photo = testRequest(t).Photo },
		"finger, quality -1": func(r *idec.Request) { r.Capture.Quality = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			req := testFingerRequest(t)
			edit(&req)
			_, err := c.Verify(context.Background(), req)
			if !errors.Is(err, idec.ErrInvalidRequest) {
				t.Fatalf("error = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if f.hits() != 0 {
		t.Errorf("invalid requests reached the server %d times", f.hits())
	}
}

func TestInvalidRequestIsNotSent(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, match)
	c := newTestClient(t, f.srv.URL, p, nil)
	for name, edit := range map[string]func(*idec.Request){
		"zero IIN":        func(r *idec.Request) { r.IIN = iin.IIN{} },
		"zero BIN":        func(r *idec.Request) { r.BIN = iin.BIN{} },
		"no consent":      func(r *idec.Request) { r.ConsentRef = "" },
		"long consent":    func(r *idec.Request) { r.ConsentRef = strings.Repeat("c", idec.MaxConsentRef+1) },
		"no photo":        func(r *idec.Request) { r.Photo = nil },
		"PNG photo":       func(r *idec.Request) { r.Photo = []byte("\x89PNG\r\n\x1a\n") },
		"quality 101":     func(r *idec.Request) { r.Capture.Quality = 101 },
		"quality NaN":     func(r *idec.Request) { r.Capture.Quality = math.NaN() },
		"quality below 0": func(r *idec.Request) { r.Capture.Quality = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			req := testRequest(t)
			edit(&req)
			_, err := c.Verify(context.Background(), req)
			if !errors.Is(err, idec.ErrInvalidRequest) {
				t.Fatalf("error = %v, want ErrInvalidRequest", err)
			}
			if e := asError(t, err); e.Attempts != 0 || e.RequestID == "" {
				t.Errorf("attempts %d, request id %q", e.Attempts, e.RequestID)
			}
		})
	}
	if f.hits() != 0 {
		t.Errorf("invalid requests reached the server %d times", f.hits())
	}
}

// allOutcomes are the values of the outcome label.
var allOutcomes = []string{
	idec.OutcomeMatch, idec.OutcomeNoMatch, idec.OutcomeInvalidRequest, idec.OutcomeNoFace,
	idec.OutcomeUnknownIIN, idec.OutcomeNoReferencePhoto, idec.OutcomeNoFinger, idec.OutcomeNoReferenceFinger, idec.OutcomeUnavailable,
	idec.OutcomeTimeout, idec.OutcomeBadResponse, idec.OutcomeBreakerOpen, idec.OutcomeCanceled,
}

func TestNewRegistersMetrics(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, match)
	reg := prometheus.NewPedanticRegistry()
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Registerer = reg })
	if _, err := verify(t, c); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{
		"biogate_idec_requests_total":           len(allOutcomes), // every outcome, from the start
		"biogate_idec_request_duration_seconds": 1,
		"biogate_idec_breaker_state":            1,
		"biogate_idec_retries_total":            1,
	} {
		if got, err := testutil.GatherAndCount(reg, name); err != nil || got != want {
			t.Errorf("%s: %d series (err %v), want %d", name, got, err, want)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP biogate_idec_breaker_state IDEC circuit breaker: 0 closed, 1 half-open, 2 open.
# TYPE biogate_idec_breaker_state gauge
biogate_idec_breaker_state 0
`), "biogate_idec_breaker_state"); err != nil {
		t.Error(err)
	}
	// A second client on the same registerer is a configuration error.
	_, err := New(Config{URL: f.srv.URL, TLS: TLS{CA: p.ca.pool, Certificate: p.client.tls}, Config: idec.Config{Registerer: reg}})
	if err == nil {
		t.Error("New registered the same metrics twice")
	}
}
