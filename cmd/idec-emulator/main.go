// Command idec-emulator is a stand-in for KCMR's IDEC with real face and
// fingerprint matchers, for development, tests and drills (see package
// internal/idecemu for what it answers and how it misbehaves on request).
//
//	idec-emulator certs --out DIR
//	idec-emulator serve --listen ADDR --gallery DIR --tls DIR [--threshold X] [--finger-threshold S]
//	                    [--models DIR] [--name-key FILE]
//	                    [--fault-latency D] [--fault-error-rate P] [--fault-status N]
//	                    [--fault-timeout] [--fault-malformed] [--fault-reset]
//	idec-emulator enroll --gallery DIR --iin IIN --photo FILE [--models DIR] [--name-key FILE]
//	idec-emulator enroll --gallery DIR --iin IIN --finger POS (--image FILE [--ppi N] | --template FILE)
//	                     [--models DIR] [--name-key FILE]
//
// certs writes a development CA with server and client certificates; serve
// answers the IDEC contract over mutual TLS until SIGINT or SIGTERM; enroll
// puts a reference photo, or the reference fingerprint of one finger (POS
// 1-10 or a name such as right_index; from an image, PNG, TIFF, BMP or WSQ,
// or from an ISO/IEC 19794-2 or ANSI INCITS 378 minutiae record), into the
// gallery folder, also while serve runs on it. The gallery's files are
// named by a keyed hash of the IIN, the key in DIR/.name-key or --name-key
// FILE (see package internal/idecemu).
//
// Exit status: 0 on success, 1 on a failure, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/biogate/biogate/models"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"certs", "write a development CA, server and client certificates for mutual TLS", runCerts},
	{"serve", "answer the IDEC contract over mutual TLS with a real matcher", runServe},
	{"enroll", "put a person's reference photo or fingerprint into the gallery", runEnroll},
}

func main() {
	if _, set := os.LookupEnv("OPENCV_LOG_LEVEL"); !set {
		models.QuietNativeLogs()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command until it finishes or ctx ends (serve stops
// gracefully then) and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "idec-emulator: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: idec-emulator COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'idec-emulator COMMAND -h' for a command's flags.")
}

// parseFlags parses args into fs; ok false means return code (help is 0,
// a bad flag or a stray argument 2).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "idec-emulator %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

// required reports a usage error for the first empty flag value.
func required(fs *flag.FlagSet, stderr io.Writer, names ...string) bool {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			fmt.Fprintf(stderr, "idec-emulator %s: --%s is required\n", fs.Name(), n)
			fs.Usage()
			return false
		}
	}
	return true
}
