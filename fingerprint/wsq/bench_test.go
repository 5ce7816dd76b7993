package wsq

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	data, _ := nistSample(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	_, img := nistSample(b)
	b.SetBytes(int64(len(img.Pix)))
	for b.Loop() {
		if err := Encode(io.Discard, img, &Options{Bitrate: 0.75}); err != nil {
			b.Fatal(err)
		}
	}
}
