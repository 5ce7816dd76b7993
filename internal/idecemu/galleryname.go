package idecemu

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/biogate/biogate/gateway/iin"
)

// NameKeyFile is the file in the gallery folder holding the key of the
// gallery's file names when Config.NameKeyFile is "".
const NameKeyFile = ".name-key"

// nameKeyBytes is the length of a name key: 32 random bytes.
const nameKeyBytes = 32

// loadNameKey returns the key in path, creating it (32 random bytes, 0600)
// when missing. Two processes creating it at once agree on one key: each
// writes a temporary file and links it into place, and the loser reads
// the winner's.
func loadNameKey(path string) ([]byte, error) {
	key, err := readNameKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".name-key.tmp-*")
	if err != nil {
		return nil, fmt.Errorf("emulator: creating the name key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	key = make([]byte, nameKeyBytes)
	rand.Read(key)
	_, err = f.Write([]byte(hex.EncodeToString(key) + "\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: creating the name key: %w", err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("emulator: creating the name key: %w", err)
	}
	return readNameKey(path)
}

func readNameKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("emulator: reading the name key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%w: name key %s: want at least 32 hex digits", ErrInvalidConfig, path)
	}
	return key, nil
}

// name is the base name of the files of the valid IIN id: HMAC-SHA256 of
// the IIN under the gallery's name key, 64 hex digits. Without the key a
// listing of the folder (or of its backup) does not tell whose photos it
// holds, and the 12-digit IINs cannot be tried one by one against it.
func (g *gallery) name(id string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// isName reports whether s has the form of a name: 64 lowercase hex digits.
func isName(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// migrate renames the files of a version 1 enrolment, named by the IIN id
// (<IIN>.emb, <IIN>.jpg or .png, with the IIN inside the record), to the
// keyed name, the record rewritten as the current version without the
// IIN. The photo goes first and the old record last, so an interrupted
// migration is finished by the next open. A record that does not read as
// version 1 of id is left alone (and stays unusable: lookups never ask
// for it).
func (g *gallery) migrate(id string) error {
	if _, err := iin.Parse(id); err != nil {
		return err
	}
	old := filepath.Join(g.dir, id+".emb")
	b, err := os.ReadFile(old)
	if err != nil {
		return fmt.Errorf("%w: %v", errUnusable, err)
	}
	if len(b) > maxRecordBytes {
		return fmt.Errorf("%w: %d bytes", errUnusable, len(b))
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.Version != 1 || r.IIN != id {
		return fmt.Errorf("%w: not a version 1 record of its file's IIN", errUnusable)
	}
	name := g.name(id)
	ext := filepath.Ext(r.Photo)
	if r.Photo != id+ext || (ext != ".jpg" && ext != ".png") {
		return fmt.Errorf("%w: photo of another name", errUnusable)
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if err := os.Rename(filepath.Join(g.dir, r.Photo), filepath.Join(g.dir, name+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("emulator: migrating gallery: %w", err)
	}
	r.Version, r.IIN, r.Subject, r.Photo = recordVersion, "", name, name+ext
	nb, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := writeAtomic(g.dir, name+".emb", nb); err != nil {
		return err
	}
	if err := os.Remove(old); err != nil {
		return fmt.Errorf("emulator: migrating gallery: %w", err)
	}
	return syncDir(g.dir)
}
