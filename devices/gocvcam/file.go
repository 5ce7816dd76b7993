package gocvcam

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

func init() { devices.RegisterCamera("file", openFile) }

// openFile opens "file:PATH[?fps=N]": a video file decoded by OpenCV's
// FFmpeg backend (mp4, avi, mkv, raw MJPEG, ...). The source is not live and
// ends with devices.ErrEndOfStream.
//
// Frame.Time is the open time plus the frame's container timestamp
// (CAP_PROP_POS_MSEC), so a frame's offset from the first frame is its
// position in the clip. A frame without one is timed 1/FPS after the frame
// before it: all frames of a raw MJPEG stream, and the last few of an H.264
// clip, which FFmpeg flushes from its decoder without a position. FFmpeg
// assumes 25 fps for a raw MJPEG stream; give its real rate with ?fps=N,
// which also sets Info.FPS.
//
// Errors wrap devices.ErrNoDevice: a missing file, a folder, an empty file,
// and anything FFmpeg cannot open or decode a first frame from (a text
// file, a truncated header). A file truncated after its header gives the
// frames before the cut, then ErrEndOfStream.
func openFile(ctx context.Context, target string) (devices.Camera, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gocvcam: open file: %w", err)
	}
	path, q, err := splitTarget(target)
	if err != nil {
		return nil, fmt.Errorf("gocvcam: file:%s: %w", target, err)
	}
	opts := newOptions(q, "fps")
	fps := opts.positiveFloat("fps")
	if opts.err != nil {
		return nil, fmt.Errorf("gocvcam: file:%s: %w", target, opts.err)
	}

	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: file %s: no such file", devices.ErrNoDevice, path)
	case err != nil:
		return nil, fmt.Errorf("%w: file %s: %v", devices.ErrNoDevice, path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: file %s: is a folder (open folders of images with dir:)", devices.ErrNoDevice, path)
	case !fi.Mode().IsRegular():
		// A FIFO or device would block FFmpeg's probe indefinitely.
		return nil, fmt.Errorf("%w: file %s: not a regular file", devices.ErrNoDevice, path)
	case fi.Size() == 0:
		return nil, fmt.Errorf("%w: file %s: empty file", devices.ErrNoDevice, path)
	}

	vc, err := openCapture(path, gocv.VideoCaptureFFmpeg)
	if err != nil {
		return nil, fmt.Errorf("%w: file %s: not a video OpenCV can decode", devices.ErrNoDevice, path)
	}
	if fps == 0 {
		fps = validRate(vc.Get(gocv.VideoCaptureFPS))
	}
	opened := time.Now()
	c := newCamera(vc, devices.Info{
		Backend: "file",
		ID:      path,
		Name:    filepath.Base(path),
		Width:   int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:  int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:     fps,
		Live:    false,
	})
	lastMs := -1.0
	c.stamp = func(seq uint64) time.Time {
		ms := vc.Get(gocv.VideoCapturePosMsec)
		if !(ms >= 0 && ms < 1e12) || (seq > 0 && ms <= lastMs) {
			// No timestamp: a stream without any (FFmpeg reports a huge
			// negative number for raw MJPEG) or a frame flushed from the
			// decoder at the end (reported as 0). Step on from the last.
			switch {
			case fps <= 0:
				ms = max(float64(time.Since(opened))/float64(time.Millisecond), lastMs)
			case lastMs < 0:
				ms = float64(seq) * 1000 / fps
			default:
				ms = lastMs + 1000/fps
			}
		}
		lastMs = ms
		return opened.Add(time.Duration(ms * float64(time.Millisecond)))
	}
	if !c.prime() {
		c.Close()
		return nil, fmt.Errorf("%w: file %s: not a video OpenCV can decode (no frame could be decoded; truncated?)", devices.ErrNoDevice, path)
	}
	if c.info.Width <= 0 || c.info.Height <= 0 {
		c.info.Width, c.info.Height = c.mat.Cols(), c.mat.Rows()
	}
	return c, nil
}
