package idechttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biogate/biogate/gateway/idec"
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
	tlsErrors   bytes.Buffer  // the server's error log: TLS handshake failures
	logged      chan struct{} // signalled after each write to tlsErrors
	inFlight    int
	maxInFlight int
	// fingers are the samples of the requests to PathVerifyFinger.
	fingers []FingerSample
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
	f := &fakeIDEC{behave: behave, logged: make(chan struct{}, 1)}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serveHTTP))
	f.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    clientCAs.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	f.srv.Config.ErrorLog = log.New(lockedWriter{&f.mu, &f.tlsErrors, f.logged}, "", 0)
	f.srv.StartTLS()
	tb.Cleanup(f.srv.Close)
	return f
}

type lockedWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	signal chan struct{} // capacity 1: "something was written"
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		select {
		case l.signal <- struct{}{}:
		default:
		}
	}()
	return l.w.Write(p)
}

func (f *fakeIDEC) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != PathVerify && r.URL.Path != PathVerifyFinger || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var req VerifyRequest
	if r.URL.Path == PathVerifyFinger {
		// A finger request reaches behave as a VerifyRequest without a
		// photo; its sample is kept in fingers.
		var fr FingerVerifyRequest
		if err := json.NewDecoder(r.Body).Decode(&fr); err != nil {
			writeError(w, http.StatusBadRequest, CodeInvalidRequest)
			return
		}
		req = VerifyRequest{RequestID: fr.RequestID, IIN: fr.IIN, BIN: fr.BIN, ConsentRef: fr.ConsentRef, Capture: fr.Capture}
		f.mu.Lock()
		f.fingers = append(f.fingers, fr.Finger)
		f.mu.Unlock()
	} else if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
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

// waitLog waits until the server's error log holds s, or for at most d
// (the server writes it from its own goroutine); it reports whether it
// does.
func (f *fakeIDEC) waitLog(s string, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for !strings.Contains(f.errorLog(), s) {
		select {
		case <-f.logged:
		case <-t.C:
			return strings.Contains(f.errorLog(), s)
		}
	}
	return true
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
func testRequest(tb testing.TB) idec.Request {
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
	return idec.Request{
		IIN:        n,
		BIN:        b,
		ConsentRef: "consent-2026-000042",
		Photo:      photo,
		Capture: idec.CaptureMeta{
			Time:     time.Date(2026, 7, 12, 9, 59, 58, 0, time.UTC),
			Quality:  81,
			Liveness: "live",
			DeviceID: "kiosk-7/cam-usb-1.2",
		},
	}
}

// newTestClient returns a client of f's server with fast backoff; edit
// adjusts its Config. The client is closed when the test ends.
func newTestClient(tb testing.TB, url string, p pki, edit func(*Config)) *idec.Client {
	tb.Helper()
	cfg := Config{
		URL: url,
		TLS: TLS{CA: p.ca.pool, Certificate: p.client.tls},
		Config: idec.Config{
			Timeout:     5 * time.Second,
			BackoffBase: time.Millisecond,
			BackoffMax:  5 * time.Millisecond,
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	var reg *prometheus.Registry
	if cfg.Registerer == nil {
		reg = prometheus.NewRegistry()
		cfg.Registerer = reg
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if reg != nil {
		registries.Store(c, reg)
	}
	tb.Cleanup(c.Close)
	return c
}

// verify calls c.Verify with a test deadline.
func verify(tb testing.TB, c *idec.Client) (idec.Result, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Verify(ctx, testRequest(tb))
}

// newRequestID returns a random (version 4) UUID, as the client makes
// them: for requests the tests send by hand.
func newRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// registries holds the registry newTestClient gave each client that came
// without one, by *idec.Client: where the tests read its metrics.
var registries sync.Map

// metricValue returns the value of the client's metric name, a counter or
// gauge, with the label pairs given; 0 if it has none.
func metricValue(tb testing.TB, c *idec.Client, name string, labels ...string) float64 {
	tb.Helper()
	reg, ok := registries.Load(c)
	if !ok {
		tb.Fatal("metricValue: the client has no test registry")
	}
	mfs, err := reg.(*prometheus.Registry).Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}
