package idechttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

// BenchmarkVerifyOverhead compares Verify with a bare http.Client POST of
// the same body to the same local mutual-TLS server, both over kept-alive
// connections. The difference is the client's own cost: request id,
// JSON encoding of the photo, response decoding and checks, breaker,
// semaphore, metrics and logging.
func BenchmarkVerifyOverhead(b *testing.B) {
	p := newPKI(b)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"request_id":"`+r.Header.Get(HeaderRequestID)+
			`","idec_request_id":"idec-1","similarity":0.97,"decision":"match",`+
			`"reference_source":"identity_document_registry","time":"2026-07-12T10:00:00Z"}`)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{p.server.tls},
		ClientCAs:    p.ca.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	srv.StartTLS()
	defer srv.Close()

	req := testRequest(b)
	ctx := context.Background()
	body, err := json.Marshal(VerifyRequest{
		RequestID: newRequestID(), IIN: req.IIN.String(), BIN: req.BIN.String(),
		ConsentRef: req.ConsentRef, Photo: req.Photo, Capture: wireCapture(req.Capture),
	})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("bare", func(b *testing.B) {
		id := newRequestID()
		tr := &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: p.ca.pool, Certificates: []tls.Certificate{p.client.tls}, MinVersion: tls.VersionTLS12,
		}}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+PathVerify, bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			hreq.Header.Set("Content-Type", "application/json")
			hreq.Header.Set(HeaderRequestID, id)
			resp, err := hc.Do(hreq)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
		}
	})

	b.Run("client", func(b *testing.B) {
		c, err := New(Config{
			URL:    srv.URL,
			TLS:    TLS{CA: p.ca.pool, Certificate: p.client.tls},
			Config: idec.Config{Timeout: 10 * time.Second},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := c.Verify(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
