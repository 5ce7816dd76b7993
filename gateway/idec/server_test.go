package idec

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/iin"
)

// fakeIDEC is a test IDEC behind mutual TLS. It records the request id of
// every attempt that reached the handler and hands the attempt to a
// per-test behaviour.
type fakeIDEC struct {
	srv *httptest.Server
	// behave answers attempt n (1-based) of all attempts the server saw.
	behave func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int)

	mu          sync.Mutex
	headerIDs   []string
	bodyIDs     []string
	tlsErrors   bytes.Buffer // the server's error log: TLS handshake failures
	inFlight    int
	maxInFlight int
}

type pki struct {
	ca     *testCA
	server issued
	client issued
}

func newPKI(tb testing.TB) pki {
	ca := newTestCA(tb, "test IDEC CA")
	return pki{ca: ca, server: ca.issue(tb, "idec server", true), client: ca.issue(tb, "gateway", false)}
}

// startIDEC starts a fake IDEC presenting serverCert and accepting client
// certificates of clientCAs only. It is closed when the test ends.
func startIDEC(tb testing.TB, serverCert tls.Certificate, clientCAs *testCA,
	behave func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int)) *fakeIDEC {
	tb.Helper()
	f := &fakeIDEC{behave: behave}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serveHTTP))
	f.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    clientCAs.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	f.srv.Config.ErrorLog = log.New(lockedWriter{&f.mu, &f.tlsErrors}, "", 0)
	f.srv.StartTLS()
	tb.Cleanup(f.srv.Close)
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *fakeIDEC) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != PathVerify || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var req VerifyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidRequest)
		return
	}
	f.mu.Lock()
	f.headerIDs = append(f.headerIDs, r.Header.Get(HeaderRequestID))
	f.bodyIDs = append(f.bodyIDs, req.RequestID)
	n := len(f.headerIDs)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	f.behave(w, r, req, n)
}

// hits returns how many attempts reached the handler.
func (f *fakeIDEC) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.headerIDs)
}

// ids returns the header and body request ids of every attempt.
func (f *fakeIDEC) ids() (header, body []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.headerIDs...), append([]string(nil), f.bodyIDs...)
}

func (f *fakeIDEC) errorLog() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tlsErrors.String()
}

// answer writes a valid VerifyResponse to req.
func answer(w http.ResponseWriter, req VerifyRequest, decision string, similarity float64) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderRequestID, req.RequestID)
	_ = json.NewEncoder(w).Encode(VerifyResponse{
		RequestID:       req.RequestID,
		IDECRequestID:   "idec-" + req.RequestID[:8],
		Similarity:      similarity,
		Decision:        decision,
		ReferenceSource: "identity_document_registry",
		Time:            time.Date(2026, 7, 12, 10, 0, 0, 0, time.UTC),
	})
}

func match(w http.ResponseWriter, _ *http.Request, req VerifyRequest, _ int) {
	answer(w, req, DecisionMatch, 0.97)
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorResponse{Code: code, Message: "test " + code, IDECRequestID: "idec-err"})
}

// waitOrDone blocks for d or until the client went away.
func waitOrDone(r *http.Request, d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

// testRequest is a valid Request. Its photo only has to look like a JPEG.
func testRequest(tb testing.TB) Request {
	tb.Helper()
	n, err := iin.Parse("790303402568")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := iin.ParseBIN("971240001315")
	if err != nil {
		tb.Fatal(err)
	}
	photo := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("face"), 4096)...)
	return Request{
		IIN:        n,
		BIN:        b,
		ConsentRef: "consent-2026-000042",
		Photo:      photo,
		Capture: CaptureMeta{
			Time:     time.Date(2026, 7, 12, 9, 59, 58, 0, time.UTC),
			Quality:  81,
			Liveness: "live",
			DeviceID: "kiosk-7/cam-usb-1.2",
		},
	}
}

// newTestClient returns a client of f's server with fast backoff; edit
// adjusts its Config. The client is closed when the test ends.
func newTestClient(tb testing.TB, url string, p pki, edit func(*Config)) *Client {
	tb.Helper()
	cfg := Config{
		URL:         url,
		TLS:         TLS{CA: p.ca.pool, Certificate: p.client.tls},
		Timeout:     5 * time.Second,
		BackoffBase: time.Millisecond,
		BackoffMax:  5 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// verify calls c.Verify with a test deadline.
func verify(tb testing.TB, c *Client) (Result, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Verify(ctx, testRequest(tb))
}
