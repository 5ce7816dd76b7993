package gocvcam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// camera is the devices.Camera shared by the three schemes; the opener of
// each scheme fills in info and the two hooks.
type camera struct {
	info    devices.Info
	pool    *devices.BufferPool
	release func([]byte) // pool.Put, bound once so a frame costs no closure

	// failed maps a failed native read to a sentinel error. ErrEndOfStream
	// and ErrDisconnected are sticky: later reads return them again without
	// calling OpenCV.
	failed func() error
	// stamp gives the capture time of the frame just read, numbered seq.
	// Called with mu held, right after the native read.
	stamp func(seq uint64) time.Time

	mu         sync.Mutex // held for the whole native read; Close waits on it
	vc         *gocv.VideoCapture
	mat        gocv.Mat // reused decode target
	conv       gocv.Mat // reused conversion target (gray or BGRA to BGR)
	primed     bool     // mat already holds frame 0 (decoded by the opener)
	primedTime time.Time
	seq        uint64
	done       error // sticky end of the source
	closed     bool
}

// maxFreeBuffers bounds how many idle frame buffers a camera keeps. A
// consumer that holds more frames than this at once makes the camera
// allocate; buffers beyond the bound are left to the garbage collector.
const maxFreeBuffers = 4

func newCamera(vc *gocv.VideoCapture, info devices.Info) *camera {
	c := &camera{info: info, vc: vc, mat: gocv.NewMat(), conv: gocv.NewMat()}
	c.pool = devices.NewBufferPool(maxFreeBuffers, 0) // raw frames: exact size
	c.release = c.pool.Put
	c.failed = func() error { return devices.ErrEndOfStream }
	c.stamp = func(uint64) time.Time { return time.Now() }
	return c
}

// openCapture opens uri with one OpenCV backend. gocv returns a live
// VideoCapture even when opening fails; it is closed here so a failed open
// leaves nothing behind.
func openCapture(uri string, api gocv.VideoCaptureAPI) (*gocv.VideoCapture, error) {
	vc, err := gocv.VideoCaptureFileWithAPI(uri, api)
	if err == nil && !vc.IsOpened() {
		err = errors.New("not opened")
	}
	if err != nil {
		if vc != nil {
			vc.Close()
		}
		return nil, err
	}
	return vc, nil
}

// prime decodes frame 0 at open time, so that a source OpenCV opens but
// cannot decode (a truncated or mislabelled file) fails at open, not at the
// first Read. Called before the camera is shared.
func (c *camera) prime() bool {
	if !c.vc.Read(&c.mat) || c.mat.Empty() {
		return false
	}
	c.primed = true
	c.primedTime = c.stamp(0)
	return true
}

// Info implements devices.Camera.
func (c *camera) Info() devices.Info { return c.info }

// Read implements devices.Camera. It checks ctx before the native read,
// which cannot be interrupted once started.
func (c *camera) Read(ctx context.Context) (*devices.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gocvcam: %s read: %w", c.info.Backend, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, devices.ErrClosed
	}
	if c.done != nil {
		return nil, c.done
	}
	var t time.Time
	if c.primed {
		c.primed = false
		t = c.primedTime
	} else {
		if !c.vc.Read(&c.mat) || c.mat.Empty() {
			err := c.failed()
			if errors.Is(err, devices.ErrEndOfStream) || errors.Is(err, devices.ErrDisconnected) {
				c.done = err
			}
			return nil, err
		}
		t = c.stamp(c.seq)
	}
	return c.frame(t)
}

// frame copies the decoded Mat into a pooled buffer. Called with mu held.
func (c *camera) frame(t time.Time) (*devices.Frame, error) {
	src, err := toBGR(&c.mat, &c.conv)
	if err != nil {
		return nil, fmt.Errorf("gocvcam: %s: %w", c.info.Backend, err)
	}
	w, h := src.Cols(), src.Rows()
	n := w * h * 3
	data, err := src.DataPtrUint8() // a view of C memory: copy, never keep
	if err != nil || len(data) < n {
		return nil, fmt.Errorf("gocvcam: %s: %w: %d bytes for %dx%d", c.info.Backend, devices.ErrBadFrame, len(data), w, h)
	}
	buf := c.pool.Get(n)
	copy(buf, data[:n])
	f := devices.NewFrame(c.seq, t, c.info.ID, devices.BGR24, w, h, w*3, buf, c.release)
	c.seq++
	return f, nil
}

// toBGR returns m itself when it is a continuous 8UC3 image, or scratch
// holding m converted to one. It only hands OpenCV a Mat it has checked, as
// an empty or mistyped Mat would throw a C++ exception and abort the process.
func toBGR(m, scratch *gocv.Mat) (*gocv.Mat, error) {
	if m.Empty() || m.Rows() <= 0 || m.Cols() <= 0 {
		return nil, fmt.Errorf("%w: empty image", devices.ErrBadFrame)
	}
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
		if m.IsContinuous() {
			return m, nil
		}
		m.CopyTo(scratch) // a fresh, continuous copy
	case gocv.MatTypeCV8UC1:
		gocv.CvtColor(*m, scratch, gocv.ColorGrayToBGR)
	case gocv.MatTypeCV8UC4:
		gocv.CvtColor(*m, scratch, gocv.ColorBGRAToBGR)
	default:
		return nil, fmt.Errorf("%w: unsupported pixel type %v", devices.ErrBadFrame, m.Type())
	}
	if scratch.Empty() || scratch.Type() != gocv.MatTypeCV8UC3 || !scratch.IsContinuous() {
		return nil, fmt.Errorf("%w: conversion from %v failed", devices.ErrBadFrame, m.Type())
	}
	return scratch, nil
}

// Close implements devices.Camera. It waits for a Read in progress, then
// releases the capture and its Mats. It is idempotent.
func (c *camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.vc.Close()
	c.vc = nil
	c.mat.Close()
	c.conv.Close()
	return err
}
