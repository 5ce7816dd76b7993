// Package imagedir provides a camera that plays a folder of still images,
// one frame per image, and registers it with devices at init as "dir":
//
//	dir:/path/to/folder
//	dir:/path/to/folder?fps=15
//
// Import it for its side effect and open it with devices.OpenCamera:
//
//	import _ "github.com/biogate/biogate/devices/imagedir"
//
// The folder is listed once, at open: the regular files (or links to them)
// with an image extension (.bmp .jpeg .jpg .pgm .png .ppm .tif .tiff .webp,
// any case), skipping hidden files, in byte order of their names (number
// frames with leading zeros). A missing folder, a path that is not a folder,
// or a folder without images is an error wrapping devices.ErrNoDevice.
//
// The camera is not live. Each Read decodes the next image to BGR24 (EXIF
// orientation applied, alpha dropped, 16-bit reduced to 8). An image that is
// empty, gone or cannot be decoded is an error wrapping devices.ErrBadFrame
// that names the file; it takes no sequence number, and the next Read goes on
// with the next image. A JPEG truncated after its header still decodes, its
// missing part grey. After the last image Read returns devices.ErrEndOfStream.
//
// Frame.Time is the open time plus Seq/FPS, with FPS from ?fps=N or
// NominalFPS: a folder has no capture times, and a sequence extracted from a
// video at a known rate keeps its timing that way. Info.Width and Info.Height
// are 0, as images may differ in size.
//
// Ownership: the caller of devices.OpenCamera owns the Camera and closes it.
// Every Frame that Read returns is owned by the caller, who closes it exactly
// once; its buffer is a Go slice of its own (images differ in size, and a
// folder is not a hot path, so there is no pool). Frames stay valid after the
// camera is closed.
//
// Concurrency: one goroutine reads; Close may be called from any goroutine
// and waits for a Read in progress (at most one image decode).
//
// The same folder can be a fingerprint reader: the package also registers
// "dir" with devices.OpenFingerprintReader, which yields grey images
// (fingerprint.go describes it).
package imagedir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// NominalFPS is the frame rate a folder reports in Info.FPS and times its
// frames by, unless the spec gives ?fps=N.
const NominalFPS = 30

// extensions are the image file name extensions a folder source reads,
// lower case.
var extensions = []string{".bmp", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}

func init() { devices.RegisterCamera("dir", openDir) }

// openDir opens "dir:PATH[?fps=N]"; the package comment states what the
// camera does.
func openDir(ctx context.Context, target string) (devices.Camera, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imagedir: open: %w", err)
	}
	dir, fps, err := parseTarget(target)
	if err != nil {
		return nil, fmt.Errorf("imagedir: dir:%s: %w", target, err)
	}
	files, err := list(dir)
	if err != nil {
		return nil, err
	}
	return &camera{
		info: devices.Info{
			Backend: "dir",
			ID:      dir,
			Name:    filepath.Base(dir),
			FPS:     fps,
			Live:    false,
		},
		files:  files,
		opened: time.Now(),
	}, nil
}

// parseTarget splits an optional "?fps=N" from the folder path. A path that
// exists as given is taken whole.
func parseTarget(target string) (dir string, fps float64, err error) {
	dir, fps, set, err := parseOption(target, "fps")
	if !set {
		fps = NominalFPS
	}
	return dir, fps, err
}

// parseOption splits an optional "?KEY=N" (N a positive number) from a
// folder path; set says whether it was given. A path that exists as given
// is taken whole.
func parseOption(target, key string) (dir string, v float64, set bool, err error) {
	i := strings.LastIndexByte(target, '?')
	if i < 0 {
		return target, 0, false, nil
	}
	if _, err := os.Stat(target); err == nil {
		return target, 0, false, nil
	}
	q, err := url.ParseQuery(target[i+1:])
	if err != nil {
		return "", 0, false, fmt.Errorf("options %q: %v", target[i+1:], err)
	}
	for k := range q {
		if k != key {
			return "", 0, false, fmt.Errorf("unknown option %q (known: %s)", k, key)
		}
	}
	s := q.Get(key)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return "", 0, false, fmt.Errorf("option %s=%q: want a positive number", key, s)
	}
	return target[:i], f, true, nil
}

