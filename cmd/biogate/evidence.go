package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

const evidenceUsage = `usage: biogate evidence verify [--store DSN] [--checkpoints FILE] [--jwks JWKS] [--images [--key FILE]]
       biogate evidence stats --from DATE --to DATE [--store DSN] [--checkpoints FILE] [--jwks JWKS] [--json]
       biogate evidence export --id ID --out DIR [--store DSN] [--key FILE]

The store is --store, else $BIOGATE_EVIDENCE, else sqlite:data/evidence.db
(sqlite:PATH or postgres://...). DATE is 2006-01-02 (a whole day, UTC; --to
included) or RFC 3339 (--to excluded). verify exits 1 when the chain is
broken, shorter than or different from a signed checkpoint, or a row or an
image disagrees with its signed document; stats counts only the documents
that verify, and exits 1 when some of the range did not.`

const (
	defaultEvidenceStore = "sqlite:data/evidence.db"
	defaultEvidenceKey   = "data/evidence.key"
)

func runEvidence(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, evidenceUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "verify":
		return runEvidenceVerify(args[1:], stdout, stderr)
	case "stats":
		return runEvidenceStats(args[1:], stdout, stderr)
	case "export":
		return runEvidenceExport(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "biogate evidence: unknown command %q\n%s\n", args[0], evidenceUsage)
	return exitUsage
}

// evidenceFlags is a subcommand's flag set with the --store flag.
func evidenceFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("evidence "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("BIOGATE_EVIDENCE", defaultEvidenceStore), "the evidence store, sqlite:PATH or postgres://... (default $BIOGATE_EVIDENCE, else sqlite:data/evidence.db)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, evidenceUsage)
		fs.PrintDefaults()
	}
	return fs, store
}

// parseEvidenceFlags parses args; code is >= 0 when the command should end
// with it.
func parseEvidenceFlags(fs *flag.FlagSet, args []string) (code int) {
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	return -1
}

// openEvidence opens an existing store: an operator's tool must not create
// an empty SQLite file where the daemon's store was expected.
func openEvidence(ctx context.Context, dsn string, key []byte) (evidence.Store, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no evidence store at %s: %w", path, err)
		}
	}
	return evidence.Open(ctx, dsn, evidence.Options{ImageKey: key})
}

func evidenceContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runEvidenceVerify(args []string, stdout, stderr io.Writer) int {
	fs, dsn := evidenceFlags("verify", stderr)
	jwks, checkpoints := checkFlags(fs)
	images := fs.Bool("images", false, "also decrypt every image (with --key) and check it against its digests, and the signed document's with --jwks")
	keyFile := fs.String("key", defaultEvidenceKey, "the image key file, for --images")
	if code := parseEvidenceFlags(fs, args); code >= 0 {
		return code
	}
	c, err := newEvidenceCheck(*jwks, *checkpoints, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence verify: %v\n", err)
		return exitFailure
	}
	var key []byte
	if *images {
		if key, err = evidence.ReadKey(*keyFile); err != nil {
			fmt.Fprintf(stderr, "biogate evidence verify: --images: %v\n", err)
			return exitFailure
		}
		c.images = true
	}
	ctx, stop := evidenceContext()
	defer stop()
	s, err := openEvidence(ctx, *dsn, key)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence verify: %v\n", err)
		return exitFailure
	}
	defer s.Close()
	if err := c.run(ctx, s); err != nil {
		fmt.Fprintf(stderr, "biogate evidence verify: %v\n", err)
		return exitFailure
	}
	if !c.intact() {
		c.print(stdout)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s, chain intact%s\n", documents(c.report.Checked), c.summary())
	c.print(stdout) // the notes
	return exitOK
}

// evidenceStats is what `biogate evidence stats --json` prints.
type evidenceStats struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"` // excluded
	Attempts  int64     `json:"attempts"`
	Matches   int64     `json:"matches"`
	NoMatch   int64     `json:"no_matches"`
	Spoofs    int64     `json:"spoofs_detected"`
	Refused   int64     `json:"refusals"`
	LockedOut int64     `json:"lockouts"`
	Errors    int64     `json:"errors"`
	Other     int64     `json:"other,omitempty"`
	// Unverified counts the documents of the range the store holds that
	// did not verify (after a break in the chain, or whose columns or
	// images disagree with their signed document): they are in none of the
	// counts above.
	Unverified int64 `json:"unverified"`
	// SignaturesChecked says the counts come from signed documents whose
	// signatures verified (--jwks), not from the store's columns alone.
	SignaturesChecked bool `json:"signatures_checked"`
	// Anchored says the chain's end was checked against the gateway's
	// signed checkpoints.
	Anchored bool `json:"anchored"`
}

