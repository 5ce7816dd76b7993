package main

import (
	"context"
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// Frame size and JPEG quality of the frames sent, as a phone would send.
const (
	frameWidth  = 640
	frameHeight = 480
	jpegQuality = 85
	// maxClipFrames bounds the memory the pre-encoded clip takes.
	maxClipFrames = 600
)

// loadClip reads the clip once and returns its frames as 640x480 JPEG.
func loadClip(ctx context.Context, path string) ([][]byte, error) {
	cam, err := devices.OpenCamera(ctx, "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	defer cam.Close()
	var out [][]byte
	for len(out) < maxClipFrames {
		f, err := cam.Read(ctx)
		if errors.Is(err, devices.ErrEndOfStream) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("clip: %w", err)
		}
		jpeg, err := encodeFrame(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("clip: %w", err)
		}
		out = append(out, jpeg)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("clip %s: no frames", path)
	}
	return out, nil
}

// encodeFrame resizes a packed BGR frame to 640x480 and encodes it as JPEG.
// The caller keeps f and closes it.
func encodeFrame(f *devices.Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.Format != devices.BGR24 || f.Stride != f.Width*3 || f.Width <= 0 || f.Height <= 0 {
		return nil, fmt.Errorf("frame %d: not a packed BGR frame", f.Seq)
	}
	src, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst := gocv.NewMat()
	defer dst.Close()
	gocv.Resize(src, &dst, image.Pt(frameWidth, frameHeight), 0, 0, gocv.InterpolationArea)
	if dst.Empty() {
		return nil, fmt.Errorf("frame %d: resize failed", f.Seq)
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, dst, []int{gocv.IMWriteJpegQuality, jpegQuality})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}
