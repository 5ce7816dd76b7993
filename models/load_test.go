package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/internal/testenv"
)

// writeModel writes content where Path looks for model name under dir.
func writeModel(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	spec, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(spec.File))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestPathShared checks every manifest entry against the shared models
// folder, so the manifest and the mirror cannot drift apart.
func TestPathShared(t *testing.T) {
	dir := testenv.Models(t)
	for _, spec := range Manifest() {
		p, err := Path(dir, spec.Name)
		if err != nil {
			t.Errorf("%s: %v", spec.Name, err)
			continue
		}
		if want := filepath.Join(dir, filepath.FromSlash(spec.File)); p != want || !filepath.IsAbs(p) {
			t.Errorf("%s: path %q, want %q (absolute)", spec.Name, p, want)
		}
	}
}

func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Path(dir, "no-such-model"); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("unknown model: %v, want ErrUnknownModel", err)
	}
	if _, err := Path(dir, YuNet); !errors.Is(err, ErrMissing) {
		t.Errorf("empty folder: %v, want ErrMissing", err)
	}
	// A folder where the file should be.
	spec, _ := Lookup(YuNet)
	if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(spec.File)), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Path(dir, YuNet); !errors.Is(err, ErrMissing) {
		t.Errorf("folder in place of file: %v, want ErrMissing", err)
	}
}

// TestPathCache: a verified file is not hashed again while its modification
// time and size are unchanged; a rewrite that changes either is re-hashed.
func TestPathCache(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(testenv.Models(t), "yunet", "face_detection_yunet_2022mar.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writeModel(t, dir, YuNet, good)
	if _, err := Path(dir, YuNet); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[100] ^= 0xff
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	// Same size and, restored, the same modification time: the cache answers.
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if _, err := Path(dir, YuNet); err != nil {
		t.Fatalf("cached check re-hashed the file: %v", err)
	}
	// A new modification time misses the cache.
	later := st.ModTime().Add(time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := Path(dir, YuNet); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("rewritten file: %v, want ErrCorrupt", err)
	}
}

func TestDir(t *testing.T) {
	tmp := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd) // this package's folder is <root>/models
	tests := []struct {
		name, flag, models, shared string
		want                       string
	}{
		{name: "flag wins", flag: "/m/flag", models: "/m/env", shared: "/s", want: "/m/flag"},
		{name: "BIOGATE_MODELS", models: "/m/env", shared: "/s", want: "/m/env"},
		{name: "BIOGATE_SHARED", shared: "/s", want: "/s/models"},
		{name: "relative flag made absolute", flag: "rel", want: filepath.Join(wd, "rel")},
		{name: "beside the repository root", want: filepath.Join(filepath.Dir(root), "shared", "models")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BIOGATE_MODELS", tc.models)
			t.Setenv("BIOGATE_SHARED", tc.shared)
			if got := Dir(tc.flag); got != tc.want {
				t.Errorf("Dir(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
	t.Run("outside a checkout", func(t *testing.T) {
		t.Setenv("BIOGATE_MODELS", "")
		t.Setenv("BIOGATE_SHARED", "")
		work := filepath.Join(tmp, "a", "b")
		if err := os.MkdirAll(work, 0o755); err != nil {
			t.Fatal(err)
		}
		// A go.mod of another module is not this repository's root.
		if err := os.WriteFile(filepath.Join(tmp, "a", "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(work)
		if got, want := Dir(""), filepath.Join(tmp, "a", "shared", "models"); got != want {
			t.Errorf("Dir(\"\") = %q, want %q (beside the working directory)", got, want)
		}
	})
}
