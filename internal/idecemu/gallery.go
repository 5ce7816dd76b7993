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

// gallery is the folder of enrolled persons with a cache of their records
// keyed by the file they were read from. Safe for concurrent use.
type gallery struct {
	dir      string
	modelSHA string
	key      []byte // of the file names (name)

	writeMu sync.Mutex // serialises this process's enrolments

	mu    sync.Mutex
	cache map[string]cached // by IIN
}

// cached is a record with the file it came from, to notice a replacement.
type cached struct {
	info fs.FileInfo
	rec  *record // nil when the file was unusable
}

// galleryCounts is what openGallery found.
type galleryCounts struct {
	// Persons have a usable record; Unusable records do not.
	Persons, Unusable int
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
	g := &gallery{dir: dir, modelSHA: modelSHA, key: key, cache: make(map[string]cached)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, n, fmt.Errorf("emulator: reading gallery: %w", err)
	}
	for _, e := range entries {
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

// lookup returns the record of the valid IIN id: errUnknown when none is
// enrolled, errUnusable when its record cannot be used. It stats the record
// on every call and re-reads it when the file changed, so enrolments by
// another process are seen at once.
func (g *gallery) lookup(id string) (*record, error) { return g.lookupName(g.name(id)) }

// lookupName is lookup by the files' name.
func (g *gallery) lookupName(id string) (*record, error) {
	p := g.recordPath(id)
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		g.mu.Lock()
		delete(g.cache, id)
		g.mu.Unlock()
		return nil, errUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	g.mu.Lock()
	c, ok := g.cache[id]
	g.mu.Unlock()
	if !ok || !sameFile(c.info, info) {
		rec, rerr := g.read(p, id)
		if rerr != nil {
			rec = nil
		}
		c = cached{info: info, rec: rec}
		g.mu.Lock()
		g.cache[id] = c
		g.mu.Unlock()
		if rerr != nil {
			return nil, rerr
		}
	}
	if c.rec == nil {
		return nil, errUnusable
	}
	return c.rec, nil
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
