package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
)

// checkpointFile is the daemon's checkpoint file in its data folder
// (internal/daemon.CheckpointFile), where its SQLite store is too.
const checkpointFile = "evidence-checkpoints.jsonl"

// maxProblems bounds the rows whose problems are printed one by one.
const maxProblems = 20

// evidenceCheck is what verify and stats check a store with: the hash
// chain always; the checkpoints when there are any; with keys, each
// document's signature, its predecessor and its columns; with images, each
// image decrypted and compared with its digests.
type evidenceCheck struct {
	keys        document.KeySet // nil: signatures not checked
	checkpoints checkpoint.Set  // empty: the end is not anchored
	cpNote      string          // why there are no checkpoints
	images      bool            // decrypt every image (the store has the key)
	now         time.Time       // for key validity
	store       evidence.Store  // for images
	counted     func(r evidence.Record, doc *document.Document)
	problems    []string // per row: columns or images that disagree
	purged      int      // documents whose images retention dropped
	cut         string   // set when the store ends before a checkpoint
	report      evidence.VerifyReport
	badRows     map[int64]bool
}

// checkFlags adds --jwks and --checkpoints to a subcommand's flags.
func checkFlags(fs *flag.FlagSet) (jwks, checkpoints *string) {
	jwks = fs.String("jwks", "", "also verify every document's signature with these keys (a JWKS file or URL), that the predecessor it names is the chain's, and that the store's columns say what it says")
	checkpoints = fs.String("checkpoints", "", "the gateway's signed checkpoints (DATA/"+checkpointFile+"); the store must hold every position they name with the hash they signed (default: the file beside a sqlite: store, when it exists)")
	return jwks, checkpoints
}

