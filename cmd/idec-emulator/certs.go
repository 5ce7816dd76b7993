package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/biogate/biogate/internal/idecemu"
)

func runCerts(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	out := fs.String("out", "", "folder to write the certificates and keys to (created 0700; existing ones are replaced)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !required(fs, stderr, "out") {
		return exitUsage
	}
	if err := idecemu.WriteDevCerts(*out); err != nil {
		fmt.Fprintf(stderr, "idec-emulator certs: %v\n", err)
		return exitFailure
	}
	for _, f := range []string{idecemu.CAFile, idecemu.ServerFile, idecemu.ServerKeyFile, idecemu.ClientFile, idecemu.ClientKeyFile} {
		fmt.Fprintln(stdout, filepath.Join(*out, f))
	}
	return exitOK
}
