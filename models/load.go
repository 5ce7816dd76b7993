package models

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Errors that callers branch on. Every error from Path, Lookup and the
// wrappers' constructors wraps at most one of them; test with errors.Is.
var (
	// ErrUnknownModel means the name is not in the manifest.
	ErrUnknownModel = errors.New("models: unknown model")
	// ErrMissing means the model file is not in the models folder.
	ErrMissing = errors.New("models: model file missing")
	// ErrCorrupt means the file exists but its size or SHA-256 differs from
	// the manifest (truncated, damaged, or another version).
	ErrCorrupt = errors.New("models: model file corrupt")
)

// fixHint tells a person how to get a correct model folder.
const fixHint = "run hack/fetch-models.sh, or set BIOGATE_MODELS (or BIOGATE_SHARED) to a folder holding the models"

// modulePath identifies this repository's go.mod when Dir looks for the root.
const modulePath = "github.com/biogate/biogate"

// Dir resolves the models folder. The first that applies wins:
//
//  1. flagValue, when not empty (a command-line flag);
//  2. $BIOGATE_MODELS;
//  3. $BIOGATE_SHARED/models;
//  4. ../shared/models beside the repository root. The root is the nearest
//     folder, from the working directory upwards, whose go.mod declares
//     module github.com/biogate/biogate; an installed binary run outside a
//     checkout uses the working directory in its place.
//
// The result is absolute (when the working directory is known) and is not
// checked for existence: Path reports a missing file with the folder it
// looked in.
func Dir(flagValue string) string {
	switch {
	case flagValue != "":
		return abs(flagValue)
	case os.Getenv("BIOGATE_MODELS") != "":
		return abs(os.Getenv("BIOGATE_MODELS"))
	case os.Getenv("BIOGATE_SHARED") != "":
		return abs(filepath.Join(os.Getenv("BIOGATE_SHARED"), "models"))
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "models")
	}
	root := wd
	if r, ok := repoRoot(wd); ok {
		root = r
	}
	return filepath.Join(filepath.Dir(root), "shared", "models")
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// repoRoot walks up from dir to the folder whose go.mod declares modulePath.
func repoRoot(dir string) (string, bool) {
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isModuleRoot(gomod string) bool {
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

// Path returns the absolute path of model name inside dir after checking
// that the file exists and has the manifest's size and SHA-256. The file is
// hashed as a stream, and a successful check is cached per (path,
// modification time, size), so repeated calls for an unchanged file cost one
// stat. Errors wrap ErrUnknownModel, ErrMissing or ErrCorrupt and say what
// to do. Safe for concurrent use.
func Path(dir, name string) (string, error) {
	spec, err := Lookup(name)
	if err != nil {
		return "", err
	}
	p := abs(filepath.Join(dir, filepath.FromSlash(spec.File)))
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: %s: %s not found; %s", ErrMissing, name, p, fixHint)
	case err != nil:
		return "", fmt.Errorf("%w: %s: %v; %s", ErrMissing, name, err, fixHint)
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("%w: %s: %s is not a regular file; %s", ErrMissing, name, p, fixHint)
	case st.Size() != spec.Size:
		return "", fmt.Errorf("%w: %s: %s is %d bytes, want %d; %s", ErrCorrupt, name, p, st.Size(), spec.Size, fixHint)
	}
	key := verifiedKey{path: p, mtime: st.ModTime().UnixNano(), size: st.Size(), sha: spec.SHA256}
	if verified.has(key) {
		return p, nil
	}
	sum, err := fileSHA256(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s: reading %s: %v; %s", ErrCorrupt, name, p, err, fixHint)
	}
	if sum != spec.SHA256 {
		return "", fmt.Errorf("%w: %s: %s has sha256 %s, want %s; %s", ErrCorrupt, name, p, sum, spec.SHA256, fixHint)
	}
	verified.add(key)
	return p, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifiedKey identifies one successful check. A file rewritten in place
// changes its modification time or size, which misses the cache.
type verifiedKey struct {
	path  string
	mtime int64 // UnixNano; time.Time is a poor map key
	size  int64
	sha   string
}

type verifiedSet struct {
	mu sync.Mutex
	m  map[verifiedKey]struct{}
}

var verified = &verifiedSet{m: map[verifiedKey]struct{}{}}

func (s *verifiedSet) has(k verifiedKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

func (s *verifiedSet) add(k verifiedKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = struct{}{}
}
