//go:build linux

package gocvcam

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

func init() { devices.RegisterCamera("v4l2", openV4L2) }

// v4l2Major is the character-device major number of video4linux nodes.
const v4l2Major = 81

// openV4L2 opens "v4l2:TARGET[?width=W&height=H&fps=F&fourcc=CCCC]".
//
// TARGET is a device node (/dev/video0), a stable udev link
// (/dev/v4l/by-id/..., /dev/v4l/by-path/...), or a bare index as a
// convenience (0 means /dev/video0). Info.ID is the path as given, so a
// stable link stays stable in logs and configuration. The query asks the
// driver for a size, rate and pixel format (MJPG for HD rates on most USB
// cameras); the driver may pick the nearest it supports, and Info reports
// what it picked.
//
// The node is checked before OpenCV sees it: a missing node, one that is not
// a video4linux character device, or one the process may not open is an
// error wrapping devices.ErrNoDevice. The camera is live. A failed read is
// devices.ErrDisconnected (sticky) when the node has gone, else
// devices.ErrTimeout (reading on is allowed). Frame.Time is when the read
// returned.
func openV4L2(ctx context.Context, target string) (devices.Camera, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gocvcam: open v4l2: %w", err)
	}
	id, q, err := splitTarget(target)
	if err != nil {
		return nil, fmt.Errorf("gocvcam: v4l2:%s: %w", target, err)
	}
	opts := newOptions(q, "width", "height", "fps", "fourcc")
	width, height := opts.positiveInt("width"), opts.positiveInt("height")
	fps := opts.positiveFloat("fps")
	fourcc := opts.fourcc("fourcc")
	if opts.err != nil {
		return nil, fmt.Errorf("gocvcam: v4l2:%s: %w", target, opts.err)
	}
	if n, err := strconv.Atoi(id); err == nil && n >= 0 {
		id = "/dev/video" + strconv.Itoa(n)
	}
	node, err := v4l2Node(id)
	if err != nil {
		return nil, err
	}

	vc, err := openCapture(node, gocv.VideoCaptureV4L2)
	if err != nil {
		return nil, fmt.Errorf("%w: v4l2 %s: cannot open (in use by another program, or not a capture device)", devices.ErrNoDevice, id)
	}
	// Format before size: a size may only be offered in some formats.
	if fourcc != "" {
		vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec(fourcc))
	}
	if width > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(width))
	}
	if height > 0 {
		vc.Set(gocv.VideoCaptureFrameHeight, float64(height))
	}
	if fps > 0 {
		vc.Set(gocv.VideoCaptureFPS, fps)
	}
	c := newCamera(vc, devices.Info{
		Backend: "v4l2",
		ID:      id,
		Name:    v4l2Name(node),
		Width:   int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:  int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:     validRate(vc.Get(gocv.VideoCaptureFPS)),
		Live:    true,
	})
	c.failed = func() error { return v4l2ReadFailure(id, node) }
	return c, nil
}

// v4l2Node checks that path names a video4linux character device this
// process may open and returns it with symbolic links resolved.
func v4l2Node(path string) (string, error) {
	fi, err := os.Stat(path) // follows a by-id link to its node
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: v4l2 %s: no such device node", devices.ErrNoDevice, path)
	case err != nil:
		return "", fmt.Errorf("%w: v4l2 %s: %v", devices.ErrNoDevice, path, err)
	case fi.Mode()&fs.ModeCharDevice == 0:
		return "", fmt.Errorf("%w: v4l2 %s: not a character device", devices.ErrNoDevice, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if major := devMajor(uint64(st.Rdev)); major != v4l2Major {
			return "", fmt.Errorf("%w: v4l2 %s: not a video4linux device (character device major %d, want %d)", devices.ErrNoDevice, path, major, v4l2Major)
		}
	}
	node, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("%w: v4l2 %s: %v", devices.ErrNoDevice, path, err)
	}
	if err := syscall.Access(node, 6 /* R_OK|W_OK */); errors.Is(err, syscall.EACCES) {
		return "", fmt.Errorf("%w: v4l2 %s: permission denied (is the user in the video group?)", devices.ErrNoDevice, path)
	}
	return node, nil
}

// devMajor extracts the major number from a Linux dev_t.
func devMajor(dev uint64) uint32 {
	return uint32((dev>>8)&0xfff) | uint32((dev>>32)&^uint64(0xfff))
}

// v4l2Name reads the driver's product name from sysfs, falling back to the
// node's name.
func v4l2Name(node string) string {
	b, err := os.ReadFile(filepath.Join("/sys/class/video4linux", filepath.Base(node), "name"))
	if name := strings.TrimSpace(string(b)); err == nil && name != "" {
		return name
	}
	return filepath.Base(node)
}

// v4l2ReadFailure classifies a failed read: the node (or the link the user
// gave) has gone, which is an unplug, or the device did not deliver in
// time.
func v4l2ReadFailure(id, node string) error {
	for _, p := range []string{id, node} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: v4l2 %s is gone", devices.ErrDisconnected, id)
		}
	}
	return fmt.Errorf("%w: v4l2 %s delivered no frame", devices.ErrTimeout, id)
}
