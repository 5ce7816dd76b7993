package capture

import (
	"fmt"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// frameMat turns a frame into a BGR Mat. For tightly packed BGR24 the Mat is
// a view over f.Data, valid only while f is open; JPEG is decoded and grey is
// converted into scratch, which the caller owns. The returned Mat must be
// closed (closing a view frees nothing of f). Malformed frames are rejected
// here, before OpenCV could abort on them, with an error wrapping
// devices.ErrBadFrame.
func frameMat(f *devices.Frame, scratch *gocv.Mat) (gocv.Mat, error) {
	if err := f.Validate(); err != nil {
		return gocv.Mat{}, err
	}
	switch f.Format {
	case devices.BGR24:
		if f.Stride == f.Width*3 {
			return gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data[:f.Stride*f.Height])
		}
		return gocv.Mat{}, fmt.Errorf("%w: padded BGR rows are not supported", devices.ErrBadFrame)
	case devices.Gray8:
		if f.Stride != f.Width {
			return gocv.Mat{}, fmt.Errorf("%w: padded grey rows are not supported", devices.ErrBadFrame)
		}
		g, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8U, f.Data[:f.Stride*f.Height])
		if err != nil {
			return gocv.Mat{}, err
		}
		gocv.CvtColor(g, scratch, gocv.ColorGrayToBGR)
		g.Close()
		return scratch.Clone(), nil
	case devices.JPEG:
		if len(f.Data) < 4 || f.Data[0] != 0xFF || f.Data[1] != 0xD8 {
			return gocv.Mat{}, fmt.Errorf("%w: not a JPEG", devices.ErrBadFrame)
		}
		m, err := gocv.IMDecode(f.Data, gocv.IMReadColor)
		if err != nil || m.Empty() {
			m.Close()
			return gocv.Mat{}, fmt.Errorf("%w: JPEG does not decode", devices.ErrBadFrame)
		}
		return m, nil
	}
	return gocv.Mat{}, fmt.Errorf("%w: format %v", devices.ErrBadFrame, f.Format)
}

// EncodeJPEG encodes a BGR Mat as JPEG at the given quality (1-100).
func EncodeJPEG(m gocv.Mat, quality int) ([]byte, error) {
	if m.Empty() {
		return nil, ErrBadImage
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, fmt.Errorf("capture: jpeg encode: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}
