package datadir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultsBesideTheRepositoryRoot(t *testing.T) {
	t.Setenv("BIOGATE_SHARED", "")
	t.Setenv("BIOGATE_MODELS", "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(wd)) // internal/datadir -> root
	want := filepath.Join(filepath.Dir(root), "shared")
	if got := Shared(); got != want {
		t.Errorf("Shared() = %q, want %q", got, want)
	}
	if got := Models(); got != filepath.Join(want, "models") {
		t.Errorf("Models() = %q, want %q", got, filepath.Join(want, "models"))
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("BIOGATE_SHARED", "/data/shared")
	t.Setenv("BIOGATE_MODELS", "")
	if got := Models(); got != "/data/shared/models" {
		t.Errorf("Models() with BIOGATE_SHARED = %q", got)
	}
	t.Setenv("BIOGATE_MODELS", "/opt/models")
	if got, sh := Models(), Shared(); got != "/opt/models" || sh != "/data/shared" {
		t.Errorf("Models() = %q, Shared() = %q", got, sh)
	}
}

func TestOutsideACheckoutUsesTheWorkingDirectory(t *testing.T) {
	t.Setenv("BIOGATE_SHARED", "")
	t.Setenv("BIOGATE_MODELS", "")
	dir := t.TempDir()
	t.Chdir(dir)
	if got, want := Shared(), filepath.Join(filepath.Dir(dir), "shared"); got != want {
		t.Errorf("Shared() = %q, want %q", got, want)
	}
}
