package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/usbfp"
)

// fingerCaptureReport is the JSON printed by `biogate finger capture --json`.
// It carries no biometric data: the image goes to the --out file only.
type fingerCaptureReport struct {
	Device    devices.FingerprintInfo `json:"device"`
	Width     int                     `json:"width"`
	Height    int                     `json:"height"`
	Out       string                  `json:"out"`
	Events    []string                `json:"events"`
	ElapsedMS float64                 `json:"elapsed_ms"`
}

func runFinger(args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: biogate finger devices [--json]")
		fmt.Fprintln(stderr, "       biogate finger capture [--device SPEC] --out FILE.png [--timeout D] [--json]")
		fmt.Fprintln(stderr, "       biogate finger quality IMAGE... [--ppi N] [--json]")
		fmt.Fprintln(stderr, "       biogate finger template IMAGE --out FILE [--format iso19794-2|ansi378] [--finger NAME] [--ppi N] [--json]")
		fmt.Fprintln(stderr, "       biogate finger match A B [--ppi N] [--threshold T] [--json]")
		fmt.Fprintln(stderr, "       biogate finger eval --db DIR[=PPI]... [--ppi N] [--json]")
		fmt.Fprintln(stderr, "\nSPEC: usb:VVVV:PPPP (USB ids) or a bus path (usb:1-10); default: the first supported reader.")
		fmt.Fprintln(stderr, "FP_DEVICE_EMULATION=1 seeds the drivers' random numbers as libfprint does under emulation, so that libfprint's umockdev recordings replay.")
	}
	if len(args) == 0 {
		usage()
		return exitUsage
	}
	switch args[0] {
	case "devices":
		return runFingerDevices(args[1:], stdout, stderr)
	case "capture":
		return runFingerCapture(args[1:], stdout, stderr)
	case "quality":
		return runFingerQuality(args[1:], stdout, stderr)
	case "template":
		return runFingerTemplate(args[1:], stdout, stderr)
	case "match":
		return runFingerMatch(args[1:], stdout, stderr)
	case "eval":
		return runFingerEval(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage()
		return exitOK
	}
	fmt.Fprintf(stderr, "biogate finger: unknown subcommand %q\n", args[0])
	usage()
	return exitUsage
}

// newFingerManager opens the USB reader manager; under FP_DEVICE_EMULATION=1
// (libfprint's switch for its recordings) random numbers come from GLib's
// generator seeded as libfprint seeds it.
func newFingerManager() (*usbfp.Manager, error) {
	// Arrivals and removals are for the daemon's log, not the terminal.
	return usbfp.New(usbfp.Config{Random: usbfp.EmulationRandom(), Logger: slog.New(slog.DiscardHandler)})
}

// fingerSpec turns --device into a spec for devices.OpenFingerprintReader:
// "" is the first supported USB reader ("usb:"), and a spec without a
// registered scheme (a bare bus path "1-10", bare ids "05ba:000a") is a USB
// one, as the flag has always accepted.
func fingerSpec(device string) string {
	scheme, _, ok := strings.Cut(device, ":")
	if !ok || !slices.Contains(devices.FingerprintBackends(), scheme) {
		return "usb:" + device
	}
	return device
}

func runFingerDevices(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print a JSON array instead of text")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	m, err := newFingerManager()
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger devices: %v\n", err)
		return exitFailure
	}
	defer m.Close()
	if err := m.Scan(); err != nil {
		fmt.Fprintf(stderr, "biogate finger devices: %v\n", err)
		return exitFailure
	}
	readers := m.Readers()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(readers); err != nil {
			return exitFailure
		}
		return exitOK
	}
	if len(readers) == 0 {
		fmt.Fprintln(stdout, "no supported fingerprint reader attached")
		return exitOK
	}
	for _, r := range readers {
		fmt.Fprintf(stdout, "usb:%04x:%04x  usb:%-10s %-10s %-6s %dx%d %d ppi  %s\n",
			r.VendorID, r.ProductID, r.BusPath, r.Driver, r.Scan, r.Width, r.Height, r.PPI, r.Product)
	}
	return exitOK
}

func runFingerCapture(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("finger capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("device", "", "reader: usb:VVVV:PPPP or a bus path such as usb:1-10 (default: the first supported reader)")
	out := fs.String("out", "", "write the fingerprint as an 8-bit grey PNG to this file (required)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up when no finger was imaged within this long")
	asJSON := fs.Bool("json", false, "print one JSON report on stdout instead of text")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *out == "" || fs.NArg() > 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: biogate finger capture [--device SPEC] --out FILE.png [--timeout D] [--json]")
		fs.PrintDefaults()
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	// usb: readers (devices/usbfp) and dir: folders (devices/imagedir,
	// imported in capture.go) through the registry; the usb: opener honours
	// FP_DEVICE_EMULATION as newFingerManager does.
	reader, err := devices.OpenFingerprintReader(ctx, fingerSpec(*spec))
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger capture: %v\n", err)
		return exitFailure
	}
	defer reader.Close()

	var events []string
	if !*asJSON {
		fmt.Fprintf(stdout, "place a finger on the %s\n", reader.Info().Product)
	}
	start := time.Now()
	img, err := reader.Capture(ctx, devices.OnFinger(func(e devices.FingerEvent) {
		events = append(events, e.String())
		if !*asJSON {
			fmt.Fprintln(stdout, e)
		}
	}))
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintf(stderr, "biogate finger capture: %v\n", err)
		if errors.Is(err, devices.ErrTimeout) || errors.Is(err, usbfp.ErrRetry) {
			return exitNoResult
		}
		return exitFailure
	}
	if err := writeGrayPNG(*out, img); err != nil {
		fmt.Fprintf(stderr, "biogate finger capture: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		rep := fingerCaptureReport{
			Device: reader.Info(), Width: img.Width, Height: img.Height, Out: *out,
			Events: events, ElapsedMS: float64(elapsed.Microseconds()) / 1000,
		}
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return exitFailure
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "wrote %dx%d fingerprint to %s (%v)\n", img.Width, img.Height, *out, elapsed.Round(time.Millisecond))
	return exitOK
}

// writeGrayPNG writes img as an 8-bit grey PNG, replacing path atomically.
func writeGrayPNG(path string, img *devices.FingerprintImage) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".finger-*.png")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img.Gray()); err != nil {
		tmp.Close()
		return fmt.Errorf("encode png: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
