package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/document"
)

const docUsage = "usage: biogate doc verify FILE [--jwks URL|FILE] [--nonce NONCE] [--max-age D] [--iin IIN] [--json]"

// docReport is what `biogate doc verify --json` prints. Only KeyID and
// Algorithm (from the unverified header) are set when the document is
// invalid.
type docReport struct {
	Valid            bool      `json:"valid"`
	Decision         string    `json:"decision,omitempty"`
	ID               string    `json:"id,omitempty"`
	IssuedAt         time.Time `json:"issued_at,omitzero"`
	SessionID        string    `json:"session_id,omitempty"`
	KeyID            string    `json:"kid,omitempty"`
	Algorithm        string    `json:"alg,omitempty"`
	DepartsFromRules []string  `json:"departs_from_rules,omitempty"`
	// Modality is what was verified (face, finger, face_and_finger; face
	// for documents before version 4); Finger the finger, if one was.
	Modality string `json:"modality,omitempty"`
	Finger   string `json:"finger,omitempty"`
	// Check names the check that failed (docChecks), or "input" / "jwks"
	// when the document or the keys could not be read.
	Check   string `json:"check,omitempty"`
	Message string `json:"message,omitempty"`
}

// docChecks maps Verify's sentinel errors to stable check names.
var docChecks = []struct {
	err  error
	code string
}{
	{document.ErrMalformed, "malformed"},
	{document.ErrAlgorithm, "algorithm"},
	{document.ErrType, "type"},
	{document.ErrUnknownKey, "unknown_key"},
	{document.ErrSignature, "signature"},
	{document.ErrInvalid, "invalid_document"},
	{document.ErrKeyExpired, "key_expired"},
	{document.ErrFuture, "future"},
	{document.ErrNonce, "nonce"},
	{document.ErrStale, "stale"},
	{document.ErrSubject, "subject"},
	{errEnvelope, "envelope"},
}

// errEnvelope: the result message around the document says something else
// than the signed document.
var errEnvelope = errors.New("the result message differs from its signed document")

// maxDocInput bounds what doc verify reads from a file or a JWKS URL.
const maxDocInput = 8 << 20

func runDoc(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, docUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("doc verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwks := fs.String("jwks", os.Getenv("BIOGATE_JWKS"), "the gateway's keys: a JWKS file, or its http(s) URL .../.well-known/jwks.json (default $BIOGATE_JWKS)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	nonce := fs.String("nonce", "", "the client_nonce this relying party sent in start: a document with another is refused (a replay)")
	subject := fs.String("iin", "", "the IIN this relying party asked about: a document of another person is refused")
	maxAge := fs.Duration("max-age", 0, "refuse a document decided longer ago than this (e.g. 10m; 0: no limit)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, docUsage+"\n\nFILE holds a compact JWS, a result message, or `biogate session --json` output (- reads standard input).")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) != 1 || *jwks == "" || *maxAge < 0 {
		fs.Usage()
		return exitUsage
	}

	rep := verifyDocument(files[0], *jwks, document.VerifyOptions{Now: time.Now(), ClientNonce: *nonce, MaxAge: *maxAge, IIN: *subject})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printDocReport(stdout, stderr, rep)
	}
	if !rep.Valid {
		return exitFailure
	}
	return exitOK
}

// parseInterleaved parses flags placed before, between or after the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// verifyDocument reads the document in file and the keys in jwks and
// verifies it with opts.
func verifyDocument(file, jwks string, opts document.VerifyOptions) docReport {
	var rep docReport
	compact, envelope, err := readDocument(file)
	if err != nil {
		rep.Check, rep.Message = "input", err.Error()
		return rep
	}
	if h, err := document.ParseHeader(compact); err == nil {
		rep.KeyID, rep.Algorithm = h.KeyID, h.Algorithm
	}
	keys, err := loadJWKS(jwks)
	if err != nil {
		rep.Check, rep.Message = "jwks", err.Error()
		return rep
	}
	doc, err := document.VerifyWith(compact, keys, opts)
	if err == nil && envelope != nil {
		err = envelope.matches(doc)
	}
	if err != nil {
		rep.Check, rep.Message = "error", err.Error()
		for _, c := range docChecks {
			if errors.Is(err, c.err) {
				rep.Check = c.code
				break
			}
		}
		return rep
	}
	rep.Valid = true
	rep.Decision, rep.ID, rep.IssuedAt, rep.SessionID = string(doc.Decision), doc.ID, doc.IssuedAt, doc.SessionID
	rep.DepartsFromRules = doc.DepartsFromRules
	rep.Modality = string(cmp.Or(doc.Modality, document.ModalityFace))
	if doc.Finger != nil {
		rep.Finger = string(doc.Finger.Position)
	}
	return rep
}

