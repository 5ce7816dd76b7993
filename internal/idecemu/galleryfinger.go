package idecemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/biogate/biogate/fingerprint"
	fprecord "github.com/biogate/biogate/fingerprint/record" // as "record" is the photo record type
)

// Fingerprints in the gallery: one file per person and finger,
// <name>.f<position>.fmr (position 1-10, ISO/IEC 19794 numbering), holding
// the template made at enrolment as an ISO/IEC 19794-2:2005 finger
// minutiae record with one finger view of that position, at 500 ppi. It is
// a standard record, readable by other tools, and like the photo records
// it holds no IIN, is written atomically and is readable by its owner
// only.

// maxFingerFileBytes bounds a fingerprint file: a record of 255 minutiae,
// the most one view holds, is about 1.6 KB.
const maxFingerFileBytes = 64 << 10

// fingerFile is the file name of the finger pos of the person named name.
func fingerFile(name string, pos int) string {
	return name + ".f" + strconv.Itoa(pos) + ".fmr"
}

// parseFingerFile is fingerFile's inverse; ok is false for another file.
func parseFingerFile(file string) (name string, pos int, ok bool) {
	stem, ok := strings.CutSuffix(file, ".fmr")
	if !ok {
		return "", 0, false
	}
	name, p, ok := strings.Cut(stem, ".f")
	if !ok || !isName(name) {
		return "", 0, false
	}
	pos, err := strconv.Atoi(p)
	if err != nil || pos < 1 || pos > 10 || strconv.Itoa(pos) != p {
		return "", 0, false
	}
	return name, pos, true
}

// lookupFinger returns the enrolled template of finger pos (1-10) of the
// valid IIN id: errUnknown when nothing at all is enrolled for the IIN,
// errNoReference when the person is enrolled (a photo, other fingers) but
// not with this finger, errUnusable when its file cannot be used. Like
// lookup it stats the file on every call and re-reads a changed one.
func (g *gallery) lookupFinger(id string, pos int) (*fingerprint.Template, error) {
	name := g.name(id)
	t, err := g.lookupFingerName(name, pos)
	if errors.Is(err, errUnknown) && g.known(name) {
		return nil, errNoReference
	}
	return t, err
}

// lookupFingerName is lookupFinger by the files' name, errUnknown for a
// missing file.
func (g *gallery) lookupFingerName(name string, pos int) (*fingerprint.Template, error) {
	file := fingerFile(name, pos)
	return g.fingers.get(file, filepath.Join(g.dir, file), func(p string) (*fingerprint.Template, error) {
		return readFinger(p, pos)
	})
}

// known reports whether anything is enrolled under name: a photo record
// or a fingerprint of any finger (at most 11 stats, on the path of a miss
// only).
func (g *gallery) known(name string) bool {
	if _, err := os.Stat(g.recordPath(name)); err == nil {
		return true
	}
	for pos := 1; pos <= 10; pos++ {
		if _, err := os.Stat(filepath.Join(g.dir, fingerFile(name, pos))); err == nil {
			return true
		}
	}
	return false
}

// readFinger reads the fingerprint file p of finger pos. Its errors wrap
// errUnusable.
func readFinger(p string, pos int) (*fingerprint.Template, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	if len(b) > maxFingerFileBytes {
		return nil, fmt.Errorf("%w: %d bytes", errUnusable, len(b))
	}
	rec, err := fprecord.DecodeISO19794_2(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	// The view names the finger, so a file renamed to another finger's name
	// is not taken for it.
	if len(rec.Views) != 1 || int(rec.Views[0].Position) != pos {
		return nil, fmt.Errorf("%w: not a record of finger %d alone", errUnusable, pos)
	}
	t, err := fingerprint.TemplateFromRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	}
	return t, nil
}

// storeFinger writes t as the template of finger pos (1-10) of the valid
// IIN id, replacing any earlier one, as an ISO/IEC 19794-2 record with the
// given quality (0-100), atomically (writeAtomic: 0600, synced, renamed).
// A person's photo and other fingers are left as they are.
func (g *gallery) storeFinger(id string, pos int, t *fingerprint.Template, quality int) error {
	b, err := t.MinutiaeRecord(fprecord.ISO19794_2_2005, pos, quality)
	if err != nil {
		return fmt.Errorf("emulator: encoding the template: %w", err)
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if err := writeAtomic(g.dir, fingerFile(g.name(id), pos), b); err != nil {
		return err
	}
	return syncDir(g.dir)
}
