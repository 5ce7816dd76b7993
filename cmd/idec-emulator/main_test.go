package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
)

const (
	obamaIIN = "790303402568"
	bidenIIN = "061211600012"
	bankBIN  = "971240001315"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsage(t *testing.T) {
	certs := t.TempDir()
	if err := idecemu.WriteDevCerts(certs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"help"}, exitOK},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"certs"}, exitUsage},
		{[]string{"certs", "--out"}, exitUsage},
		{[]string{"certs", "-h"}, exitOK},
		{[]string{"serve", "--gallery", t.TempDir()}, exitUsage},
		{[]string{"serve", "--gallery", t.TempDir(), "--tls", certs, "--threshold", "2"}, exitUsage},
		{[]string{"serve", "--gallery", t.TempDir(), "--tls", certs, "--fault-error-rate", "1.5"}, exitUsage},
		{[]string{"serve", "--gallery", t.TempDir(), "--tls", t.TempDir()}, exitFailure}, // no certificates there
		{[]string{"enroll", "--gallery", t.TempDir(), "--iin", "123", "--photo", "x.jpg"}, exitUsage},
		{[]string{"enroll", "--gallery", t.TempDir(), "--iin", obamaIIN}, exitUsage},
		{[]string{"enroll", "--gallery", t.TempDir(), "--iin", obamaIIN, "--photo", filepath.Join(t.TempDir(), "absent.jpg")}, exitFailure},
		{[]string{"enroll", "extra"}, exitUsage},
	} {
		if code, _, stderr := runCLI(t, tc.args...); code != tc.code {
			t.Errorf("%q: exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
	}
}

func TestCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	code, stdout, stderr := runCLI(t, "certs", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"ca.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem"} {
		p := filepath.Join(dir, f)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, "-key.pem") && st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", f, st.Mode().Perm())
		}
		if !strings.Contains(stdout, p) {
			t.Errorf("stdout does not list %s:\n%s", p, stdout)
		}
	}
	if _, err := idecemu.ServerTLSConfig(dir); err != nil {
		t.Error(err)
	}
}

// TestEnrollAndServe runs the commands as an operator would: certs, enroll,
// serve (in-process, on a free port), a verification over mutual TLS, an
// enroll while serving, and a stop by cancelling serve's context. The
// name key is kept outside the gallery (--name-key): the gallery then holds
// no file named by an IIN nor the key to link a name to one.
func TestEnrollAndServe(t *testing.T) {
	shared := testenv.Shared(t)
	models := testenv.Models(t)
	faces := filepath.Join(shared, "data", "faces")
	dir := t.TempDir()
	certs, gallery, nameKey := filepath.Join(dir, "tls"), filepath.Join(dir, "gallery"), filepath.Join(dir, "name.key")
	if code, _, stderr := runCLI(t, "certs", "--out", certs); code != exitOK {
		t.Fatalf("certs: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "enroll", "--gallery", gallery, "--iin", obamaIIN, "--photo", filepath.Join(faces, "obama.jpg"), "--models", models, "--name-key", nameKey)
	if code != exitOK || !strings.Contains(stdout, "enrolled ********2568") {
		t.Fatalf("enroll: exit %d: %s%s", code, stdout, stderr)
	}
	fp := filepath.Join(dir, "fingerprint.jpg")
	writeFingerprintJPEG(t, filepath.Join(shared, "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png"), fp)
	if code, _, stderr := runCLI(t, "enroll", "--gallery", gallery, "--iin", bidenIIN, "--photo", fp, "--models", models, "--name-key", nameKey); code != exitFailure || !strings.Contains(stderr, "no face") {
		t.Errorf("enroll of a fingerprint: exit %d: %s", code, stderr)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs testenv.LogBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--gallery", gallery, "--tls", certs, "--models", models, "--name-key", nameKey}, &logs, &logs)
	}()
	tlsCfg, err := idecemu.ClientTLSConfig(certs)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer hc.CloseIdleConnections()
	base := "https://" + addr
	waitHealthy(t, hc, base, done, &logs)

	verify := func(id, name string) idechttp.VerifyResponse {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(faces, name))
		if err != nil {
			t.Fatal(err)
		}
		req := idechttp.VerifyRequest{RequestID: newID(), IIN: id, BIN: bankBIN, ConsentRef: "c-1", Photo: b,
			Capture: idechttp.CaptureMeta{Time: time.Now(), Quality: 90, Liveness: "live", DeviceID: "test"}}
		body, _ := json.Marshal(req)
		hr, _ := http.NewRequest(http.MethodPost, base+idechttp.PathVerify, bytes.NewReader(body))
		hr.Header.Set(idechttp.HeaderRequestID, req.RequestID)
		resp, err := hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v idechttp.VerifyResponse
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("verify %s: %d %v", name, resp.StatusCode, err)
		}
		return v
	}
	if v := verify(obamaIIN, "obama2.jpg"); v.Decision != idechttp.DecisionMatch {
		t.Errorf("obama2 against obama: %+v", v)
	}
	// Enrolled by the CLI while serve runs on the same folder.
	if code, _, stderr := runCLI(t, "enroll", "--gallery", gallery, "--iin", bidenIIN, "--photo", filepath.Join(faces, "train_biden_biden2.jpg"), "--models", models, "--name-key", nameKey); code != exitOK {
		t.Fatalf("enroll while serving: %s", stderr)
	}
	if v := verify(bidenIIN, "biden.jpg"); v.Decision != idechttp.DecisionMatch {
		t.Errorf("biden against biden2: %+v", v)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	out := logs.String()
	for _, want := range []string{"gallery loaded", "persons=1", "embedder=mobilefacenet", "listening", "addr=" + addr, "stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, obamaIIN) || strings.Contains(out, bidenIIN) {
		t.Errorf("log holds a whole IIN:\n%s", out)
	}
	entries, err := os.ReadDir(gallery)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("%d files in the gallery, want 2 photos and 2 records", len(entries))
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), obamaIIN) || strings.Contains(e.Name(), bidenIIN) || e.Name() == idecemu.NameKeyFile {
			t.Errorf("gallery file %s", e.Name())
		}
	}
	if st, err := os.Stat(nameKey); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("name key: %v", err)
	}
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func waitHealthy(t *testing.T, hc *http.Client, base string, done <-chan int, logs *testenv.LogBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		default:
		}
		resp, err := hc.Get(base + idechttp.PathHealth)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve not healthy:\n%s", logs.String())
}

func writeFingerprintJPEG(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
