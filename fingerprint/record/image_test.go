package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"reflect"
	"strings"
	"testing"
)

// fvcGray decodes a shared FVC2002 image to 8-bit grey.
func fvcGray(t testing.TB, rel string) *image.Gray {
	t.Helper()
	src, err := png.Decode(bytes.NewReader(sharedFile(t, rel)))
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(g, g.Rect, src, src.Bounds().Min, draw.Src)
	return g
}

// imageRecord wraps images in a record with header values a 500 ppi
// live-scan reader would write.
func imageRecord(c Compression, images ...FingerImage) *ImageRecord {
	return &ImageRecord{
		CaptureDeviceID:  0x0123,
		AcquisitionLevel: 31,
		ScaleUnits:       PixelsPerInch,
		ScanXResolution:  500, ScanYResolution: 500,
		XResolution: 500, YResolution: 500,
		PixelDepth:  8,
		Compression: c,
		Fingers:     images,
	}
}

func TestImageRoundTrip(t *testing.T) {
	g := fvcGray(t, "fvc2002/DB1_B/101_1.png")
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, g); err != nil {
		t.Fatal(err)
	}
	raw := FingerImage{
		Position: RightIndex, ViewCount: 2, ViewNumber: 1, Quality: 62,
		Impression: LiveScanPlain, Width: uint16(w), Height: uint16(h), Data: g.Pix,
	}
	second := raw
	second.ViewNumber, second.Quality, second.Data = 2, 254, bytes.Repeat([]byte{0x80}, w*h)
	for _, c := range []struct {
		name string
		rec  *ImageRecord
	}{
		{"uncompressed, two views", imageRecord(Uncompressed, raw, second)},
		{"PNG", imageRecord(PNG, FingerImage{
			Position: LeftThumb, ViewCount: 1, ViewNumber: 1, Quality: 80,
			Impression: Swipe, Width: uint16(w), Height: uint16(h), Data: pngData.Bytes(),
		})},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.rec.Encode()
			if err != nil {
				t.Fatal(err)
			}
			// General header as the standard lays it out.
			want := []byte{'F', 'I', 'R', 0, '0', '1', '0', 0}
			if !bytes.Equal(b[:8], want) {
				t.Fatalf("starts % x", b[:8])
			}
			if l := uint64(binary.BigEndian.Uint16(b[8:]))<<32 | uint64(binary.BigEndian.Uint32(b[10:])); l != uint64(len(b)) {
				t.Fatalf("record length field %d, record %d bytes", l, len(b))
			}
			if b[18] != byte(len(c.rec.Fingers)) || b[19] != 1 || b[28] != 8 || b[29] != byte(c.rec.Compression) {
				t.Fatalf("header fields % x", b[14:32])
			}
			if bl := binary.BigEndian.Uint32(b[32:]); int(bl) != 14+len(c.rec.Fingers[0].Data) {
				t.Fatalf("finger block length %d", bl)
			}
			got, err := DecodeImage(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.rec) {
				t.Fatalf("decoded record differs")
			}
			again, err := got.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encode differs: %v", err)
			}
			fi := got.Fingers[0]
			var pix []byte
			if got.Compression == PNG {
				img, err := png.Decode(bytes.NewReader(fi.Data))
				if err != nil {
					t.Fatal(err)
				}
				gi, ok := img.(*image.Gray)
				if !ok || gi.Rect.Dx() != int(fi.Width) || gi.Rect.Dy() != int(fi.Height) {
					t.Fatalf("PNG payload is %T %v, want %dx%d grey", img, img.Bounds(), fi.Width, fi.Height)
				}
				pix = gi.Pix
			} else {
				pix = fi.Data
			}
			if !bytes.Equal(pix, g.Pix) {
				t.Fatal("pixels differ from the FVC image")
			}
			t.Logf("%dx%d image, %v: record of %d bytes", fi.Width, fi.Height, got.Compression, len(b))
		})
	}
}

