// Package datadir resolves where biogate's data lives outside the
// repository: the shared folder (models, test photos, clips, recordings) and
// the models folder. It imports only the standard library, so the cgo
// packages and the test helpers share one set of rules:
//
//   - shared: $BIOGATE_SHARED, else ../shared beside the repository root;
//   - models: $BIOGATE_MODELS, else <shared>/models.
//
// The repository root is the nearest folder, from the working directory
// upwards, whose go.mod declares module github.com/biogate/biogate (go test
// runs in each package's folder). A binary run outside a checkout uses the
// working directory in its place. Command-line flags override all of this in
// cmd; nothing here checks that the folders exist.
package datadir

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

const modulePath = "github.com/biogate/biogate"

// Shared returns the absolute shared folder.
func Shared() string {
	if env := os.Getenv("BIOGATE_SHARED"); env != "" {
		return abs(env)
	}
	return filepath.Join(filepath.Dir(root()), "shared")
}

// Models returns the absolute models folder.
func Models() string {
	if env := os.Getenv("BIOGATE_MODELS"); env != "" {
		return abs(env)
	}
	return filepath.Join(Shared(), "models")
}

// root is the repository root, or the working directory outside a checkout.
func root() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return wd
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

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
