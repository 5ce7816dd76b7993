// Command biogate is the operator's command-line tool for biogate: it runs
// the gateway's parts by hand on a kiosk or a developer's machine.
//
//	biogate capture --source SRC [--json] [--out DIR] [--timeout D] [--min-quality N]
//	biogate liveness --source SRC [--commands c1,c2,c3] [--json] [--out DIR]
//	biogate pad-eval --genuine PATH... --attack SPECIES=PATH... [--json] [--group NAME=TEXT] [--transform NAME|all]
//	biogate attack-eval --gateway http://127.0.0.1:PORT --key KEY --species SPEC... --genuine CLIP... [--sessions N] [--photos P,...] [--iin IIN] [--json]
//	biogate idec verify --idec URL --tls DIR --iin IIN --photo FILE [--json]
//	biogate session --gateway http://HOST:PORT --key KEY --iin IIN [--relay SRC] [--commands c1,c2,...] [--finger NAME [--face-and-finger]] [--json]
//	biogate doc verify FILE [--jwks URL|FILE] [--json]
//	biogate keys init|list|rotate --token pkcs11:URI [--json|--jwks]
//	biogate evidence verify|stats|export [--store DSN] [...]
//	biogate finger devices [--json] | finger capture [--device SPEC] --out FILE.png [--timeout D] [--json]
//	biogate finger quality IMAGE... [--json] | finger template IMAGE --out FILE [--format iso19794-2|ansi378]
//	biogate finger match A B [--json] | finger eval --db DIR[=PPI]... [--json]
//
// Exit status: 0 on success, 1 on a failure, 2 on a usage error, 3 when a
// capture ended without a usable frame, a liveness check without "live",
// or an IDEC verification with "no_match".
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/biogate/biogate/models"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNoResult = 3
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"capture", "capture a face from a camera, a clip or a folder and report its quality", runCapture},
	{"liveness", "run the liveness check (random commands and passive anti-spoofing) on a source", runLiveness},
	{"pad-eval", "evaluate passive presentation attack detection (ISO/IEC 30107-3 APCER, BPCER, ACER)", runPADEval},
	{"attack-eval", "run generated attack sessions and genuine clips against a loopback gateway: APCER per species, BPCER", runAttackEval},
	{"idec", "verify a photo against IDEC's reference for an IIN (idec verify)", runIDEC},
	{"session", "run one verification session against biogated, as a calling app would", runSession},
	{"doc", "verify a signed result document against the gateway's keys (doc verify)", runDoc},
	{"keys", "make, list and rotate the document signing key on a PKCS#11 token (HSM, TPM): keys init|list|rotate --token URI", runKeys},
	{"evidence", "verify the evidence chain, count outcomes for the regulator, export a document for an auditor", runEvidence},
	{"finger", "fingerprint readers, quality, templates, matching and the FVC evaluation (finger devices|capture|quality|template|match|eval)", runFinger},
}

func main() {
	quietNativeLogs()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// quietNativeLogs keeps OpenCV's and FFmpeg's own warnings (which can name
// files and devices) off the terminal unless the operator asked for them by
// setting OPENCV_LOG_LEVEL or OPENCV_FFMPEG_LOGLEVEL.
func quietNativeLogs() {
	if _, set := os.LookupEnv("OPENCV_LOG_LEVEL"); !set {
		models.QuietNativeLogs()
	}
	if _, set := os.LookupEnv("OPENCV_FFMPEG_LOGLEVEL"); !set {
		os.Setenv("OPENCV_FFMPEG_LOGLEVEL", "-8") // read when FFmpeg is first opened
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "biogate: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: biogate COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'biogate COMMAND -h' for a command's flags.")
}

// parseFlags parses a command's args into fs. When done, the command returns
// code: exitOK after --help (the flag package printed the usage), exitUsage
// after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	switch err := fs.Parse(args); {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	default:
		return exitUsage, true
	}
}