func printDocReport(stdout, stderr io.Writer, rep docReport) {
	switch {
	case rep.Check == "input" || rep.Check == "jwks":
		fmt.Fprintf(stderr, "biogate doc verify: %s\n", rep.Message)
	case !rep.Valid:
		if rep.KeyID != "" {
			fmt.Fprintf(stdout, "kid         %s\n", rep.KeyID)
		}
		fmt.Fprintf(stdout, "INVALID     %s: %s\n", rep.Check, rep.Message)
	default:
		fmt.Fprintf(stdout, "signature valid\ndecision    %s\nmodality    %s\nid          %s\nissued at   %s\nsession     %s\nkid         %s\n",
			rep.Decision, rep.Modality, rep.ID, rep.IssuedAt.UTC().Format("2006-01-02T15:04:05.000Z"), rep.SessionID, rep.KeyID)
		if rep.Finger != "" {
			fmt.Fprintf(stdout, "finger      %s\n", rep.Finger)
		}
		if len(rep.DepartsFromRules) > 0 {
			fmt.Fprintf(stdout, "departs     %s (not a check under the rules)\n", strings.Join(rep.DepartsFromRules, ", "))
		}
	}
}

// resultEnvelope is the part of the protocol's result message that its
// document also states.
type resultEnvelope struct {
	Type        string `json:"type"`
	SessionID   string `json:"session_id"`
	Decision    string `json:"decision"`
	ClientNonce string `json:"client_nonce"`
	Document    string `json:"document"`
}

// matches checks that the unsigned result message agrees with its document.
func (e *resultEnvelope) matches(d *document.Document) error {
	for _, f := range []struct{ name, msg, doc string }{
		{"session_id", e.SessionID, d.SessionID},
		{"decision", e.Decision, string(d.Decision)},
		{"client_nonce", e.ClientNonce, d.ClientNonce},
	} {
		if f.msg != f.doc {
			return fmt.Errorf("%w: %s", errEnvelope, f.name)
		}
	}
	return nil
}

// readDocument returns the compact JWS in file ("-" for standard input):
// the file's whole text, or the document of a result message, or of the
// last result among JSON lines (`biogate session --json`); with the
// result message it came in, if any.
func readDocument(file string) (string, *resultEnvelope, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, maxDocInput))
	} else {
		data, err = readLimited(file)
	}
	if err != nil {
		return "", nil, err
	}
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return "", nil, fmt.Errorf("%s: empty", file)
	}
	if text[0] != '{' {
		return string(text), nil, nil
	}
	var found *resultEnvelope
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, maxDocInput)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m resultEnvelope
		if err := json.Unmarshal(line, &m); err != nil {
			found = nil
			break // not JSON lines: try the whole text as one message
		}
		if m.Type == "result" {
			found = &m
		}
	}
	if found == nil {
		var m resultEnvelope
		if err := json.Unmarshal(text, &m); err != nil {
			return "", nil, fmt.Errorf("%s: neither a compact JWS nor a result message: %v", file, err)
		}
		if m.Type != "result" {
			return "", nil, fmt.Errorf("%s: no result message", file)
		}
		found = &m
	}
	if found.Document == "" {
		return "", nil, fmt.Errorf("%s: the result carries no document", file)
	}
	return found.Document, found, nil
}

// loadJWKS reads a JWKS from a file or an http(s) URL.
func loadJWKS(src string) (document.KeySet, error) {
	var data []byte
	var err error
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		data, err = fetchJWKS(src)
	} else {
		data, err = readLimited(src)
	}
	if err != nil {
		return nil, err
	}
	return document.ParseJWKS(data)
}

func fetchJWKS(url string) ([]byte, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS: %s answered %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocInput))
	if err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	return data, nil
}

// readLimited reads a file of at most maxDocInput bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDocInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxDocInput)
	}
	return data, nil
}
