package wsq

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode checks that no input makes the decoder panic or fail with
// anything but ErrFormat, and that what it accepts agrees with ReadInfo.
// Seeds: the NIST sample, a small stream of our own and truncations of
// both. Crashers found are kept in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	nist, _ := nistSample(f)
	var small bytes.Buffer
	if err := Encode(&small, testPattern(80, 72), &Options{Bitrate: 1.5, PPI: 500}); err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{nist, small.Bytes()} {
		f.Add(s)
		for _, n := range []int{2, 100, len(s) / 3, len(s) - 40, len(s) - 1} {
			f.Add(s[:n])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data))
		info, infoErr := ReadInfo(bytes.NewReader(data))
		if infoErr != nil && !errors.Is(infoErr, ErrFormat) {
			t.Fatalf("ReadInfo error does not wrap ErrFormat: %v", infoErr)
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Decode error does not wrap ErrFormat: %v", err)
			}
			return
		}
		if infoErr != nil {
			t.Fatalf("Decode succeeded, ReadInfo failed: %v", infoErr)
		}
		if img.Rect.Dx() != info.Width || img.Rect.Dy() != info.Height {
			t.Fatalf("Decode gave %v, ReadInfo %dx%d", img.Rect, info.Width, info.Height)
		}
	})
}
