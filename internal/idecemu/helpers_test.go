package idecemu_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
)

// Valid IINs and a valid BIN (check digits per DOMAIN.md).
const (
	obamaIIN = "790303402568"
	bidenIIN = "061211600012"
	alexIIN  = "760228300017"
	otherIIN = "850101300124" // never enrolled
	bankBIN  = "971240001315"
)

// certs are written once per test binary: key generation is cheap, but
// every test sharing one CA keeps the mTLS tests honest about "another CA".
var (
	certsOnce sync.Once
	certsDir  string
	certsErr  error
)

func devCerts(t testing.TB) string {
	t.Helper()
	certsOnce.Do(func() {
		certsDir, certsErr = os.MkdirTemp("", "idec-emulator-certs-")
		if certsErr == nil {
			certsErr = idecemu.WriteDevCerts(certsDir)
		}
	})
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certsDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if certsDir != "" {
		os.RemoveAll(certsDir)
	}
	os.Exit(code)
}

// photo reads a photo of shared/data/faces.
func photo(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fingerprintJPEG is a real image with no face: an FVC2002 fingerprint
// re-encoded as JPEG.
func fingerprintJPEG(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return encodeJPEG(t, img)
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngJPEG re-encodes a PNG photo of shared/data/faces as JPEG (probes must
// be JPEG).
func pngJPEG(t testing.TB, name string) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(photo(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return encodeJPEG(t, img)
}

// env is an emulator behind a real mutual-TLS server.
type env struct {
	emu  *idecemu.Server
	srv  *httptest.Server
	hc   *http.Client
	dir  string // gallery
	tlsd string // certificates
}

// newEnv starts an emulator with cfg (Gallery defaults to a fresh folder,
// ModelDir to the shared models) behind httptest's TLS server with
// ServerTLSConfig, and a client presenting the development client
// certificate.
func newEnv(t testing.TB, cfg idecemu.Config) *env {
	t.Helper()
	if cfg.Gallery == "" {
		cfg.Gallery = filepath.Join(t.TempDir(), "gallery")
	}
	if cfg.ModelDir == "" {
		cfg.ModelDir = testenv.Models(t)
	}
	testenv.Shared(t)
	emu, err := idecemu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	certs := devCerts(t)
	srv := startTLS(t, emu.Handler(), certs)
	// Cleanups run last-in first-out: Close first releases any request a
	// fault holds, so the TLS server's Close does not wait for it.
	t.Cleanup(func() { emu.Close() })
	clientTLS, err := idecemu.ClientTLSConfig(certs)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: clientTLS}
	t.Cleanup(tr.CloseIdleConnections)
	return &env{emu: emu, srv: srv, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, dir: cfg.Gallery, tlsd: certs}
}

func startTLS(t testing.TB, h http.Handler, certs string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	tlsCfg, err := idecemu.ServerTLSConfig(certs)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = tlsCfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// newRequest is a valid verification of id with photo and a fresh
// request id.
func newRequest(id string, photo []byte) idechttp.VerifyRequest {
	return idechttp.VerifyRequest{
		RequestID:  uuid(),
		IIN:        id,
		BIN:        bankBIN,
		ConsentRef: "consent-1",
		Photo:      photo,
		Capture: idechttp.CaptureMeta{
			Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Quality: 80, Liveness: "live", DeviceID: "kiosk-1/cam0",
		},
	}
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// post sends body as JSON to path with the given extra headers.
func (e *env) post(path string, body any, hdr map[string]string) (*http.Response, []byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp, rb, err
}

// result is a verification's outcome as the client saw it.
type result struct {
	status int
	header http.Header
	ok     idechttp.VerifyResponse // when status is 200
	err    idechttp.ErrorResponse  // otherwise
	raw    []byte
}

// verify posts req with its X-Request-ID and an optional fault header,
// failing the test on a transport error or an undecodable body.
func (e *env) verify(t testing.TB, req idechttp.VerifyRequest, fault string) result {
	t.Helper()
	hdr := map[string]string{idechttp.HeaderRequestID: req.RequestID}
	if fault != "" {
		hdr[idecemu.HeaderFault] = fault
	}
	resp, body, err := e.post(idechttp.PathVerify, req, hdr)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: body}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	dst := any(&r.err)
	if r.status == http.StatusOK {
		dst = &r.ok
	}
	if err := json.Unmarshal(body, dst); err != nil {
		t.Fatalf("status %d, body not JSON: %v: %q", r.status, err, body)
	}
	return r
}

// enroll puts photo into the gallery through the admin endpoint and wants
// 204.
func (e *env) enroll(t testing.TB, id string, photo []byte) {
	t.Helper()
	resp, body, err := e.post(idechttp.PathEnroll, idechttp.EnrollRequest{IIN: id, Photo: photo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("enroll: %d %s", resp.StatusCode, body)
	}
}