func runEvidenceStats(args []string, stdout, stderr io.Writer) int {
	fs, dsn := evidenceFlags("stats", stderr)
	fromFlag := fs.String("from", "", "first day (2006-01-02, UTC) or instant (RFC 3339)")
	toFlag := fs.String("to", "", "last day, included (2006-01-02, UTC), or end instant, excluded (RFC 3339)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	jwks, checkpoints := checkFlags(fs)
	if code := parseEvidenceFlags(fs, args); code >= 0 {
		return code
	}
	if *fromFlag == "" || *toFlag == "" {
		fs.Usage()
		return exitUsage
	}
	from, err := parseEvidenceDate(*fromFlag, false)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: --from: %v\n", err)
		return exitUsage
	}
	to, err := parseEvidenceDate(*toFlag, true)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: --to: %v\n", err)
		return exitUsage
	}
	if !to.After(from) {
		fmt.Fprintln(stderr, "biogate evidence stats: --to is not after --from")
		return exitUsage
	}
	c, err := newEvidenceCheck(*jwks, *checkpoints, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: %v\n", err)
		return exitFailure
	}
	// Only verified documents are counted: the walk hands each one whose
	// hash, checkpoint and (with --jwks) signature and columns hold.
	st := evidence.Stats{From: from, To: to}
	c.counted = func(r evidence.Record, doc *document.Document) {
		switch {
		case r.Time.Before(from) || !r.Time.Before(to):
		case doc != nil:
			st.Add(string(doc.Decision), doc.Reasons)
		default:
			st.Add(r.Decision, r.Reasons)
		}
	}
	ctx, stop := evidenceContext()
	defer stop()
	s, err := openEvidence(ctx, *dsn, nil)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: %v\n", err)
		return exitFailure
	}
	defer s.Close()
	if err := c.run(ctx, s); err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: %v\n", err)
		return exitFailure
	}
	all, err := s.Stats(ctx, from, to) // every document of the range, verified or not
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence stats: %v\n", err)
		return exitFailure
	}
	rep := evidenceStats{From: from.UTC(), To: to.UTC(), Attempts: st.Attempts, Matches: st.Matches, NoMatch: st.NoMatch,
		Spoofs: st.Spoofs, Refused: st.Refused, LockedOut: st.LockedOut, Errors: st.Errors, Other: st.Other,
		Unverified: all.Attempts - st.Attempts, SignaturesChecked: c.keys != nil, Anchored: len(c.checkpoints) > 0}
	code := exitOK
	if !c.intact() || rep.Unverified > 0 {
		code = exitFailure
		fmt.Fprintf(stderr, "biogate evidence stats: %d documents of the range did not verify and are not counted:\n", rep.Unverified)
		c.print(stderr)
	} else if c.cpNote != "" {
		fmt.Fprintf(stderr, "biogate evidence stats: note: %s\n", c.cpNote)
	}
	if !rep.SignaturesChecked {
		fmt.Fprintln(stderr, "biogate evidence stats: note: without --jwks the counts come from the store's columns, not from the signed documents")
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return code
	}
	fmt.Fprintf(stdout, "from             %s\nto (excluded)    %s\n", rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339))
	for _, l := range []struct {
		name string
		n    int64
	}{
		{"attempts", rep.Attempts}, {"matches", rep.Matches}, {"no matches", rep.NoMatch}, {"spoofs detected", rep.Spoofs},
		{"refusals", rep.Refused}, {"lockouts", rep.LockedOut}, {"errors", rep.Errors},
	} {
		fmt.Fprintf(stdout, "%-16s %d\n", l.name, l.n)
	}
	if rep.Other > 0 {
		fmt.Fprintf(stdout, "%-16s %d\n", "other", rep.Other)
	}
	fmt.Fprintf(stdout, "%-16s %d\n", "unverified", rep.Unverified)
	fmt.Fprintf(stdout, "%-16s %s\n", "verified with", c.verifiedWith())
	return code
}

