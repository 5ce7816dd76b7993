package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// fakeIDEC answers the assumed IDEC contract (idechttp/openapi.json) over
// mutual TLS: a match for validIIN, unknown_iin (404) for any other.
type fakeIDEC struct {
	mu   sync.Mutex
	reqs []idechttp.VerifyRequest
}

func (f *fakeIDEC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != idechttp.PathVerify || r.Method != http.MethodPost || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, "no", http.StatusBadRequest)
		return
	}
	var req idechttp.VerifyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if req.IIN != validIIN {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(idechttp.ErrorResponse{Code: idechttp.CodeUnknownIIN, Message: "unknown", IDECRequestID: "IDEC-404"})
		return
	}
	json.NewEncoder(w).Encode(idechttp.VerifyResponse{RequestID: req.RequestID, IDECRequestID: "IDEC-20260302-000123",
		Similarity: 0.93, Decision: idechttp.DecisionMatch, ReferenceSource: "test", Time: time.Now().UTC()})
}

// clientCert makes a self-signed client certificate for mutual TLS.
func clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "biogated-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestRealIDECClient runs relay sessions through a real *idec.Client
// against an httptest IDEC, so the request the gateway builds passes the
// client's checks and the contract.
func TestRealIDECClient(t *testing.T) {
	fake := &fakeIDEC{}
	its := httptest.NewUnstartedServer(fake)
	its.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	its.StartTLS()
	t.Cleanup(its.Close)
	ca := x509.NewCertPool()
	ca.AddCert(its.Certificate())
	client, err := idechttp.New(idechttp.Config{URL: its.URL, Config: idec.Config{Timeout: 5 * time.Second},
		TLS: idechttp.TLS{CA: ca, Certificate: clientCert(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)

	h := newHarness(t, &testPipeline{Frames: 2, Verdict: VerdictLive}, nil)
	h.srv.verifier = client // the harness's Server, with the real client

	c := h.dial(keyAll)
	c.relaySession(validIIN, 2)
	r := c.wantResult()
	if r.Decision != protocol.DecisionMatch || r.Similarity == nil || *r.Similarity != 0.93 || r.IDECRequestID != "IDEC-20260302-000123" {
		t.Errorf("result %+v", r)
	}
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseNormal)

	c = h.dial(keyAll)
	c.relaySession(otherIIN, 2)
	if r := c.wantResult(); r.Decision != protocol.DecisionError || strings.Join(r.Reasons, ",") != "unknown_iin" {
		t.Errorf("unknown IIN: result %+v", r)
	}

	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.reqs) != 2 {
		t.Fatalf("%d IDEC requests", len(fake.reqs))
	}
	req := fake.reqs[0]
	bin, _ := iin.ParseBIN(testBIN)
	if !bytes.Equal(req.Photo, testJPEG) || req.BIN != bin.String() || req.Capture.Liveness != "live" ||
		req.Capture.Quality != 81.5 || req.Capture.Time.IsZero() || !strings.HasPrefix(req.ConsentRef, "mfo-consent-biometrics-v3:") {
		t.Errorf("IDEC got consent %q capture %+v, %d photo bytes", req.ConsentRef, req.Capture, len(req.Photo))
	}
}
