package liveness

import (
	"errors"
	"math"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
)

// TestTransforms checks each transform on a synthetic frame: what it must
// change, what it must keep, and that its noise repeats with its seed.
func TestTransforms(t *testing.T) {
	src := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer src.Close()
	px, err := src.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(px); i += 3 {
		x := (i / 3) % 640
		px[i], px[i+1], px[i+2] = byte(60+x%50), byte(100+x%80), byte(160+x%90) // skin-like, textured
	}
	chroma := func(m gocv.Mat) float64 {
		b := m.ToBytes()
		return capture.MeanChroma(b)
	}
	mean := func(m gocv.Mat) float64 {
		s := m.Mean()
		return (s.Val1 + s.Val2 + s.Val3) / 3
	}
	c0, m0 := chroma(src), mean(src)
	for _, tr := range Transforms() {
		t.Run(tr.Name, func(t *testing.T) {
			a, b := gocv.NewMat(), gocv.NewMat()
			defer a.Close()
			defer b.Close()
			if err := tr.Apply(src, &a, 7); err != nil {
				t.Fatal(err)
			}
			if err := tr.Apply(src, &b, 7); err != nil {
				t.Fatal(err)
			}
			if a.Type() != gocv.MatTypeCV8UC3 || a.Empty() {
				t.Fatalf("type %v, empty %v", a.Type(), a.Empty())
			}
			diff := gocv.NewMat()
			defer diff.Close()
			gocv.AbsDiff(a, b, &diff)
			if s := diff.Sum(); s.Val1+s.Val2+s.Val3 != 0 {
				t.Error("same seed, different output")
			}
			c, m := chroma(a), mean(a)
			switch tr.Name {
			case "grey":
				if c > 0.5 {
					t.Errorf("chroma %.1f after greyscale", c)
				}
			case "desaturate":
				if math.Abs(c-0.3*c0) > 0.1*c0 {
					t.Errorf("chroma %.1f, want about 30 %% of %.1f", c, c0)
				}
			case "wb-warm", "wb-warm-mild", "wb-cool":
				if math.Abs(c-c0) < 3 {
					t.Errorf("chroma %.1f against %.1f: white balance did not move", c, c0)
				}
			case "dark":
				if m > 0.4*m0 {
					t.Errorf("mean %.1f against %.1f: not dark", m, m0)
				}
			case "dim":
				if m > 0.6*m0 || m < 0.4*m0 {
					t.Errorf("mean %.1f against %.1f: not half", m, m0)
				}
			case "scale240":
				if a.Rows() != 240 || a.Cols() != 320 {
					t.Errorf("%dx%d, want 320x240", a.Cols(), a.Rows())
				}
			}
			if tr.Name != "scale240" && (a.Rows() != 480 || a.Cols() != 640) {
				t.Errorf("%dx%d, want the size kept", a.Cols(), a.Rows())
			}
			if tr.Name != "dark" && tr.Name != "dim" && math.Abs(m-m0) > 0.25*m0 {
				t.Errorf("mean %.1f against %.1f", m, m0)
			}
		})
	}
	if _, err := TransformByName("sepia"); err == nil {
		t.Error("unknown transform accepted")
	}
	tr, err := TransformByName("grey")
	if err != nil {
		t.Fatal(err)
	}
	grey := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8U)
	defer grey.Close()
	dst := gocv.NewMat()
	defer dst.Close()
	if err := tr.Apply(grey, &dst, 0); !errors.Is(err, ErrBadImage) {
		t.Errorf("grey Mat: %v, want ErrBadImage", err)
	}
}
