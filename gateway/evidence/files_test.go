package evidence

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "evidence.key")
	if _, err := ReadKey(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadKey of a missing file: %v, want os.ErrNotExist", err)
	}
	key, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", st.Mode(), err)
	}
	text, _ := os.ReadFile(path)
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(text))); err != nil || !bytes.Equal(b, key) || len(key) != 32 {
		t.Errorf("file holds %q, not base64 of the %d-byte key", text, len(key))
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("second LoadOrCreateKey gave another key (%v)", err)
	}
	other, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"))
	if err != nil || bytes.Equal(other, key) {
		t.Errorf("two new keys are equal (%v)", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600)
	if _, err := LoadOrCreateKey(bad); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file of 5 bytes: %v, want an error", err)
	}
	if k, _ := ReadKey(bad); k != nil {
		t.Error("ReadKey returned a short key")
	}
}

func TestNewSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "evidence.db")
	s := open(t, "sqlite:"+path, nil)
	appendRecord(t, s, record("a", time.Now(), "match", 0))
	for _, p := range []string{path, path + "-wal", filepath.Dir(path)} {
		st, err := os.Stat(p)
		want := os.FileMode(0o600)
		if p == filepath.Dir(path) {
			want = 0o700
		}
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %v", filepath.Base(p), st.Mode().Perm(), err, want)
		}
	}
}
