package relay_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/biogate/biogate/devices/relay"
)

// realJPEG encodes a w x h image with Go's encoder (baseline, with its
// quantisation and Huffman tables before the frame header).
func realJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSize returns a copy of j whose first frame header says w x h.
func withSize(t testing.TB, j []byte, w, h int) []byte {
	t.Helper()
	j = bytes.Clone(j)
	i := bytes.Index(j, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	j[i+5], j[i+6], j[i+7], j[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
	return j
}

func TestJPEGSize(t *testing.T) {
	base := realJPEG(t, 64, 48)
	// An EXIF-like APP1 segment holding a thumbnail's own frame header:
	// the size is the image's, not the thumbnail's.
	thumb := []byte{0xFF, 0xE1, 0x00, 0x0F, 'E', 'x', 'i', 'f', 0, 0, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10}
	withThumb := append(append([]byte{0xFF, 0xD8}, thumb...), base[2:]...)
	// Progressive (SOF2), with fill bytes before a marker.
	progressive := bytes.Replace(base, []byte{0xFF, 0xC0}, []byte{0xFF, 0xFF, 0xC2}, 1)
	for _, c := range []struct {
		name string
		j    []byte
		w, h int
		err  error
	}{
		{"baseline", base, 64, 48, nil},
		{"larger", realJPEG(t, 640, 480), 640, 480, nil},
		{"thumbnail in APP1", withThumb, 64, 48, nil},
		{"progressive, fill bytes", progressive, 64, 48, nil},
		{"declares 30000x30000", withSize(t, base, 30000, 30000), 30000, 30000, nil},
		{"zero height (DNL)", withSize(t, base, 64, 0), 0, 0, relay.ErrNotJPEG},
		{"scan before the frame header", []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
		{"no frame header at all", []byte{0xFF, 0xD8, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
		{"segment past the end", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x7F, 0xFF, 0x00, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
		{"segment length under 2", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
		{"garbage where a marker belongs", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
		{"short frame header", []byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x05, 0x08, 0x00, 0x10, 0xFF, 0xD9}, 0, 0, relay.ErrNotJPEG},
	} {
		w, h, err := relay.JPEGSize(c.j)
		if w != c.w || h != c.h || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%s: %dx%d, %v; want %dx%d, %v", c.name, w, h, err, c.w, c.h, c.err)
		}
	}
}

// TestPushRefusesDeclaredSize: a frame whose header declares more pixels
// than MaxFramePixels is refused as too large before anything decodes it,
// counted, and the camera takes the next honest frame.
func TestPushRefusesDeclaredSize(t *testing.T) {
	base := realJPEG(t, 64, 48)
	cam := newCamera(t, relay.Config{MaxFramePixels: 64 * 48})
	bomb := relay.AppendMessage(nil, relay.Header{Seq: 1}, withSize(t, base, 30000, 30000))
	if err := cam.Push(bomb); !errors.Is(err, relay.ErrTooLarge) {
		t.Fatalf("30000x30000 frame: %v, want ErrTooLarge", err)
	}
	if err := cam.Push(relay.AppendMessage(nil, relay.Header{Seq: 2}, withSize(t, base, 65, 48))); !errors.Is(err, relay.ErrTooLarge) {
		t.Errorf("one pixel column over: %v, want ErrTooLarge", err)
	}
	if err := cam.Push(relay.AppendMessage(nil, relay.Header{Seq: 3}, withSize(t, base, 64, 0))); !errors.Is(err, relay.ErrNotJPEG) {
		t.Errorf("zero height: %v, want ErrNotJPEG", err)
	}
	if err := cam.Push(relay.AppendMessage(nil, relay.Header{Seq: 4}, base)); err != nil {
		t.Fatalf("honest frame after: %v", err)
	}
	st := cam.Stats()
	if st.Rejected.TooLarge != 2 || st.Rejected.NotJPEG != 1 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := relay.New(relay.Config{MaxFramePixels: -1}); err == nil {
		t.Error("negative MaxFramePixels accepted")
	}
}
