package main

// biogate finger quality|template|match|eval: the fingerprint pipeline by
// hand, for operators and for scripts (the JSON forms are stable).

import (
	"bytes"
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

	_ "golang.org/x/image/bmp"  // fingerprint images: BMP
	_ "golang.org/x/image/tiff" // and TIFF, the FVC sets' own format

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/outcome"
)

// fingerEvalReport is `biogate finger eval --json`: one entry per database
// and, with more than one, their mean.
type fingerEvalReport struct {
	Databases []*fingerprint.Evaluation `json:"databases"`
	Mean      *fingerEvalMean           `json:"mean,omitempty"`
}

type fingerEvalMean struct {
	EER     float64 `json:"eer"`
	FMR100  float64 `json:"fmr100"`
	FMR1000 float64 `json:"fmr1000"`
	ZeroFMR float64 `json:"zero_fmr"`
}

func runFingerEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbs stringList
	fs.Var(&dbs, "db", "a database folder of <finger>_<impression>.<png|tif|bmp|jpg|wsq> images, FVC layout (repeat for several)")
	ppi := fs.Int("ppi", fingerprint.PPI, "the images' resolution in pixels per inch (FVC2002 DB2 is 569); DIR=PPI in --db overrides it per folder, e.g. --db DB2_B=569")
	asJSON := fs.Bool("json", false, "print one JSON report on stdout instead of text")
	plot := fs.String("plot", "", "also draw each genuine comparison's score against its quality and the error-versus-reject curves into this SVG file")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if len(dbs) == 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: biogate finger eval --db DIR[=PPI] [--db DIR[=PPI]...] [--ppi N] [--plot FILE.svg] [--json]")
		fs.PrintDefaults()
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var rep fingerEvalReport
	for _, db := range dbs {
		dir, res := db, *ppi
		if d, p, ok := strings.Cut(db, "="); ok {
			if _, err := fmt.Sscan(p, &res); err != nil {
				fmt.Fprintf(stderr, "biogate finger eval: --db %s: the resolution after = is not a number\n", db)
				return exitUsage
			}
			dir = d
		}
		ev, err := fingerprint.Evaluate(ctx, dir, res)
		if err != nil {
			fmt.Fprintf(stderr, "biogate finger eval: %v\n", err)
			return exitFailure
		}
		rep.Databases = append(rep.Databases, ev)
	}
	if *plot != "" {
		f, err := os.Create(*plot)
		if err == nil {
			err = writePlot(f, rep.Databases)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "biogate finger eval: --plot: %v\n", err)
			return exitFailure
		}
	}
	if n := float64(len(rep.Databases)); n > 1 {
		rep.Mean = &fingerEvalMean{}
		for _, ev := range rep.Databases {
			rep.Mean.EER += ev.EER / n
			rep.Mean.FMR100 += ev.FMR100 / n
			rep.Mean.FMR1000 += ev.FMR1000 / n
			rep.Mean.ZeroFMR += ev.ZeroFMR / n
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return exitFailure
		}
		return exitOK
	}
	pct := func(f float64) string { return fmt.Sprintf("%6.2f%%", 100*f) }
	fmt.Fprintf(stdout, "%-28s %7s %7s %8s %8s %8s  %s\n", "database", "images", "EER", "FMR100", "FMR1000", "ZeroFMR", "extract / compare")
	for _, ev := range rep.Databases {
		fmt.Fprintf(stdout, "%-28s %7d %7s %8s %8s %8s  %.1f ms / %.2f ms\n", shortPath(ev.Dir, 28), ev.Images,
			pct(ev.EER), pct(ev.FMR100), pct(ev.FMR1000), pct(ev.ZeroFMR),
			float64(ev.ExtractTime.Microseconds())/1000, float64(ev.CompareTime.Microseconds())/1000)
	}
	if m := rep.Mean; m != nil {
		fmt.Fprintf(stdout, "%-28s %7s %7s %8s %8s %8s\n", "mean", "", pct(m.EER), pct(m.FMR100), pct(m.FMR1000), pct(m.ZeroFMR))
	}
	for _, ev := range rep.Databases {
		fmt.Fprintf(stdout, "%s: %d genuine, %d impostor comparisons, %d failed to extract; at the threshold %.2f: FNMR %s, FMR %s\n",
			shortPath(ev.Dir, 28), ev.GenuineCount, ev.ImpostorCount, ev.FailedToExtract, ev.Threshold, strings.TrimSpace(pct(ev.FNMRAtThreshold)), strings.TrimSpace(pct(ev.FMRAtThreshold)))
		var erc []string
		for _, p := range ev.ERC {
			erc = append(erc, fmt.Sprintf("%.0f%%: %s", 100*p.Rejected, strings.TrimSpace(pct(p.FNMR))))
		}
		fmt.Fprintf(stdout, "  error versus reject (lowest quality rejected: FNMR): %s\n", strings.Join(erc, ", "))
	}
	return exitOK
}