// newEvidenceCheck loads the keys and the checkpoints of the store dsn:
// the file checkpoints, else the one beside a SQLite store (the daemon's
// data folder). Checkpoints are verified with --jwks, else with the keyring
// beside them (DATA/keys/jwks.json).
func newEvidenceCheck(jwks, checkpoints, dsn string) (*evidenceCheck, error) {
	c := &evidenceCheck{now: time.Now(), badRows: map[int64]bool{}}
	if jwks != "" {
		keys, err := loadJWKS(jwks)
		if err != nil {
			return nil, fmt.Errorf("--jwks: %w", err)
		}
		c.keys = keys
	}
	path := checkpoints
	if path == "" {
		const note = "no checkpoint file (--checkpoints): the chain's end is not anchored, documents cut off its end would go unseen"
		db, ok := strings.CutPrefix(dsn, "sqlite:")
		if !ok {
			c.cpNote = note
			return c, nil
		}
		path = filepath.Join(filepath.Dir(db), checkpointFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			c.cpNote = note
			return c, nil
		}
	}
	keys := c.keys
	if keys == nil {
		kf := filepath.Join(filepath.Dir(path), "keys", "jwks.json")
		b, err := os.ReadFile(kf)
		if err != nil {
			return nil, fmt.Errorf("checkpoints: no --jwks to verify them with, and %w", err)
		}
		if keys, err = document.ParseJWKS(b); err != nil {
			return nil, fmt.Errorf("checkpoints: %s: %w", kf, err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer f.Close()
	set, err := checkpoint.Read(f, keys, c.now)
	if err != nil {
		return nil, fmt.Errorf("checkpoints %s: %w", path, err)
	}
	if len(set) == 0 {
		c.cpNote = "the checkpoint file is empty: the chain's end is not anchored"
	}
	c.checkpoints = set
	return c, nil
}

// run verifies the store.
func (c *evidenceCheck) run(ctx context.Context, s evidence.Store) error {
	c.store = s
	rep, err := s.VerifyDocuments(ctx, func(e evidence.Entry, r evidence.Record) error { return c.entry(ctx, e, r) })
	if err != nil {
		return err
	}
	c.report = rep
	if cp, ok := c.checkpoints.Latest(); ok && rep.FirstBroken == nil && cp.Seq > rep.Checked {
		c.cut = fmt.Sprintf("the store ends at document %d, but the gateway signed at %s that the chain had %d: documents were cut off its end",
			rep.Checked, cp.Time.Format(time.RFC3339), cp.Seq)
	}
	return nil
}

// intact reports whether nothing failed.
func (c *evidenceCheck) intact() bool {
	return c.report.FirstBroken == nil && c.cut == "" && len(c.problems) == 0
}

// entry checks one entry whose hash verified: an error breaks the chain
// there; a row whose columns or images disagree is recorded and the walk
// goes on.
func (c *evidenceCheck) entry(ctx context.Context, e evidence.Entry, r evidence.Record) error {
	if cp, ok := c.checkpoints.At(e.Seq); ok && cp.Hash != e.Hash {
		return fmt.Errorf("its hash is not the one the gateway signed in its checkpoint of %s: the chain was rewritten", cp.Time.Format(time.RFC3339))
	}
	var doc *document.Document
	if c.keys != nil {
		d, err := document.Verify(string(r.Document), c.keys, c.now)
		switch {
		case err != nil:
			return fmt.Errorf("its document: %w", err)
		case d.ID != e.ID:
			return fmt.Errorf("its document: signed id %s differs from the entry's", d.ID)
		case d.PrevHash != e.PrevHash:
			return errors.New("its document: the predecessor it signed is not the chain's previous entry")
		}
		doc = d
		for _, p := range columnProblems(r, d) {
			c.problem(e, p)
		}
	}
	if c.images {
		c.checkImages(ctx, e, doc)
	}
	if c.counted != nil && !c.badRows[e.Seq] {
		c.counted(r, doc)
	}
	return nil
}

func (c *evidenceCheck) problem(e evidence.Entry, p string) {
	c.badRows[e.Seq] = true
	c.problems = append(c.problems, fmt.Sprintf("document %d (id %s): %s", e.Seq, e.ID, p))
}

// columnProblems compares the store's columns with the signed document.
func columnProblems(r evidence.Record, d *document.Document) []string {
	var ps []string
	differ := func(col, stored, signed string) {
		if stored != signed {
			ps = append(ps, fmt.Sprintf("the %s column says %q, the signed document %q", col, stored, signed))
		}
	}
	differ("decision", r.Decision, string(d.Decision))
	differ("time", r.Time.Truncate(time.Millisecond).Format(time.RFC3339Nano), d.IssuedAt.UTC().Format(time.RFC3339Nano))
	if !slices.Equal(r.Reasons, d.Reasons) {
		ps = append(ps, fmt.Sprintf("the reasons column says %q, the signed document %q", r.Reasons, d.Reasons))
	}
	differ("bin", r.BIN, d.Organization.BIN)
	differ("gateway", r.Gateway, d.Gateway.ID)
	for name, sum := range documentImages(d) {
		i := slices.IndexFunc(r.Images, func(im evidence.Image) bool { return im.Name == name })
		switch {
		case i < 0:
			ps = append(ps, fmt.Sprintf("image %q of the signed document is not in the store", name))
		case r.Images[i].SHA256 != sum:
			ps = append(ps, fmt.Sprintf("image %q: the store's digest is not the signed document's", name))
		}
	}
	return ps
}

// documentImages returns the digests of the images a document names, by
// name.
func documentImages(d *document.Document) map[string]string {
	m := map[string]string{}
	if d.BestFrame != nil {
		m[d.BestFrame.Name] = d.BestFrame.SHA256
	}
	for _, cmd := range d.Liveness.Commands {
		if cmd.Image != nil {
			m[cmd.Image.Name] = cmd.Image.SHA256
		}
	}
	return m
}

// checkImages decrypts the entry's images (which also checks them against
// the digests in its hash) and, with its signed document, against the
// digests the document signed.
func (c *evidenceCheck) checkImages(ctx context.Context, e evidence.Entry, doc *document.Document) {
	// A second read per entry, outside the walk's snapshot: images are
	// large, and the walk reads a thousand entries at a time.
	rec, _, err := c.store.Get(ctx, e.ID)
	switch {
	case errors.Is(err, evidence.ErrImagesPurged):
		c.purged++
		return
	case err != nil:
		c.problem(e, fmt.Sprintf("images: %v", err))
		return
	}
	if doc == nil {
		return
	}
	for name, sum := range documentImages(doc) {
		i := slices.IndexFunc(rec.Images, func(im evidence.Image) bool { return im.Name == name })
		if i >= 0 && evidenceSHA256(rec.Images[i].JPEG) != sum {
			c.problem(e, fmt.Sprintf("image %q does not match the digest the document signed", name))
		}
	}
}

// print writes the outcome of a check: what broke, the rows that disagree,
// what was not checked.
func (c *evidenceCheck) print(w io.Writer) {
	if b := c.report.FirstBroken; b != nil {
		id := ""
		if b.ID != "" {
			id = fmt.Sprintf(" (id %s)", b.ID)
		}
		fmt.Fprintf(w, "chain broken at document %d%s: %s\n%d documents verified before it, the head names %d\n",
			b.Seq, id, b.Reason, c.report.Checked, c.report.Head)
	}
	if c.cut != "" {
		fmt.Fprintf(w, "chain cut: %s\n", c.cut)
	}
	for i, p := range c.problems {
		if i == maxProblems {
			fmt.Fprintf(w, "... and %d more\n", len(c.problems)-maxProblems)
			break
		}
		fmt.Fprintln(w, p)
	}
	if c.cpNote != "" {
		fmt.Fprintf(w, "note: %s\n", c.cpNote)
	}
}

// summary says what the intact store was checked with.
func (c *evidenceCheck) summary() string {
	s := ""
	if cp, ok := c.checkpoints.Latest(); ok {
		s += fmt.Sprintf(", anchored by the checkpoint of %s (%s)", cp.Time.Format(time.RFC3339), documents(cp.Seq))
	}
	if c.keys != nil {
		s += ", every signature valid and every row as signed"
	}
	if c.images {
		s += ", every image as recorded"
		if c.purged > 0 {
			s += fmt.Sprintf(" (%d documents' images purged by retention)", c.purged)
		}
	}
	return s
}

// verifiedWith names what stats' counts were verified with.
func (c *evidenceCheck) verifiedWith() string {
	s := "the hash chain"
	if len(c.checkpoints) > 0 {
		s += ", the checkpoints"
	}
	if c.keys != nil {
		s += ", the signatures"
	} else {
		s += " (no --jwks: signatures not checked)"
	}
	return s
}

// documents is "1 document" or "n documents".
func documents(n int64) string {
	if n == 1 {
		return "1 document"
	}
	return fmt.Sprintf("%d documents", n)
}
