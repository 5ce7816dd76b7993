package pipeline

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway/protocol"
)

// bgrFrame is a w x h BGR24 frame whose pixel (x, y) is B=x%256, G=y%256,
// R=(x+y)%256.
func bgrFrame(w, h int) *devices.Frame {
	data := make([]byte, w*h*3)
	for y := range h {
		for x := range w {
			p := data[(y*w+x)*3:]
			p[0], p[1], p[2] = byte(x), byte(y), byte(x+y)
		}
	}
	return devices.NewFrame(1, time.Now(), "test", devices.BGR24, w, h, w*3, data, nil)
}

// Previews are at most protocol.PreviewMaxWidth wide, keep the aspect, and
// sample the frame's own pixels in RGB order; frames that cannot be read
// give none.
func TestPreviewImage(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{640, 480, 320, 240},
		{1280, 720, 320, 180},
		{320, 240, 320, 240},
		{200, 100, 200, 100},
	} {
		img := previewImage(bgrFrame(tc.w, tc.h))
		if img == nil || img.Bounds().Dx() != tc.wantW || img.Bounds().Dy() != tc.wantH {
			t.Fatalf("%dx%d: preview %v, want %dx%d", tc.w, tc.h, img, tc.wantW, tc.wantH)
		}
		step := tc.w / tc.wantW
		x, y := tc.wantW-1, tc.wantH-1
		want := color.RGBA{R: byte(x*step + y*step), G: byte(y * step), B: byte(x * step), A: 255}
		if got := img.At(x, y).(color.RGBA); got != want {
			t.Errorf("%dx%d: preview pixel (%d,%d) = %v, want the frame's (%d,%d) %v", tc.w, tc.h, x, y, got, x*step, y*step, want)
		}
		if tc.wantW > protocol.PreviewMaxWidth {
			t.Errorf("preview wider than %d", protocol.PreviewMaxWidth)
		}
	}

	gray := devices.NewFrame(1, time.Now(), "test", devices.Gray8, 640, 480, 640, bytes.Repeat([]byte{77}, 640*480), nil)
	if img := previewImage(gray); img == nil || img.At(5, 5).(color.RGBA) != (color.RGBA{77, 77, 77, 255}) {
		t.Errorf("grey frame: preview %v", img)
	}
	var buf bytes.Buffer
	src := image.NewRGBA(image.Rect(0, 0, 640, 480))
	if err := jpeg.Encode(&buf, src, nil); err != nil {
		t.Fatal(err)
	}
	jf := devices.NewFrame(1, time.Now(), "test", devices.JPEG, 0, 0, 0, buf.Bytes(), nil)
	if img := previewImage(jf); img == nil || img.Bounds().Dx() != 320 {
		t.Errorf("JPEG frame: preview %v, want 320 wide", img)
	}
	for name, f := range map[string]*devices.Frame{
		"not a JPEG": devices.NewFrame(1, time.Now(), "test", devices.JPEG, 0, 0, 0, []byte("not a jpeg"), nil),
		"short data": devices.NewFrame(1, time.Now(), "test", devices.BGR24, 640, 480, 1920, make([]byte, 100), nil),
	} {
		if img := previewImage(f); img != nil {
			t.Errorf("%s: preview %v, want none", name, img)
		}
	}
}

// The preview's cost per frame: downscaling and JPEG encoding, at most 5 a
// second per kiosk session.
func BenchmarkPreview(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		f := bgrFrame(size.w, size.h)
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := jpeg.Encode(&buf, previewImage(f), &jpeg.Options{Quality: 70}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
