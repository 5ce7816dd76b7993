package record

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"reflect"
	"testing"
)

// FuzzDecodeMinutiae checks that Decode never panics, fails only with
// ErrFormat, and that whatever decodes re-encodes in its own format and
// decodes to the same value; conversion to the other format either fails
// with ErrInvalid or gives a record that decodes; parsed areas never panic.
func FuzzDecodeMinutiae(f *testing.F) {
	for i, tp := range sharedISO(f) {
		if i%8 == 0 { // 40 of the 320, every set
			f.Add(tp.b)
		}
	}
	f.Add(ansiGolden)
	r := isoSample(f)
	cd, _ := CoreDelta{Cores: []Core{{X: 1, Y: 2, HasAngle: true, Angle: 3}}, Deltas: []Delta{{X: 4, Y: 5}}}.Area(ISO19794_2_2005)
	rc, _ := RidgeCounts{Method: 1, Counts: []RidgeCount{{0, 1, 2}}}.Area()
	r.Views[0].Extended = []ExtendedArea{rc, cd, {Type: AreaZonalQuality, Data: []byte{1, 2, 3}}}
	if b, err := r.Encode(ISO19794_2_2005); err == nil {
		f.Add(b)
	}
	r.Views[0].Extended = r.Views[0].Extended[:2]
	if b, err := r.Encode(ANSI378_2004); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, format, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) || r != nil {
				t.Fatalf("Decode: %v (record %v), want ErrFormat and no record", err, r)
			}
			return
		}
		if format != r.Format {
			t.Fatalf("Decode says %v, record %v", format, r.Format)
		}
		out, err := r.Encode(format)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, f2, err := Decode(out)
		if err != nil || f2 != format || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoded record decodes as %v, %v; equal %v", f2, err, reflect.DeepEqual(r, r2))
		}
		other := ISO19794_2_2005
		if format == other {
			other = ANSI378_2004
		}
		if ob, err := r.Encode(other); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("conversion to %v: %v, want ErrInvalid", other, err)
			}
		} else if o, of, err := Decode(ob); err != nil || of != other || len(o.Views) != len(r.Views) {
			t.Fatalf("converted record decodes as %v: %v", of, err)
		}
		for _, v := range r.Views {
			for _, a := range v.Extended {
				switch a.Type {
				case AreaRidgeCount:
					if rc, err := ParseRidgeCounts(a.Data); err == nil {
						if a2, err := rc.Area(); err != nil || !bytes.Equal(a2.Data, a.Data) {
							t.Fatalf("ridge counts do not round trip: %v", err)
						}
					}
				case AreaCoreDelta:
					if cd, err := ParseCoreDelta(format, a.Data); err == nil {
						if a2, err := cd.Area(format); err != nil {
							t.Fatalf("parsed core/delta does not encode: %v", err)
						} else if cd2, err := ParseCoreDelta(format, a2.Data); err != nil || !reflect.DeepEqual(cd, cd2) {
							t.Fatalf("core/delta does not round trip: %v", err)
						}
					}
				}
			}
		}
	})
}

// FuzzDecodeImage checks that DecodeImage never panics, fails only with
// ErrFormat, and that whatever decodes re-encodes and decodes to the same
// value.
func FuzzDecodeImage(f *testing.F) {
	g := fvcGray(f, "fvc2002/DB2_B/101_1.png")
	crop := image.NewGray(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		copy(crop.Pix[y*16:], g.Pix[(150+y)*g.Stride+120:][:16])
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, crop); err != nil {
		f.Fatal(err)
	}
	raw := FingerImage{Position: RightIndex, ViewCount: 1, ViewNumber: 1, Quality: 50, Width: 16, Height: 12, Data: crop.Pix}
	p := raw
	p.Data = pngData.Bytes()
	for _, r := range []*ImageRecord{imageRecord(Uncompressed, raw, raw), imageRecord(PNG, p)} {
		b, err := r.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeImage(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) || r != nil {
				t.Fatalf("DecodeImage: %v (record %v), want ErrFormat and no record", err, r)
			}
			return
		}
		out, err := r.Encode()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := DecodeImage(out)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoded record decodes as %v; equal %v", err, reflect.DeepEqual(r, r2))
		}
	})
}
