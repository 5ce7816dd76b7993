package idecemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/models"
)

// recordVersion is the version of the <name>.emb format written here.
// Version 1 named the files by the IIN and held it in "iin"; openGallery
// migrates such records (gallery.migrate).
const recordVersion = 2

// record is the content of <name>.emb, name being the keyed hash of the
// person's IIN (gallery.name): the embedding of the person's reference
// photo and what it was computed from. It is biometric data.
type record struct {
	Version int `json:"version"`
	// Subject repeats the file's name, so a renamed file is detected.
	Subject string `json:"subject,omitempty"`
	// IIN is version 1's Subject: the IIN in clear. Never written now.
	IIN string `json:"iin,omitempty"`
	// Model and ModelSHA256 name the embedder: a record made by another
	// model is not comparable and counts as no usable reference photo.
	Model       string           `json:"model"`
	ModelSHA256 string           `json:"model_sha256"`
	Embedding   models.Embedding `json:"embedding"`
	// Photo is the reference photo's file name beside the record, and
	// PhotoSHA256 its digest (which photo this embedding was made from).
	Photo       string    `json:"photo"`
	PhotoSHA256 string    `json:"photo_sha256"`
	Enrolled    time.Time `json:"enrolled"`
}

// errUnusable means a record exists but cannot be used (unreadable, damaged,
// or made by another model): the person has no usable reference photo.
var errUnusable = errors.New("emulator: reference record unusable")

// errNoReference means the person is enrolled, but not with a reference of
// the kind asked for (a fingerprint but no photo, a photo or other fingers
// but not this one).
var errNoReference = errors.New("emulator: no reference of this kind")

// gallery is the folder of enrolled persons with a cache of their records
// keyed by the file they were read from. Safe for concurrent use.
type gallery struct {
	dir      string
	modelSHA string
	key      []byte // of the file names (name)

	writeMu sync.Mutex // serialises this process's enrolments

	records fileCache[*record]               // the .emb records, by name
	fingers fileCache[*fingerprint.Template] // the .fmr records, by file name
}

// galleryCounts is what openGallery found.
type galleryCounts struct {
	// Persons have a usable record; Unusable records do not.
	Persons, Unusable int
	// Fingers are usable fingerprint records (of any person and finger);
	// UnusableFingers are not.
	Fingers, UnusableFingers int
	// Migrated enrolments were named by the IIN (version 1) and are now
	// named by its keyed hash.
	Migrated int
}

// openGallery creates dir (0700) when missing, loads the key of the file
// names from keyFile (creating it when missing; "" is dir/NameKeyFile),
// migrates enrolments named by the IIN, and reads every record.
func openGallery(dir, keyFile, modelSHA string) (*gallery, galleryCounts, error) {
	var n galleryCounts
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, n, fmt.Errorf("emulator: creating gallery: %w", err)
	}
	if keyFile == "" {
		keyFile = filepath.Join(dir, NameKeyFile)
	}
	key, err := loadNameKey(keyFile)
	if err != nil {
		return nil, n, err
	}
	g := &gallery{dir: dir, modelSHA: modelSHA, key: key}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, n, fmt.Errorf("emulator: reading gallery: %w", err)
	}
	for _, e := range entries {
		if name, pos, ok := parseFingerFile(e.Name()); ok && !e.IsDir() {
			if _, err := g.lookupFingerName(name, pos); err != nil {
				n.UnusableFingers++
			} else {
				n.Fingers++
			}
			continue
		}
		stem, ok := strings.CutSuffix(e.Name(), ".emb")
		if !ok || e.IsDir() {
			continue
		}
		if _, err := iin.Parse(stem); err == nil {
			if err := g.migrate(stem); err != nil {
				if !errors.Is(err, errUnusable) {
					return nil, n, err
				}
				n.Unusable++
				continue
			}
			n.Migrated++
			stem = g.name(stem)
		}
		if !isName(stem) {
			continue // not ours (a stray file); lookups never ask for it
		}
		if _, err := g.lookupName(stem); err != nil {
			n.Unusable++
			continue
		}
		n.Persons++
	}
	return g, n, nil
}

func (g *gallery) recordPath(name string) string { return filepath.Join(g.dir, name+".emb") }

