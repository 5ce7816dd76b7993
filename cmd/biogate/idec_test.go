package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/cmd/idec-emulator/emulator"
	"github.com/biogate/biogate/internal/testenv"
)

// startEmulator runs the IDEC emulator over mutual TLS on loopback with
// obama.jpg enrolled under 790303402568, and returns its URL and the folder
// of development certificates.
func startEmulator(t *testing.T) (url, certs string) {
	t.Helper()
	shared := testenv.Shared(t)
	certs = t.TempDir()
	if err := emulator.WriteDevCerts(certs); err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Config{Gallery: t.TempDir(), ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile(filepath.Join(shared, "data/faces/obama.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Enroll(context.Background(), "790303402568", photo); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(emu.Handler())
	if srv.TLS, err = emulator.ServerTLSConfig(certs); err != nil {
		t.Fatal(err)
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { emu.Close() })
	return srv.URL, certs
}

func TestIDECVerifyAgainstTheEmulator(t *testing.T) {
	url, certs := startEmulator(t)
	faces := filepath.Join(testenv.Shared(t), "data/faces")
	cases := []struct {
		name, iin, photo string
		code             int
		want             string // decision or error code
	}{
		{"same person", "790303402568", "obama2.jpg", exitOK, "match"},
		{"same person, another photo", "790303402568", "tests_obama3.jpg", exitOK, "match"},
		{"another person", "790303402568", "biden.jpg", exitNoResult, "no_match"},
		{"unknown IIN", "061211600012", "obama2.jpg", exitFailure, "unknown_iin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "idec", "verify", "--idec", url, "--tls", certs, "--iin", c.iin,
				"--photo", filepath.Join(faces, c.photo), "--json")
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, stdout, stderr)
			}
			var rep idecReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			if got := rep.Decision + rep.Error; got != c.want {
				t.Errorf("got %q, want %q (%+v)", got, c.want, rep)
			}
			if c.code == exitOK && (rep.Similarity < 0.95 || rep.IDECRequestID == "" || rep.RequestID == "") {
				t.Errorf("match report %+v", rep)
			}
		})
	}
	// Bad input is refused before any request.
	code, _, stderr := runCLI(t, "idec", "verify", "--idec", url, "--tls", certs, "--iin", "790303402569", "--photo", filepath.Join(faces, "obama.jpg"))
	if code != exitUsage || !strings.Contains(stderr, "check digit") {
		t.Errorf("bad IIN: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "idec", "verify", "--idec", url, "--tls", t.TempDir(), "--iin", "790303402568", "--photo", filepath.Join(faces, "obama.jpg"))
	if code != exitFailure || !strings.Contains(stderr, "ca.pem") {
		t.Errorf("missing certificates: exit %d, %q", code, stderr)
	}
}
