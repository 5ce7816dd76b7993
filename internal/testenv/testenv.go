// Package testenv finds the project's shared test data (models, photos,
// videos, recordings), which lives outside the repository in shared/.
//
// Resolution: $BIOGATE_SHARED, else ../shared beside the repository root;
// models: $BIOGATE_MODELS, else <shared>/models. The root is the nearest
// folder, from the working directory upwards, whose go.mod declares module
// github.com/biogate/biogate (go test runs in the package's folder).
//
// When a folder is missing, tests fail under CI (CI=true), where a skip would
// hide a broken path, and skip elsewhere with a message saying how to get
// the data. It imports only the standard library, so any package may use it.
package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/biogate/biogate"

const howTo = "set BIOGATE_SHARED to the shared data folder, or put shared/ beside the checkout"

// Shared returns the absolute path of the shared data folder. If it does not
// exist, it calls t.Fatalf when $CI is "true" and t.Skipf otherwise (a TB
// whose Skipf returns gets "").
func Shared(t testing.TB) string {
	t.Helper()
	dir, err := sharedDir()
	if err == nil {
		err = isDir(dir)
	}
	if err != nil {
		missing(t, "shared test data", err, howTo)
		return ""
	}
	return dir
}

// Models returns the absolute path of the models folder ($BIOGATE_MODELS,
// else <Shared>/models). If it does not exist, it fails or skips like Shared.
func Models(t testing.TB) string {
	t.Helper()
	var dir string
	var err error
	if env := os.Getenv("BIOGATE_MODELS"); env != "" {
		dir, err = filepath.Abs(env)
	} else {
		dir, err = sharedDir()
		dir = filepath.Join(dir, "models")
	}
	if err == nil {
		err = isDir(dir)
	}
	if err != nil {
		missing(t, "models", err, "set BIOGATE_MODELS or BIOGATE_SHARED, or put shared/ beside the checkout (hack/fetch-models.sh fills a models folder)")
		return ""
	}
	return dir
}

func missing(t testing.TB, what string, err error, hint string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: %v; %s", what, err, hint)
		return
	}
	t.Skipf("%s not found: %v; %s", what, err, hint)
}

func isDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return &os.PathError{Op: "stat", Path: dir, Err: os.ErrInvalid}
	}
	return nil
}

func sharedDir() (string, error) {
	if env := os.Getenv("BIOGATE_SHARED"); env != "" {
		return filepath.Abs(env)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, ok := repoRoot(wd)
	if !ok {
		return "", &os.PathError{Op: "find repository root from", Path: wd, Err: os.ErrNotExist}
	}
	return filepath.Join(filepath.Dir(root), "shared"), nil
}

// repoRoot walks up from dir to the folder whose go.mod declares modulePath.
// (models.Dir does the same; this package stays free of cgo imports.)
func repoRoot(dir string) (string, bool) {
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == modulePath
		}
	}
	return false
}
