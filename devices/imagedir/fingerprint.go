package imagedir

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// A folder of fingerprint images is also a fingerprint reader, registered
// as "dir" with devices.OpenFingerprintReader, for tests and demos without
// a sensor:
//
//	dir:/path/to/folder
//	dir:/path/to/folder?ppi=500
//
// The folder is listed as for a camera (see the package comment). Each
// Capture decodes the next image to 8-bit grey (colour converted, 16-bit
// reduced) and reports finger present, then finger removed, as a press
// reader does. FingerprintImage.PPI is ?ppi=N, else 0 (unknown): a folder
// does not know its scanner (FVC2002's DB1 and DB3 are 500 ppi, DB2 569).
// An image that cannot be decoded is an error wrapping devices.ErrBadFrame
// that names the file, and the next Capture goes on with the next image;
// after the last one Capture returns devices.ErrEndOfStream. The caller of
// devices.OpenFingerprintReader owns the reader and closes it; images are
// plain Go memory the caller owns. One goroutine captures; Close may be
// called from any goroutine and waits for a Capture in progress (one
// decode).

func init() { devices.RegisterFingerprintReader("dir", openFingerprints) }

// openFingerprints opens "dir:PATH[?ppi=N]".
func openFingerprints(ctx context.Context, target string) (devices.FingerprintReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imagedir: open: %w", err)
	}
	if target == "" {
		return nil, fmt.Errorf("imagedir: dir: needs a folder: %w", devices.ErrNoDevice)
	}
	dir, ppi, _, err := parseOption(target, "ppi")
	if err != nil {
		return nil, fmt.Errorf("imagedir: dir:%s: %w", target, err)
	}
	files, err := list(dir)
	if err != nil {
		return nil, err
	}
	return &fingerprints{
		info: devices.FingerprintInfo{
			Backend: "dir",
			Driver:  "imagedir",
			Product: "fingerprint images in " + filepath.Base(dir),
			BusPath: dir,
			Scan:    devices.ScanPress,
			PPI:     int(ppi),
		},
		files: files,
	}, nil
}

// fingerprints is a devices.FingerprintReader over a list of image files.
type fingerprints struct {
	info  devices.FingerprintInfo
	files []string

	mu     sync.Mutex // held for a whole Capture; Close waits on it
	next   int        // index in files of the next image
	closed bool
}

// Info implements devices.FingerprintReader. BusPath is the folder.
func (r *fingerprints) Info() devices.FingerprintInfo { return r.info }

// Capture implements devices.FingerprintReader; the comment at the top of
// this file lists its outcomes.
func (r *fingerprints) Capture(ctx context.Context, opts ...devices.CaptureOption) (*devices.FingerprintImage, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imagedir: capture: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("imagedir: capture: %w", devices.ErrClosed)
	}
	if r.next >= len(r.files) {
		return nil, devices.ErrEndOfStream
	}
	path := r.files[r.next]
	r.next++
	w, h, pix, err := decodeAs(path, gocv.IMReadGrayScale, gocv.MatTypeCV8UC1, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: dir %s: %s: %v", devices.ErrBadFrame, r.info.BusPath, filepath.Base(path), err)
	}
	o := devices.NewCaptureOptions(opts...)
	o.Report(devices.FingerPresent)
	o.Report(devices.FingerRemoved)
	return &devices.FingerprintImage{Width: w, Height: h, Pix: pix, PPI: r.info.PPI, Time: time.Now()}, nil
}

// Close implements devices.FingerprintReader. It holds nothing native
// between captures, so it only marks the reader closed. It is idempotent.
func (r *fingerprints) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}
