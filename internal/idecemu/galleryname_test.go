package idecemu_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
)

// galleryFiles reads every file of dir by name.
func galleryFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// TestGalleryNamesHideIIN is the attack of issue 14 item 7: someone who
// can list the gallery folder (or read its backup) learns whose reference
// photos it holds. Now no file name or content carries an IIN, and the
// names are keyed: the plain SHA-256 of an IIN is not a name, and another
// key gives another name.
func TestGalleryNamesHideIIN(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	e.enroll(t, alexIIN, photo(t, "alex-lacamoire.png"))

	files := galleryFiles(t, e.dir)
	if len(files) != 5 {
		t.Errorf("%d files, want 2 photos, 2 records and the key", len(files))
	}
	for name, b := range files {
		for _, id := range []string{obamaIIN, alexIIN} {
			// (A keyed hash in hex may hold 12 digits in a row by chance,
			// in about one name in six: only the IINs themselves count.)
			if strings.Contains(name, id) {
				t.Errorf("file name %s holds an IIN", name)
			}
			if bytes.Contains(b, []byte(id)) {
				t.Errorf("file %s holds the IIN", name)
			}
			plain := sha256.Sum256([]byte(id))
			if strings.HasPrefix(name, hex.EncodeToString(plain[:])) {
				t.Errorf("file %s is named by the unkeyed hash of an IIN", name)
			}
		}
	}
	other := newEnv(t, idecemu.Config{})
	if a, b := idecemu.GalleryName(e.emu, obamaIIN), idecemu.GalleryName(other.emu, obamaIIN); a == b {
		t.Errorf("two galleries' keys give one name %s", a)
	}

	// The key may live outside the gallery (NameKeyFile, --name-key): the
	// folder alone then holds nothing that links a file to a person, and a
	// server without the key does not find the person.
	dir, keyFile := filepath.Join(t.TempDir(), "gallery"), filepath.Join(t.TempDir(), "name.key")
	kept := newEnv(t, idecemu.Config{Gallery: dir, NameKeyFile: keyFile})
	kept.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	if _, err := os.Stat(filepath.Join(dir, idecemu.NameKeyFile)); !os.IsNotExist(err) {
		t.Errorf("key in the gallery: %v", err)
	}
	if r := newEnv(t, idecemu.Config{Gallery: dir, NameKeyFile: keyFile}).verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("with the key: %d %+v", r.status, r.err)
	}
	if r := newEnv(t, idecemu.Config{Gallery: dir}).verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.status != 404 {
		t.Errorf("without the key: %d, want 404", r.status)
	}
}

// TestGalleryMigratesIINNames: a gallery written before keyed names
// (<IIN>.emb with the IIN inside, <IIN>.jpg, no key) is migrated when a
// server opens it: the person still matches, and no file carries the IIN.
func TestGalleryMigratesIINNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gallery")
	e := newEnv(t, idecemu.Config{Gallery: dir})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	name := idecemu.GalleryName(e.emu, obamaIIN)
	e.emu.Close()

	// Rewrite the enrolment as version 1 wrote it.
	var rec map[string]any
	if err := json.Unmarshal(galleryFiles(t, dir)[name+".emb"], &rec); err != nil {
		t.Fatal(err)
	}
	delete(rec, "subject")
	rec["version"], rec["iin"], rec["photo"] = 1, obamaIIN, obamaIIN+".jpg"
	old, _ := json.Marshal(rec)
	for _, step := range []error{
		os.WriteFile(filepath.Join(dir, obamaIIN+".emb"), old, 0o600),
		os.Rename(filepath.Join(dir, name+".jpg"), filepath.Join(dir, obamaIIN+".jpg")),
		os.Remove(filepath.Join(dir, name+".emb")),
		os.Remove(filepath.Join(dir, idecemu.NameKeyFile)),
		// A damaged version 1 record is left alone, counted unusable.
		os.WriteFile(filepath.Join(dir, alexIIN+".emb"), []byte(`{"version":1,"iin":"`), 0o600),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}

	var logs bytes.Buffer
	m := newEnv(t, idecemu.Config{Gallery: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.Contains(logs.String(), "persons=1 unusable=1 migrated=1") {
		t.Errorf("log:\n%s", logs.String())
	}
	if r := m.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("after migration: %d %+v %+v", r.status, r.ok, r.err)
	}
	name = idecemu.GalleryName(m.emu, obamaIIN)
	files := galleryFiles(t, dir)
	for _, want := range []string{name + ".emb", name + ".jpg", idecemu.NameKeyFile, alexIIN + ".emb"} {
		if _, ok := files[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	for f, b := range files {
		if f != alexIIN+".emb" && (strings.Contains(f, obamaIIN) || bytes.Contains(b, []byte(obamaIIN))) {
			t.Errorf("%s still carries the IIN", f)
		}
	}
	if !bytes.Equal(files[name+".jpg"], photo(t, "obama.jpg")) {
		t.Error("the photo changed")
	}
}
