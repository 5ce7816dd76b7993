package models

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// fetch runs hack/fetch-models.sh and returns its exit code and output.
func fetch(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join("..", "hack", "fetch-models.sh")}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func TestFetchModelsFromMirror(t *testing.T) {
	mirror := testenv.Models(t)
	out := t.TempDir()
	if code, log := fetch(t, "--mirror", mirror, "--out", out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, log)
	}
	for _, s := range Manifest() {
		if _, err := Path(out, s.Name); err != nil {
			t.Errorf("%s after fetch: %v", s.Name, err)
		}
	}
	// Idempotent: a second run verifies and copies nothing.
	code, log := fetch(t, "--mirror", mirror, "--out", out)
	if code != 0 || strings.Contains(log, "fetched") {
		t.Errorf("second run: exit %d:\n%s", code, log)
	}
}

func TestFetchModelsRefusesACorruptMirror(t *testing.T) {
	src := testenv.Models(t)
	mirror, out := t.TempDir(), t.TempDir()
	for _, s := range Manifest() {
		b, err := os.ReadFile(filepath.Join(src, s.File))
		if err != nil {
			t.Fatal(err)
		}
		if s.Name == YuNet {
			b[len(b)/2] ^= 0x55
		}
		os.MkdirAll(filepath.Dir(filepath.Join(mirror, s.File)), 0o700)
		if err := os.WriteFile(filepath.Join(mirror, s.File), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, log := fetch(t, "--mirror", mirror, "--out", out)
	if code != 1 || !strings.Contains(log, "yunet") {
		t.Fatalf("exit %d, want 1 naming yunet:\n%s", code, log)
	}
	spec, _ := Lookup(YuNet)
	if _, err := os.Stat(filepath.Join(out, spec.File)); !os.IsNotExist(err) {
		t.Errorf("corrupt yunet was written to the output folder (%v)", err)
	}
}
