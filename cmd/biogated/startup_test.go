package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What an operator sees when biogated cannot start: the exit status and
// the message, unchanged by the daemon's assembly moving to
// internal/daemon.
func TestStartupFailures(t *testing.T) {
	noenv := func(string) string { return "" }
	data := t.TempDir()
	base := []string{"--idec", "https://idec.test:8443", "--idec-tls", t.TempDir(), "--data", data, "--api-keys", filepath.Join(data, "keys")}
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(testKey+" relay\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, 0, ""}, // the usage goes to the flag set's output
		{"unknown flag", []string{"--no-such-flag"}, 2, "biogated: flag provided but not defined"},
		{"no data", []string{"--idec", "https://idec.test:8443"}, 1, "--data is required: it keeps the signing keys and the evidence"},
		{"public without TLS", append([]string{"--listen", "0.0.0.0:8443"}, base...), 1, "--listen 0.0.0.0:8443 is not loopback: --tls-cert and --tls-key are required"},
		{"bad BIN", append([]string{"--bin", "12"}, base...), 1, "--bin: "},
		{"no api keys", []string{"--data", data}, 1, "--api-keys is required"},
		{"api keys file missing", base, 1, "--api-keys: open "},
		{"bad checkpoint witness", []string{"--data", data, "--api-keys", keys, "--idec", "https://idec.test:8443", "--idec-tls", t.TempDir(),
			"--checkpoint-witness", "ftp://witness.test"}, 1, "--checkpoint-witness: checkpoint: witness"},
		{"no IDEC", []string{"--data", data, "--api-keys", keys}, 1, "--idec and --idec-tls are required"},
		{"command timeout too short", append([]string{"--command-timeout", "2s"}, base...), 1, "--command-timeout 2s: want 3s to 20s"},
		{"command timeout too long", append([]string{"--command-timeout", "21s"}, base...), 1, "--command-timeout 21s: want 3s to 20s"},
		{"relay rate zero", append([]string{"--max-fps", "-1"}, base...), 1, "--max-fps -1: want 1 to 60"},
		{"relay rate too high", append([]string{"--max-fps", "61"}, base...), 1, "--max-fps 61: want 1 to 60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tc.args, noenv, &stderr, nil)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), tc.code, tc.want)
			}
			if tc.code == 1 && !strings.Contains(stderr.String(), `msg="biogated stopped"`) {
				t.Errorf("stderr lacks the stop line:\n%s", stderr.String())
			}
		})
	}
}
