package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/outcome"
)

func runEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	gallery := fs.String("gallery", "", "gallery folder (created 0700 when missing; a running serve sees the new person at once)")
	nameKey := fs.String("name-key", "", "file with the key of the gallery's file names, which are keyed hashes of the IINs (default DIR/.name-key, created when missing); serve and enroll must use the same one")
	id := fs.String("iin", "", "IIN of the person, 12 digits")
	photo := fs.String("photo", "", "reference photo, JPEG or PNG, stored as given")
	finger := fs.String("finger", "", "enrol a fingerprint of this finger instead of a photo: 1-10 (ISO/IEC 19794 positions) or right_thumb, right_index, right_middle, right_ring, right_little, left_thumb ... left_little")
	image := fs.String("image", "", "with --finger: the fingerprint image, PNG, TIFF, BMP or WSQ (its template is stored, not the image)")
	ppi := fs.Int("ppi", fingerprint.PPI, "with --image: the image's resolution in pixels per inch")
	template := fs.String("template", "", "with --finger: a minutiae record, ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004")
	modelDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !required(fs, stderr, "gallery", "iin") {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "idec-emulator enroll: "+format+"\n", a...)
		return exitUsage
	}
	n, err := iin.Parse(*id)
	if err != nil {
		return usage("--iin: %v", err)
	}
	var pos int
	switch {
	case (*photo == "") == (*finger == ""):
		return usage("give --photo FILE or --finger POS, not both")
	case *photo != "" && (*image != "" || *template != ""):
		return usage("--image and --template go with --finger, not --photo")
	case *finger != "":
		if pos, err = parseFinger(*finger); err != nil {
			return usage("--finger: %v", err)
		}
		if (*image == "") == (*template == "") {
			return usage("--finger needs --image FILE or --template FILE, not both")
		}
		if *ppi <= 0 {
			return usage("--ppi %d is not a resolution", *ppi)
		}
	}
	emu, err := idecemu.New(idecemu.Config{Gallery: *gallery, NameKeyFile: *nameKey, ModelDir: *modelDir})
	if err != nil {
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
	defer emu.Close()
	if pos != 0 {
		return enrollFinger(ctx, emu, n, pos, *image, *ppi, *template, stdout, stderr)
	}
	b, err := os.ReadFile(*photo)
	if err != nil {
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
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

// enrollFinger enrols finger pos of n from the image file (at ppi) or the
// minutiae record file template, whichever is set.
func enrollFinger(ctx context.Context, emu *idecemu.Server, n iin.IIN, pos int, image string, ppi int, template string, stdout, stderr io.Writer) int {
	var err error
	file := image
	if image != "" {
		img, rerr := fingerprint.ReadImage(image)
		if rerr != nil {
			fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", rerr)
			return exitFailure
		}
		img.PPI = ppi
		err = emu.EnrollFingerImage(ctx, n.String(), pos, img)
	} else {
		file = template
		b, rerr := os.ReadFile(template)
		if rerr != nil {
			fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", rerr)
			return exitFailure
		}
		if b, rerr = asISOMinutiae(b, pos); rerr != nil {
			fmt.Fprintf(stderr, "idec-emulator enroll: %s: %v\n", template, rerr)
			return exitFailure
		}
		err = emu.EnrollFinger(ctx, n.String(), idechttp.FingerSample{Position: pos, Format: idec.FormatFingerMinutiae, Record: b})
	}
	switch {
	case errors.Is(err, idecemu.ErrNoFinger):
		fmt.Fprintf(stderr, "idec-emulator enroll: no usable fingerprint in %s\n", file)
		return exitFailure
	case errors.Is(err, idecemu.ErrBadFinger):
		fmt.Fprintf(stderr, "idec-emulator enroll: %s: %v\n", file, err)
		return exitFailure
	case err != nil:
		fmt.Fprintf(stderr, "idec-emulator enroll: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "enrolled %s finger %d (%s)\n", n.Masked(), pos, outcome.Fingers()[pos-1])
	return exitOK
}

// asISOMinutiae returns the minutiae record b as ISO/IEC 19794-2, the
// format the contract carries: an ISO record as it is, an ANSI INCITS 378
// one converted (its first finger view, angles to the nearest ISO step).
func asISOMinutiae(b []byte, pos int) ([]byte, error) {
	if _, err := record.DecodeISO19794_2(b); err == nil {
		return b, nil
	}
	rec, err := record.DecodeANSI378(b)
	if err != nil {
		return nil, errors.New("not an ISO/IEC 19794-2 or ANSI INCITS 378 minutiae record")
	}
	t, err := fingerprint.TemplateFromRecord(b)
	if err != nil {
		return nil, err
	}
	quality := 0
	if len(rec.Views) > 0 {
		quality = int(min(rec.Views[0].Quality, 100))
	}
	return t.MinutiaeRecord(record.ISO19794_2_2005, pos, quality)
}

// parseFinger reads a finger as a position, 1-10, or a name
// (outcome.Finger, e.g. right_index).
func parseFinger(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 10 {
			return 0, fmt.Errorf("position %d is not in 1-10", n)
		}
		return n, nil
	}
	if c := outcome.Finger(strings.ToLower(s)).Code(); c != 0 {
		return c, nil
	}
	return 0, fmt.Errorf("%q is not 1-10 nor a finger's name (right_thumb ... left_little)", s)
}