// parseEvidenceDate reads 2006-01-02 as the start of that day in UTC (the
// start of the next day when end, so the day is included) or an RFC 3339
// instant.
func parseEvidenceDate(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want 2006-01-02 or RFC 3339", s)
	}
	return t, nil
}

// evidenceManifest is the manifest.json `biogate evidence export` writes.
type evidenceManifest struct {
	ID       string          `json:"id"`
	Seq      int64           `json:"seq"`
	Hash     string          `json:"hash"`
	PrevHash string          `json:"prev_hash"`
	Time     time.Time       `json:"time"`
	Decision string          `json:"decision"`
	Reasons  []string        `json:"reasons,omitempty"`
	BIN      string          `json:"bin"`
	Gateway  string          `json:"gateway"`
	Document exportedFile    `json:"document"`
	Images   []exportedImage `json:"images"`
	// ImagesPurged is when retention dropped the images: their names and
	// digests are listed, without files.
	ImagesPurged time.Time `json:"images_purged,omitzero"`
}

type exportedFile struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

type exportedImage struct {
	Name   string `json:"name"`
	File   string `json:"file,omitempty"`
	SHA256 string `json:"sha256"`
}

func runEvidenceExport(args []string, stdout, stderr io.Writer) int {
	fs, dsn := evidenceFlags("export", stderr)
	id := fs.String("id", "", "the document id")
	out := fs.String("out", "", "folder to write document.jws, the images and manifest.json into (created, mode 0700)")
	keyFile := fs.String("key", defaultEvidenceKey, "the image key file")
	if code := parseEvidenceFlags(fs, args); code >= 0 {
		return code
	}
	if *id == "" || *out == "" {
		fs.Usage()
		return exitUsage
	}
	key, err := evidence.ReadKey(*keyFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "biogate evidence export: %v\n", err)
		return exitFailure
	}
	ctx, stop := evidenceContext()
	defer stop()
	s, err := openEvidence(ctx, *dsn, key)
	if err != nil {
		fmt.Fprintf(stderr, "biogate evidence export: %v\n", err)
		return exitFailure
	}
	defer s.Close()
	rec, e, err := s.Get(ctx, *id)
	purged := errors.Is(err, evidence.ErrImagesPurged)
	if errors.Is(err, evidence.ErrNoKey) {
		err = fmt.Errorf("%w: no key file %s (--key)", err, *keyFile)
	}
	if err != nil && !purged {
		fmt.Fprintf(stderr, "biogate evidence export: %v\n", err)
		return exitFailure
	}
	m := evidenceManifest{ID: rec.ID, Seq: e.Seq, Hash: e.Hash, PrevHash: e.PrevHash, Time: rec.Time, Decision: rec.Decision,
		Reasons: rec.Reasons, BIN: rec.BIN, Gateway: rec.Gateway, ImagesPurged: e.Purged,
		Document: exportedFile{File: "document.jws", SHA256: evidenceSHA256(rec.Document)}, Images: []exportedImage{}}
	files := map[string][]byte{"document.jws": rec.Document}
	for i, im := range rec.Images {
		ei := exportedImage{Name: im.Name, SHA256: im.SHA256}
		if im.JPEG != nil {
			ei.File = fmt.Sprintf("image-%d-%s.jpg", i+1, evidenceFileName(im.Name))
			files[ei.File] = im.JPEG
		}
		m.Images = append(m.Images, ei)
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	files["manifest.json"] = append(mb, '\n')
	if err := os.MkdirAll(*out, 0o700); err != nil {
		fmt.Fprintf(stderr, "biogate evidence export: %v\n", err)
		return exitFailure
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o600); err != nil {
			fmt.Fprintf(stderr, "biogate evidence export: %v\n", err)
			return exitFailure
		}
	}
	fmt.Fprintf(stdout, "document %d (id %s) written to %s: document.jws, %d image(s), manifest.json\n", e.Seq, rec.ID, *out, len(files)-2)
	if purged {
		fmt.Fprintf(stderr, "biogate evidence export: the images of %s were purged by retention on %s; the manifest lists their digests\n",
			rec.ID, e.Purged.Format(time.DateOnly))
	}
	return exitOK
}

// evidenceFileName keeps letters, digits, '-' and '_' of an image name.
func evidenceFileName(name string) string {
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

func evidenceSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