// fingerQualityReport is one image of `biogate finger quality --json`:
// scores and feature values, no pixels.
type fingerQualityReport struct {
	File  string `json:"file"`
	Score int    `json:"score"`
	Hint  string `json:"hint"`
	// AreaMM2 is the finger's area on the sensor, square millimetres.
	AreaMM2    float64 `json:"area_mm2"`
	Foreground float64 `json:"foreground"`
	OCL        float64 `json:"ocl"`
	LCS        float64 `json:"lcs"`
	FDA        float64 `json:"fda"`
	RVU        float64 `json:"rvu"`
	OF         float64 `json:"of"`
	Error      string  `json:"error,omitempty"`
}

func runFingerQuality(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger quality", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ppi := fs.Int("ppi", fingerprint.PPI, "the images' resolution in pixels per inch")
	asJSON := fs.Bool("json", false, "print a JSON array instead of text")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil || len(pos) == 0 {
		fmt.Fprintln(stderr, "usage: biogate finger quality IMAGE... [--ppi N] [--json]\n\nScore 0-100 (NFIQ 2's features, not its trained model) and the hint a person can act on:\nno_finger, off_centre, too_small, press_harder, press_lighter, dry_or_wet, or none.")
		fs.PrintDefaults()
		return exitUsage
	}
	code := exitOK
	var reps []fingerQualityReport
	for _, p := range pos {
		rep := fingerQualityReport{File: p}
		img, err := fingerprint.ReadImage(p)
		if err == nil {
			img.PPI = *ppi
			var q fingerprint.Quality
			if q, err = fingerprint.Assess(img, fingerprint.QualityConfig{}); err == nil {
				rep.Score, rep.Hint, rep.AreaMM2, rep.Foreground = q.Score, string(q.Hint), q.Area, q.Foreground
				rep.OCL, rep.LCS, rep.FDA, rep.RVU, rep.OF = q.OCL, q.LCS, q.FDA, q.RVU, q.OF
			}
		}
		if err != nil {
			rep.Error = err.Error()
			code = exitFailure
		}
		reps = append(reps, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reps); err != nil {
			return exitFailure
		}
		return code
	}
	for _, r := range reps {
		switch {
		case r.Error != "":
			fmt.Fprintf(stderr, "biogate finger quality: %s\n", r.Error)
		case r.Hint != "":
			fmt.Fprintf(stdout, "%s: quality %d, %s (%.0f mm²)\n", r.File, r.Score, r.Hint, r.AreaMM2)
		default:
			fmt.Fprintf(stdout, "%s: quality %d (%.0f mm²)\n", r.File, r.Score, r.AreaMM2)
		}
	}
	return code
}

// shortPath keeps the end of a path that is longer than n.
func shortPath(p string, n int) string {
	if len(p) <= n {
		return p
	}
	return "…" + p[len(p)-n+1:]
}

// fingerMatchReport is `biogate finger match --json`. It carries scores
// and counts only, no minutiae.
type fingerMatchReport struct {
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Decision  string  `json:"decision"` // "match" or "no_match"
	MinutiaeA int     `json:"minutiae_a"`
	MinutiaeB int     `json:"minutiae_b"`
}

func runFingerMatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ppi := fs.Int("ppi", fingerprint.PPI, "the images' resolution in pixels per inch (templates carry their own)")
	threshold := fs.Float64("threshold", fingerprint.DefaultThreshold, "score at or above which the two are the same finger (18.22: FMR 1/100, 22.39: 1/1000, 27.24: 1/10000)")
	asJSON := fs.Bool("json", false, "print one JSON report on stdout instead of text")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil || len(pos) != 2 {
		fmt.Fprintln(stderr, "usage: biogate finger match A B [--ppi N] [--threshold T] [--json]\n\nA and B: fingerprint images (PNG, TIFF, BMP, JPEG, WSQ, an ISO/IEC 19794-4 record) or minutiae templates (ISO/IEC 19794-2, ANSI INCITS 378).")
		fs.PrintDefaults()
		return exitUsage
	}
	var ts [2]*fingerprint.Template
	for i, p := range pos {
		if ts[i], err = loadTemplate(p, *ppi); err != nil {
			fmt.Fprintf(stderr, "biogate finger match: %v\n", err)
			return exitFailure
		}
	}
	score, err := fingerprint.Compare(ts[0], ts[1])
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger match: %v\n", err)
		return exitFailure
	}
	rep := fingerMatchReport{Score: score, Threshold: *threshold, Decision: "no_match", MinutiaeA: len(ts[0].Minutiae), MinutiaeB: len(ts[1].Minutiae)}
	if score >= *threshold {
		rep.Decision = "match"
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return exitFailure
		}
	} else {
		fmt.Fprintf(stdout, "%s: score %.2f (threshold %.2f; %d and %d minutiae)\n", rep.Decision, rep.Score, rep.Threshold, rep.MinutiaeA, rep.MinutiaeB)
	}
	if rep.Decision != "match" {
		return exitNoResult
	}
	return exitOK
}

// loadTemplate reads a file as a minutiae record (ISO/IEC 19794-2, ANSI
// 378) if it is one, else as an image (an ISO/IEC 19794-4 record or an
// image file) from which it extracts a template.
func loadTemplate(path string, ppi int) (*fingerprint.Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var img *devices.FingerprintImage
	switch {
	case bytes.HasPrefix(b, []byte("FMR\x00")):
		t, err := fingerprint.TemplateFromRecord(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	case bytes.HasPrefix(b, []byte("FIR\x00")):
		if img, err = fingerprint.DecodeImageRecord(b); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	default:
		if img, err = fingerprint.DecodeImage(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		img.PPI = ppi
	}
	t, err := fingerprint.Extract(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// fingerTemplateReport is `biogate finger template --json`: no minutiae.
type fingerTemplateReport struct {
	Out      string `json:"out"`
	Format   string `json:"format"`
	Bytes    int    `json:"bytes"`
	Minutiae int    `json:"minutiae"`
	Quality  int    `json:"quality"`
	SHA256   string `json:"sha256"`
}

func runFingerTemplate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger template", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the record to this file (required)")
	format := fs.String("format", "iso19794-2", "iso19794-2 (ISO/IEC 19794-2:2005) or ansi378 (ANSI INCITS 378-2004)")
	position := fs.String("finger", "", "the finger (right_thumb ... left_little) recorded in the view; default unknown")
	ppi := fs.Int("ppi", fingerprint.PPI, "the image's resolution in pixels per inch")
	asJSON := fs.Bool("json", false, "print one JSON report on stdout instead of text")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	formats := map[string]record.Format{"iso19794-2": record.ISO19794_2_2005, "ansi378": record.ANSI378_2004}
	f, okFormat := formats[*format]
	code := outcome.Finger(*position).Code()
	if err != nil || len(pos) != 1 || *out == "" || !okFormat || (*position != "" && code == 0) {
		fmt.Fprintln(stderr, "usage: biogate finger template IMAGE --out FILE [--format iso19794-2|ansi378] [--finger NAME] [--ppi N] [--json]")
		fs.PrintDefaults()
		return exitUsage
	}
	img, err := fingerprint.ReadImage(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger template: %v\n", err)
		return exitFailure
	}
	img.PPI = *ppi
	q, err := fingerprint.Assess(img, fingerprint.QualityConfig{})
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger template: %v\n", err)
		return exitFailure
	}
	t, err := fingerprint.Extract(img)
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger template: %v\n", err)
		return exitFailure
	}
	rec, err := t.MinutiaeRecord(f, code, q.Score)
	if err == nil {
		err = writeFileAtomic(*out, rec)
	}
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger template: %v\n", err)
		return exitFailure
	}
	sum := sha256.Sum256(rec)
	rep := fingerTemplateReport{Out: *out, Format: *format, Bytes: len(rec), Minutiae: len(t.Minutiae), Quality: q.Score, SHA256: hex.EncodeToString(sum[:])}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return exitFailure
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d minutiae, quality %d, %d bytes\n", rep.Out, f, rep.Minutiae, rep.Quality, rep.Bytes)
	return exitOK
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder, readable by its owner only (a template is biometric data).
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".template-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
