package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/biogate/biogate/internal/datadir"
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

// Dir resolves the models folder: flagValue when not empty (a command-line
// flag), else $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else
// ../shared/models beside the repository root (internal/datadir has the
// rules). The result is absolute and not checked for existence: Path reports
// a missing file with the folder it looked in.
func Dir(flagValue string) string {
	if flagValue != "" {
		return abs(flagValue)
	}
	return datadir.Models()
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// Path returns the absolute path of model name inside dir after checking
// that the file exists and has the manifest's size and SHA-256. The file is
// hashed as a stream, and a successful check is cached per (path,
// modification time, size), so repeated calls for an unchanged file cost one
// stat. Errors wrap ErrUnknownModel, ErrMissing or ErrCorrupt and say what
// to do. An empty dir means Dir(""). Safe for concurrent use.
func Path(dir, name string) (string, error) {
	if dir == "" {
		dir = Dir("")
	}
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