// lookup returns the record of the valid IIN id: errUnknown when nothing
// at all is enrolled for it, errNoReference when only fingerprints are,
// errUnusable when its record cannot be used. It stats the record on every
// call and re-reads it when the file changed, so enrolments by another
// process are seen at once.
func (g *gallery) lookup(id string) (*record, error) {
	name := g.name(id)
	rec, err := g.lookupName(name)
	if errors.Is(err, errUnknown) && g.known(name) {
		return nil, errNoReference
	}
	return rec, err
}

// lookupName is lookup by the files' name, without telling errUnknown and
// errNoReference apart (errUnknown for both).
func (g *gallery) lookupName(name string) (*record, error) {
	return g.records.get(name, g.recordPath(name), func(p string) (*record, error) { return g.read(p, name) })
}

// fileCache remembers what was read from files, by key, with the state of
// the file it was read from (sameFile), so that a file replaced by a
// rename or rewritten is read again and a removed one is forgotten. The
// zero value is ready; safe for concurrent use.
type fileCache[T any] struct {
	mu sync.Mutex
	m  map[string]cachedFile[T]
}

// cachedFile is what read returned for a file in the state info.
type cachedFile[T any] struct {
	info fs.FileInfo
	v    T
	err  error
}

// get returns read(path), from the cache when the file at path is still
// the one it was read from (one stat per call). A missing file is
// errUnknown, a file that cannot be stat'ed errUnusable; read's errors are
// cached with the file's state like its values.
func (c *fileCache[T]) get(key, path string, read func(path string) (T, error)) (T, error) {
	var zero T
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.mu.Lock()
		delete(c.m, key)
		c.mu.Unlock()
		return zero, errUnknown
	}
	if err != nil {
		return zero, fmt.Errorf("%w: %v", errUnusable, err)
	}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !sameFile(e.info, info) {
		v, err := read(path)
		e = cachedFile[T]{info: info, v: v, err: err}
		if err != nil {
			e.v = zero
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = make(map[string]cachedFile[T])
		}
		c.m[key] = e
		c.mu.Unlock()
	}
	return e.v, e.err
}

// sameFile reports whether b is the file a was: the same inode (a rename
// over it makes a new one), size and modification time.
func sameFile(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// maxRecordBytes bounds a record file; a real one is about 2.5 KB.
const maxRecordBytes = 64 << 10

func (g *gallery) read(p, id string) (*record, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	if len(b) > maxRecordBytes {
		return nil, fmt.Errorf("%w: %d bytes", errUnusable, len(b))
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	switch {
	case r.Version != recordVersion:
		return nil, fmt.Errorf("%w: version %d", errUnusable, r.Version)
	case r.Subject != id || r.IIN != "":
		return nil, fmt.Errorf("%w: record of another IIN", errUnusable)
	case r.Model != models.MobileFaceNet || r.ModelSHA256 != g.modelSHA:
		return nil, fmt.Errorf("%w: made by another model; enrol again", errUnusable)
	}
	return &r, nil
}

// store writes the photo (as given) and then the record of the IIN id,
// under its keyed name, each to a temporary file (0600) that is synced and
// renamed into place, so that a reader sees the old enrolment or the new
// one, never a part. The record goes last: it is what makes the person
// enrolled.
func (g *gallery) store(id string, photo []byte, ext string, emb models.Embedding, now time.Time) error {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	sum := sha256.Sum256(photo)
	id = g.name(id)
	rec := record{
		Version:     recordVersion,
		Subject:     id,
		Model:       models.MobileFaceNet,
		ModelSHA256: g.modelSHA,
		Embedding:   emb,
		Photo:       id + ext,
		PhotoSHA256: hex.EncodeToString(sum[:]),
		Enrolled:    now.UTC(),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := writeAtomic(g.dir, rec.Photo, photo); err != nil {
		return err
	}
	// A photo of the other format from an earlier enrolment is stale now.
	for _, other := range []string{".jpg", ".png"} {
		if other != ext {
			os.Remove(filepath.Join(g.dir, id+other))
		}
	}
	if err := writeAtomic(g.dir, id+".emb", b); err != nil {
		return err
	}
	return syncDir(g.dir)
}

// writeAtomic writes data to dir/name through a synced temporary file
// (created 0600) and a rename.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	ok = true
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("emulator: writing gallery: %w", err)
	}
	return nil
}
