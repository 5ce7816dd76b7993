package gocvcam

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

func init() { devices.RegisterCamera("gst", openGst) }

// finiteSources are the first elements that make a pipeline a non-live
// source: they read a file at the pace of the reader and end.
var finiteSources = []string{"filesrc", "multifilesrc"}

// openGst opens "gst:PIPELINE", a GStreamer pipeline in gst-launch syntax.
//
// The frames must reach an appsink as raw video. A pipeline that names no
// appsink element gets " ! videoconvert ! appsink" appended, so
// "gst:videotestsrc" works; a pipeline that has its own appsink is used as
// given and should put videoconvert before it.
//
// Info.Live is true unless the pipeline starts with filesrc or
// multifilesrc, a heuristic: those are paced by the reader, while cameras,
// network sources and test sources produce frames on their own.
//
// A failed read ends the stream with devices.ErrEndOfStream, because through
// OpenCV's VideoCapture a GStreamer end-of-stream and a pipeline error look
// the same. The one exception is a v4l2src whose device= node has vanished,
// reported as devices.ErrDisconnected. Both are sticky. Frame.Time is the
// time the read returned (OpenCV's pipeline position is unreliable).
//
// A pipeline that does not parse or does not reach the playing state is an
// error wrapping devices.ErrNoDevice with "gstreamer pipeline failed to start".
func openGst(ctx context.Context, pipeline string) (devices.Camera, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gocvcam: open gst: %w", err)
	}
	p := strings.TrimSpace(pipeline)
	elems := pipelineTokens(p)
	if len(elems) == 0 {
		return nil, fmt.Errorf("%w: gstreamer pipeline failed to start: empty pipeline", devices.ErrNoDevice)
	}
	if !slices.Contains(elems, "appsink") {
		p += " ! videoconvert ! appsink"
	}
	vc, err := openCapture(p, gocv.VideoCaptureGstreamer)
	if err != nil {
		return nil, fmt.Errorf("%w: gstreamer pipeline failed to start: %s", devices.ErrNoDevice, p)
	}
	c := newCamera(vc, devices.Info{
		Backend: "gst",
		ID:      pipeline,
		Name:    "gstreamer " + elems[0],
		Width:   int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:  int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:     validRate(vc.Get(gocv.VideoCaptureFPS)),
		Live:    !slices.Contains(finiteSources, elems[0]),
	})
	if dev := v4l2srcDevice(elems); dev != "" {
		c.failed = func() error {
			if _, err := os.Stat(dev); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%w: gst: %s is gone", devices.ErrDisconnected, dev)
			}
			return devices.ErrEndOfStream
		}
	}
	return c, nil
}

// pipelineTokens splits a gst-launch pipeline into element names and
// properties, enough to find element names; it does not parse quoting.
func pipelineTokens(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool {
		return r == '!' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// v4l2srcDevice returns the device= property of a v4l2src, or "".
func v4l2srcDevice(tokens []string) string {
	if !slices.Contains(tokens, "v4l2src") {
		return ""
	}
	for _, t := range tokens {
		if v, ok := strings.CutPrefix(t, "device="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}
