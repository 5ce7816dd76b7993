package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/idecemu"
)

func runEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	gallery := fs.String("gallery", "", "gallery folder (created 0700 when missing; a running serve sees the new person at once)")
	nameKey := fs.String("name-key", "", "file with the key of the gallery's file names, which are keyed hashes of the IINs (default DIR/.name-key, created when missing); serve and enroll must use the same one")
	id := fs.String("iin", "", "IIN of the person, 12 digits")
	photo := fs.String("photo", "", "reference photo, JPEG or PNG, stored as given")
	modelDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !required(fs, stderr, "gallery", "iin", "photo") {
		return exitUsage
	}
	n, err := iin.Parse(*id)
	if err != nil {
		fmt.Fprintf(stderr, "idec-emulator enroll: --iin: %v\n", err)
		return exitUsage
	}
	b, err := os.ReadFile(*photo)
	if err != nil {
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
	emu, err := idecemu.New(idecemu.Config{Gallery: *gallery, NameKeyFile: *nameKey, ModelDir: *modelDir})
	if err != nil {
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
	defer emu.Close()
	switch err := emu.Enroll(ctx, n.String(), b); {
	case errors.Is(err, idecemu.ErrNoFace):
		fmt.Fprintf(stderr, "idec-emulator enroll: no face found in %s\n", *photo)
		return exitFailure
	case errors.Is(err, idecemu.ErrBadPhoto):
		fmt.Fprintf(stderr, "idec-emulator enroll: %s: %v\n", *photo, err)
		return exitFailure
	case err != nil:
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "enrolled %s\n", n.Masked())
	return exitOK
}
