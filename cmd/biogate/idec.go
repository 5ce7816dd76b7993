package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
)

// demoBIN is the requesting organisation when none is configured: twelve
// zeros, which pass the check digit and name no real organisation.
const demoBIN = "000000000000"

// idecReport is what `biogate idec verify --json` prints.
type idecReport struct {
	Decision        string    `json:"decision,omitempty"`
	Similarity      float64   `json:"similarity,omitempty"`
	ReferenceSource string    `json:"reference_source,omitempty"`
	IDECRequestID   string    `json:"idec_request_id,omitempty"`
	RequestID       string    `json:"request_id,omitempty"`
	Time            time.Time `json:"time,omitzero"`
	Error           string    `json:"error,omitempty"`
	Message         string    `json:"message,omitempty"`
}

// idecErrorCodes maps the client's classified errors to stable codes.
var idecErrorCodes = []struct {
	err  error
	code string
}{
	{idec.ErrInvalidRequest, "invalid_request"},
	{idec.ErrNoFace, "no_face"},
	{idec.ErrUnknownIIN, "unknown_iin"},
	{idec.ErrNoReferencePhoto, "no_reference_photo"},
	{idec.ErrNoFinger, "no_finger"},
	{idec.ErrNoReferenceFinger, "no_reference_finger"},
	{idec.ErrUnavailable, "unavailable"},
	{idec.ErrTimeout, "timeout"},
	{idec.ErrBadResponse, "bad_response"},
	{context.Canceled, "canceled"},
}

func runIDEC(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: biogate idec verify --idec URL --tls DIR --iin IIN --photo FILE [--json]")
		return exitUsage
	}
	fs := flag.NewFlagSet("idec verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("idec", "", "IDEC base URL, https://HOST:PORT")
	tlsDir := fs.String("tls", "", "folder with ca.pem, client.pem and client-key.pem")
	iinFlag := fs.String("iin", "", "the person's IIN (12 digits)")
	photo := fs.String("photo", "", "the face photo (JPEG; other formats are re-encoded)")
	binFlag := fs.String("bin", envOr("BIOGATE_BIN", demoBIN), "the requesting organisation's BIN (default $BIOGATE_BIN, else a demo value)")
	consent := fs.String("consent", "operator-cli", "reference of the person's recorded consent")
	timeout := fs.Duration("timeout", 15*time.Second, "deadline of the whole verification")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biogate idec verify --idec URL --tls DIR --iin IIN --photo FILE [--json]")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if *url == "" || *tlsDir == "" || *iinFlag == "" || *photo == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	person, err := iin.Parse(*iinFlag)
	if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: --iin: %v\n", err)
		return exitUsage
	}
	org, err := iin.ParseBIN(*binFlag)
	if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: --bin: %v\n", err)
		return exitUsage
	}
	jpeg, err := readJPEG(*photo)
	if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: %v\n", err)
		return exitFailure
	}
	tlsCfg, err := idechttp.LoadTLS(*tlsDir)
	if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: %v\n", err)
		return exitFailure
	}
	client, err := idechttp.New(idechttp.Config{URL: *url, TLS: tlsCfg, Config: idec.Config{Timeout: *timeout}})
	if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: %v\n", err)
		return exitUsage
	}
	defer client.Close()

	res, err := client.Verify(context.Background(), idec.Request{
		IIN: person, BIN: org, ConsentRef: *consent, Photo: jpeg,
		Capture: idec.CaptureMeta{Time: time.Now(), DeviceID: "biogate-cli"},
	})
	var rep idecReport
	if err != nil {
		rep.Error, rep.Message = "error", err.Error()
		for _, c := range idecErrorCodes {
			if errors.Is(err, c.err) {
				rep.Error = c.code
				break
			}
		}
		var ie *idec.Error
		if errors.As(err, &ie) {
			rep.RequestID, rep.IDECRequestID = ie.RequestID, ie.IDECRequestID
		}
	} else {
		rep = idecReport{Decision: res.Decision, Similarity: res.Similarity, ReferenceSource: res.ReferenceSource,
			IDECRequestID: res.IDECRequestID, RequestID: res.RequestID, Time: res.Time}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else if err != nil {
		fmt.Fprintf(stderr, "biogate idec verify: %s: %v\n", rep.Error, err)
	} else {
		fmt.Fprintf(stdout, "decision    %s\nsimilarity  %.3f\nreference   %s\nidec id     %s\nrequest id  %s\n",
			res.Decision, res.Similarity, res.ReferenceSource, res.IDECRequestID, res.RequestID)
	}
	switch {
	case err != nil:
		return exitFailure
	case !res.Match:
		return exitNoResult
	}
	return exitOK
}

// readJPEG returns the file's bytes when it is a JPEG, and otherwise decodes
// it and encodes it as JPEG.
func readJPEG(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF {
		return b, nil
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	img, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil || img.Empty() {
		img.Close()
		return nil, fmt.Errorf("%s: not an image", path)
	}
	defer img.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, img, []int{gocv.IMWriteJpegQuality, 95})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
