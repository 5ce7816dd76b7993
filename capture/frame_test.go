package capture

import (
	"errors"
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

func TestFrameMatRejectsBadFrames(t *testing.T) {
	jpeg, err := os.ReadFile(face(t, "obama_small.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(format devices.PixelFormat, w, h, stride int, data []byte) *devices.Frame {
		return devices.NewFrame(0, time.Now(), "test", format, w, h, stride, data, nil)
	}
	bad := map[string]*devices.Frame{
		"empty":               mk(devices.JPEG, 0, 0, 0, nil),
		"text as jpeg":        mk(devices.JPEG, 0, 0, 0, []byte("this is not an image at all")),
		"jpeg header only":    mk(devices.JPEG, 0, 0, 0, jpeg[:20]),
		"short bgr":           mk(devices.BGR24, 640, 480, 1920, make([]byte, 1000)),
		"zero size bgr":       mk(devices.BGR24, 0, 480, 0, make([]byte, 10)),
		"stride under width":  mk(devices.BGR24, 10, 10, 10, make([]byte, 300)),
		"unknown format":      mk(devices.PixelFormat(99), 1, 1, 1, []byte{1}),
		"padded rows refused": mk(devices.BGR24, 10, 2, 32, make([]byte, 64)),
	}
	scratch := gocv.NewMat()
	defer scratch.Close()
	for name, f := range bad {
		m, err := frameMat(f, &scratch)
		if !errors.Is(err, devices.ErrBadFrame) {
			t.Errorf("%s: err %v, want ErrBadFrame", name, err)
			if err == nil {
				m.Close()
			}
		}
	}

	// A truncated JPEG decodes partially (libjpeg fills the rest) or is
	// refused; either way the process survives and a decoded Mat is sane.
	m, err := frameMat(mk(devices.JPEG, 0, 0, 0, jpeg[:len(jpeg)/2]), &scratch)
	if err == nil {
		if m.Cols() != 320 || m.Rows() != 240 {
			t.Errorf("truncated jpeg decoded to %dx%d", m.Cols(), m.Rows())
		}
		m.Close()
	} else if !errors.Is(err, devices.ErrBadFrame) {
		t.Errorf("truncated jpeg: %v", err)
	}

	// A whole JPEG and a grey frame convert to BGR.
	m, err = frameMat(mk(devices.JPEG, 0, 0, 0, jpeg), &scratch)
	if err != nil || m.Cols() != 320 || m.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("jpeg: %v", err)
	}
	m.Close()
	m, err = frameMat(mk(devices.Gray8, 4, 2, 4, make([]byte, 8)), &scratch)
	if err != nil || m.Cols() != 4 || m.Rows() != 2 || m.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("grey: %v", err)
	}
	m.Close()
}