// The version as the brief spells it (" 10\0") decodes too; it is written
// as "010\0".
func TestImageVersionSpellings(t *testing.T) {
	b, err := imageRecord(Uncompressed, FingerImage{Width: 2, Height: 1, Data: []byte{1, 2}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	copy(b[4:], " 10\x00")
	r, err := DecodeImage(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := r.Encode()
	if string(out[4:8]) != "010\x00" {
		t.Fatalf("version written as %q", out[4:8])
	}
}

func TestImageEncodeValidation(t *testing.T) {
	img := FingerImage{Width: 4, Height: 3, Data: make([]byte, 12)}
	for _, c := range []struct {
		name  string
		edit  func(r *ImageRecord)
		field string
	}{
		{"scale units", func(r *ImageRecord) { r.ScaleUnits = 3 }, "scale units"},
		{"depth 0", func(r *ImageRecord) { r.PixelDepth = 0 }, "pixel depth"},
		{"depth 17", func(r *ImageRecord) { r.PixelDepth = 17 }, "pixel depth"},
		{"compression", func(r *ImageRecord) { r.Compression = 6 }, "compression"},
		{"quality", func(r *ImageRecord) { r.Fingers[0].Quality = 101 }, "quality"},
		{"short pixels", func(r *ImageRecord) { r.Fingers[0].Data = r.Fingers[0].Data[:11] }, "uncompressed"},
		{"16-bit pixels need 2 bytes", func(r *ImageRecord) { r.PixelDepth = 16 }, "uncompressed"},
		{"256 images", func(r *ImageRecord) { r.Fingers = make([]FingerImage, 256) }, "finger images"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := imageRecord(Uncompressed, img)
			r.Fingers = append([]FingerImage(nil), r.Fingers...)
			c.edit(r)
			b, err := r.Encode()
			if !errors.Is(err, ErrInvalid) || b != nil {
				t.Fatalf("Encode = %d bytes, %v; want ErrInvalid", len(b), err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %q", err, c.field)
			}
		})
	}
}

func TestDecodeImageErrors(t *testing.T) {
	g := fvcGray(t, "fvc2002/DB3_B/101_1.png")
	crop := g.SubImage(image.Rect(100, 100, 132, 124)).(*image.Gray)
	pix := make([]byte, 0, 32*24)
	for y := range 24 {
		pix = append(pix, crop.Pix[y*crop.Stride:y*crop.Stride+32]...)
	}
	good, err := imageRecord(Uncompressed, FingerImage{Width: 32, Height: 24, Data: pix}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(good) {
		if _, err := DecodeImage(good[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d: %v, want ErrFormat", n, err)
		}
	}
	for n := 14; n < len(good); n++ {
		b := bytes.Clone(good[:n])
		copy(b[8:14], appendU48(nil, uint64(n)))
		if _, err := DecodeImage(b); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d with a matching length: %v", n, err)
		}
	}
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	for _, c := range []struct {
		name  string
		b     []byte
		field string
	}{
		{"wrong magic", edit(func(b []byte) { copy(b, "FMR\x00") }), "format identifier"},
		{"wrong version", edit(func(b []byte) { copy(b[4:], "020\x00") }), "version"},
		{"record length", edit(func(b []byte) { b[13]++ }), "record length"},
		{"image count bigger than the data", edit(func(b []byte) { b[18] = 200 }), "finger images"},
		{"two images, one present", edit(func(b []byte) { b[18] = 2 }), "finger image 1"},
		{"no images, data left", edit(func(b []byte) { b[18] = 0 }), "after the last"},
		{"block longer than the data", edit(func(b []byte) { binary.BigEndian.PutUint32(b[32:], uint32(len(b))) }), "block length"},
		{"block shorter than its header", edit(func(b []byte) { binary.BigEndian.PutUint32(b[32:], 13) }), "block length"},
		{"block shorter than its pixels", edit(func(b []byte) { binary.BigEndian.PutUint32(b[32:], 14+100) }), "uncompressed"},
		{"scale units", edit(func(b []byte) { b[19] = 0 }), "scale units"},
		{"pixel depth", edit(func(b []byte) { b[28] = 0 }), "pixel depth"},
		{"compression", edit(func(b []byte) { b[29] = 6 }), "compression"},
		{"width does not match the pixels", edit(func(b []byte) { b[42]++ }), "uncompressed"},
		{"quality", edit(func(b []byte) { b[39] = 200 }), "quality"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeImage(c.b)
			if !errors.Is(err, ErrFormat) || r != nil {
				t.Fatalf("DecodeImage = %v, %v; want ErrFormat", r, err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %q", err, c.field)
			}
		})
	}
}
