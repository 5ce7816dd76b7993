// Package testenv finds the project's shared test data (models, photos,
// videos, recordings), which lives outside the repository in shared/.
//
// The folders are resolved by internal/datadir: $BIOGATE_SHARED, else
// ../shared beside the repository root; models: $BIOGATE_MODELS, else
// <shared>/models.
//
// When a folder is missing, tests fail under CI (CI=true), where a skip would
// hide a broken path, and skip elsewhere with a message saying how to get
// the data. It imports only the standard library, so any package may use it.
package testenv

import (
	"os"
	"testing"

	"github.com/biogate/biogate/internal/datadir"
)

const howTo = "set BIOGATE_SHARED to the shared data folder, or put shared/ beside the checkout"

// Shared returns the absolute path of the shared data folder. If it does not
// exist, it calls t.Fatalf when $CI is "true" and t.Skipf otherwise (a TB
// whose Skipf returns gets "").
func Shared(t testing.TB) string {
	t.Helper()
	dir := datadir.Shared()
	if err := isDir(dir); err != nil {
		missing(t, "shared test data", err, howTo)
		return ""
	}
	return dir
}

// Models returns the absolute path of the models folder ($BIOGATE_MODELS,
// else <Shared>/models). If it does not exist, it fails or skips like Shared.
func Models(t testing.TB) string {
	t.Helper()
	dir := datadir.Models()
	if err := isDir(dir); err != nil {
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