// list returns the images in dir, sorted by name.
func list(dir string) ([]string, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: dir %s: no such folder", devices.ErrNoDevice, dir)
	case err != nil:
		return nil, fmt.Errorf("%w: dir %s: %v", devices.ErrNoDevice, dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%w: dir %s: not a folder", devices.ErrNoDevice, dir)
	}
	entries, err := os.ReadDir(dir) // sorted by file name
	if err != nil {
		return nil, fmt.Errorf("%w: dir %s: %v", devices.ErrNoDevice, dir, err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !slices.Contains(extensions, strings.ToLower(filepath.Ext(name))) {
			continue
		}
		path := filepath.Join(dir, name)
		// Stat, not e.Type(): follow links. A FIFO named x.jpg would
		// block the decoder forever, so only regular files count.
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files = append(files, path)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: dir %s: no images (%s)", devices.ErrNoDevice, dir, strings.Join(extensions, ", "))
	}
	return files, nil
}

// camera is a devices.Camera over a list of image files.
type camera struct {
	info   devices.Info
	files  []string
	opened time.Time

	mu     sync.Mutex // held for a whole Read; Close waits on it
	next   int        // index in files of the next image
	seq    uint64
	closed bool
}

// Info implements devices.Camera.
func (c *camera) Info() devices.Info { return c.info }

// Read implements devices.Camera; the package comment lists its outcomes.
func (c *camera) Read(ctx context.Context) (*devices.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imagedir: read: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, devices.ErrClosed
	}
	if c.next >= len(c.files) {
		return nil, devices.ErrEndOfStream
	}
	path := c.files[c.next]
	c.next++
	w, h, data, err := decode(path)
	if err != nil {
		return nil, fmt.Errorf("%w: dir %s: %s: %v", devices.ErrBadFrame, c.info.ID, filepath.Base(path), err)
	}
	t := c.opened.Add(time.Duration(float64(c.seq) / c.info.FPS * float64(time.Second)))
	f := devices.NewFrame(c.seq, t, c.info.ID, devices.BGR24, w, h, w*3, data, nil)
	c.seq++
	return f, nil
}

// decode reads one image file into a new BGR24 buffer.
func decode(path string) (w, h int, data []byte, err error) {
	return decodeAs(path, gocv.IMReadColor, gocv.MatTypeCV8UC3, 3)
}

// decodeAs reads one image file into a new buffer with flags, which must
// yield an 8-bit Mat of type want with bpp bytes per pixel. It checks the
// file before OpenCV sees it and the Mat before reading its memory.
func decodeAs(path string, flags gocv.IMReadFlag, want gocv.MatType, bpp int) (w, h int, data []byte, err error) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return 0, 0, nil, err // removed since the folder was listed
	case !fi.Mode().IsRegular():
		return 0, 0, nil, errors.New("not a regular file")
	case fi.Size() == 0:
		return 0, 0, nil, errors.New("empty file")
	}
	m := gocv.IMRead(path, flags)
	defer m.Close()
	if m.Empty() {
		return 0, 0, nil, errors.New("not an image OpenCV can decode")
	}
	// IMRead yields a continuous Mat of the flags' type; check rather than
	// trust.
	if m.Type() != want || !m.IsContinuous() || m.Cols() <= 0 || m.Rows() <= 0 {
		return 0, 0, nil, fmt.Errorf("unexpected decoded type %v", m.Type())
	}
	w, h = m.Cols(), m.Rows()
	src, err := m.DataPtrUint8() // a view of C memory: copy, never keep
	if err != nil || len(src) < w*h*bpp {
		return 0, 0, nil, fmt.Errorf("decoded %d bytes for %dx%d", len(src), w, h)
	}
	data = make([]byte, w*h*bpp)
	copy(data, src)
	return w, h, data, nil
}

// Close implements devices.Camera. It holds no native resources between
// reads, so it only marks the camera closed. It is idempotent.
func (c *camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
