package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
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
		{[]string{"serve", "--gallery", t.TempDir(), "--tls", certs, "--finger-threshold", "-1"}, exitUsage},
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

// TestEnrollFingerAndServe enrols fingerprints with the CLI (an image by
// name of the finger, a minutiae record by position, an ANSI INCITS 378
// record) and verifies them through serve over mutual TLS.
func TestEnrollFingerAndServe(t *testing.T) {
	shared := testenv.Shared(t)
	models := testenv.Models(t)
	db1 := filepath.Join(shared, "data", "fingerprints", "fvc2002", "DB1_B")
	dir := t.TempDir()
	certs, gallery := filepath.Join(dir, "tls"), filepath.Join(dir, "gallery")
	if code, _, stderr := runCLI(t, "certs", "--out", certs); code != exitOK {
		t.Fatalf("certs: %s", stderr)
	}
	enroll := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"enroll", "--gallery", gallery, "--models", models, "--iin", obamaIIN}, args...)...)
	}
	code, stdout, stderr := enroll("--finger", "right_index", "--image", filepath.Join(db1, "101_1.png"), "--ppi", "500")
	if code != exitOK || !strings.Contains(stdout, "enrolled ********2568 finger 2 (right_index)") {
		t.Fatalf("enroll --image: exit %d: %s%s", code, stdout, stderr)
	}
	tmpl, err := fingerprint.Extract(mustReadImage(t, filepath.Join(db1, "102_1.png")))
	if err != nil {
		t.Fatal(err)
	}
	for format, pos := range map[record.Format]string{record.ISO19794_2_2005: "7", record.ANSI378_2004: "LEFT_MIDDLE"} {
		name := map[record.Format]string{record.ISO19794_2_2005: "iso.fmr", record.ANSI378_2004: "ansi.fmr"}[format]
		b, err := tmpl.MinutiaeRecord(format, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if code, stdout, stderr := enroll("--finger", pos, "--template", p); code != exitOK {
			t.Fatalf("enroll --template %s: exit %d: %s%s", format, code, stdout, stderr)
		}
	}
	blank := filepath.Join(dir, "blank.png")
	writeBlankPNG(t, blank)
	if code, _, stderr := enroll("--finger", "3", "--image", blank); code != exitFailure || !strings.Contains(stderr, "no usable fingerprint") {
		t.Errorf("enroll of a blank image: exit %d: %s", code, stderr)
	}
	if code, _, stderr := enroll("--finger", "3", "--template", filepath.Join(db1, "101_1.png")); code != exitFailure || !strings.Contains(stderr, "not an ISO/IEC 19794-2 or ANSI INCITS 378") {
		t.Errorf("enroll of a PNG as a template: exit %d: %s", code, stderr)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs testenv.LogBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--gallery", gallery, "--tls", certs, "--models", models, "--finger-threshold", "30"}, &logs, &logs)
	}()
	tlsCfg, err := idecemu.ClientTLSConfig(certs)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer hc.CloseIdleConnections()
	base := "https://" + addr
	waitHealthy(t, hc, base, done, &logs)

	verify := func(pos int, name string) (int, idechttp.VerifyResponse) {
		t.Helper()
		img := mustReadImage(t, filepath.Join(db1, name+".png"))
		rec, err := fingerprint.ImageRecord(img, pos, 80, record.PNG)
		if err != nil {
			t.Fatal(err)
		}
		req := idechttp.FingerVerifyRequest{RequestID: newID(), IIN: obamaIIN, BIN: bankBIN, ConsentRef: "c-1",
			Finger:  idechttp.FingerSample{Position: pos, Format: "iso19794-4", Record: rec},
			Capture: idechttp.CaptureMeta{Time: time.Now(), Quality: 80, DeviceID: "test"}}
		body, _ := json.Marshal(req)
		hr, _ := http.NewRequest(http.MethodPost, base+idechttp.PathVerifyFinger, bytes.NewReader(body))
		hr.Header.Set(idechttp.HeaderRequestID, req.RequestID)
		resp, err := hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v idechttp.VerifyResponse
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, v
	}
	for _, tc := range []struct {
		pos      int
		probe    string
		status   int
		decision string
	}{
		{2, "101_2", 200, idechttp.DecisionMatch},
		{2, "102_2", 200, idechttp.DecisionNoMatch},
		{7, "102_2", 200, idechttp.DecisionMatch},
		{8, "102_3", 200, idechttp.DecisionMatch}, // enrolled from the ANSI record
		{3, "101_2", 409, ""},
	} {
		status, v := verify(tc.pos, tc.probe)
		if status != tc.status || v.Decision != tc.decision {
			t.Errorf("finger %d against %s: %d %+v, want %d %s", tc.pos, tc.probe, status, v, tc.status, tc.decision)
		}
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
	for _, want := range []string{"fingers=3", "finger_threshold=30", "verify finger"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, obamaIIN) {
		t.Errorf("log holds a whole IIN:\n%s", out)
	}
}

func TestEnrollFingerUsage(t *testing.T) {
	g := t.TempDir()
	img := filepath.Join(t.TempDir(), "f.png")
	for _, args := range [][]string{
		{"--finger", "2"}, // no --image or --template
		{"--finger", "2", "--image", img, "--template", img}, // both
		{"--finger", "0", "--image", img},
		{"--finger", "11", "--image", img},
		{"--finger", "right_toe", "--image", img},
		{"--finger", "2", "--image", img, "--ppi", "0"},
		{"--finger", "2", "--photo", img, "--image", img}, // a photo and a finger
		{"--photo", img, "--template", img},
	} {
		all := append([]string{"enroll", "--gallery", g, "--iin", obamaIIN}, args...)
		if code, _, stderr := runCLI(t, all...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}

func mustReadImage(t *testing.T, path string) *devices.FingerprintImage {
	t.Helper()
	img, err := fingerprint.ReadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeBlankPNG writes a white 388x374 PNG: no finger on it.
func writeBlankPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 388, 374))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
