package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/idecemu/idecemutest"
	"github.com/biogate/biogate/internal/testenv"
)

func TestIDECVerifyAgainstTheEmulator(t *testing.T) {
	url, certs := idecemutest.Start(t, map[string]string{"790303402568": "obama.jpg"})
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
