package liveness

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
)

// Transform is one change real cameras make to what they see (colour,
// light, noise, compression, resolution, blur), applied to a BGR frame so
// that an evaluation can check that bona fide presentations stay live, and
// attacks spoof, through it (biogate pad-eval --transform).
type Transform struct {
	// Name identifies the transform (pad-eval --transform NAME).
	Name string
	// Doc says what it does, in a line.
	Doc   string
	apply func(px []byte, w, h int, rng *rand.Rand) ([]byte, int, int, error)
}

// Transforms returns every transform, in a fixed order.
func Transforms() []Transform {
	jpeg := func(q int) Transform {
		return Transform{Name: fmt.Sprintf("jpeg%d", q), Doc: fmt.Sprintf("JPEG at quality %d", q),
			apply: func(px []byte, w, h int, _ *rand.Rand) ([]byte, int, int, error) { return jpegRoundTrip(px, w, h, q) }}
	}
	return []Transform{
		{Name: "grey", Doc: "greyscale (a monochrome or near-infrared camera)", apply: pointwise(func(b, g, r float64, _ *rand.Rand) (float64, float64, float64) {
			y := 0.114*b + 0.587*g + 0.299*r
			return y, y, y
		})},
		{Name: "desaturate", Doc: "30 % of the colour kept (a colour-graded, washed-out picture)", apply: pointwise(func(b, g, r float64, _ *rand.Rand) (float64, float64, float64) {
			y := 0.114*b + 0.587*g + 0.299*r
			return y + 0.3*(b-y), y + 0.3*(g-y), y + 0.3*(r-y)
		})},
		{Name: "wb-warm", Doc: "white balance shifted warm: red x1.25, blue x0.75 (tungsten light uncorrected)", apply: pointwise(func(b, g, r float64, _ *rand.Rand) (float64, float64, float64) {
			return 0.75 * b, g, 1.25 * r
		})},
		{Name: "wb-warm-mild", Doc: "a mild warm cast: red x1.1, blue x0.9 (a lamp's tint)", apply: pointwise(func(b, g, r float64, _ *rand.Rand) (float64, float64, float64) {
			return 0.9 * b, g, 1.1 * r
		})},
		{Name: "wb-cool", Doc: "white balance shifted cool: red x0.75, blue x1.25 (daylight through a window)", apply: pointwise(func(b, g, r float64, _ *rand.Rand) (float64, float64, float64) {
			return 1.25 * b, g, 0.75 * r
		})},
		{Name: "dim", Doc: "dim light: 50 % of the light, sensor noise sigma 2", apply: pointwise(func(b, g, r float64, rng *rand.Rand) (float64, float64, float64) {
			return 0.5*b + 2*rng.NormFloat64(), 0.5*g + 2*rng.NormFloat64(), 0.5*r + 2*rng.NormFloat64()
		})},
		{Name: "dark", Doc: "low light: 30 % of the light, sensor noise sigma 2", apply: pointwise(func(b, g, r float64, rng *rand.Rand) (float64, float64, float64) {
			return 0.3*b + 2*rng.NormFloat64(), 0.3*g + 2*rng.NormFloat64(), 0.3*r + 2*rng.NormFloat64()
		})},
		{Name: "gain", Doc: "low light brought back by gain: 30 % of the light, noise sigma 2.5, x3.3 (noise sigma about 8)", apply: pointwise(func(b, g, r float64, rng *rand.Rand) (float64, float64, float64) {
			return 3.3 * (0.3*b + 2.5*rng.NormFloat64()), 3.3 * (0.3*g + 2.5*rng.NormFloat64()), 3.3 * (0.3*r + 2.5*rng.NormFloat64())
		})},
		jpeg(30), jpeg(60), jpeg(95),
		{Name: "scale240", Doc: "frame scaled down to 240 px high (QVGA-like: faces of about 40-130 px)", apply: scaleTo(240)},
		{Name: "blur", Doc: "horizontal motion blur over 1/64 of the frame's width (10 px at 640)", apply: motionBlur},
	}
}

// TransformByName returns the transform called name.
func TransformByName(name string) (Transform, error) {
	var names []string
	for _, t := range Transforms() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Transform{}, fmt.Errorf("liveness: no transform %q (have %s)", name, strings.Join(names, ", "))
}

// Apply writes src transformed to dst. src must be an open, non-empty
// CV_8UC3 Mat (else ErrBadImage); seed makes the noise of the noisy
// transforms repeatable (a clip's frame number, say).
func (t Transform) Apply(src gocv.Mat, dst *gocv.Mat, seed uint64) error {
	if err := checkImage(src); err != nil {
		return err
	}
	w, h := src.Cols(), src.Rows()
	px := src.ToBytes()
	if len(px) != w*h*3 {
		return fmt.Errorf("%w: %d bytes for %dx%d", ErrBadImage, len(px), w, h)
	}
	out, ow, oh, err := t.apply(px, w, h, rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)))
	if err != nil {
		return fmt.Errorf("liveness: transform %s: %w", t.Name, err)
	}
	m, err := gocv.NewMatFromBytes(oh, ow, gocv.MatTypeCV8UC3, out)
	if err != nil {
		return fmt.Errorf("liveness: transform %s: %w", t.Name, err)
	}
	m.CopyTo(dst)
	m.Close()
	runtime.KeepAlive(out)
	return nil
}

// pointwise makes a transform of each pixel alone (channels in B, G, R
// order, results rounded and clipped to 0-255).
func pointwise(f func(b, g, r float64, rng *rand.Rand) (float64, float64, float64)) func([]byte, int, int, *rand.Rand) ([]byte, int, int, error) {
	return func(px []byte, w, h int, rng *rand.Rand) ([]byte, int, int, error) {
		out := make([]byte, len(px))
		for i := 0; i+2 < len(px); i += 3 {
			b, g, r := f(float64(px[i]), float64(px[i+1]), float64(px[i+2]), rng)
			out[i], out[i+1], out[i+2] = clip8(b), clip8(g), clip8(r)
		}
		return out, w, h, nil
	}
}

func clip8(v float64) byte { return byte(math.Min(255, math.Max(0, math.Round(v)))) }

// jpegRoundTrip encodes px as JPEG at quality q and decodes it.
func jpegRoundTrip(px []byte, w, h, q int) ([]byte, int, int, error) {
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, px)
	if err != nil {
		return nil, 0, 0, err
	}
	defer m.Close()
	buf, err := capture.EncodeJPEG(m, q)
	runtime.KeepAlive(px)
	if err != nil {
		return nil, 0, 0, err
	}
	d, err := gocv.IMDecode(buf, gocv.IMReadColor)
	if err != nil || d.Empty() || d.Type() != gocv.MatTypeCV8UC3 {
		d.Close()
		return nil, 0, 0, fmt.Errorf("JPEG does not decode: %v", err)
	}
	defer d.Close()
	return d.ToBytes(), d.Cols(), d.Rows(), nil
}

// scaleTo makes a transform that scales a frame higher than rows down to
// rows (INTER_AREA, aspect kept); smaller frames stay as they are.
func scaleTo(rows int) func([]byte, int, int, *rand.Rand) ([]byte, int, int, error) {
	return func(px []byte, w, h int, _ *rand.Rand) ([]byte, int, int, error) {
		if h <= rows {
			return px, w, h, nil
		}
		nw := max(1, int(math.Round(float64(w)*float64(rows)/float64(h))))
		m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, px)
		if err != nil {
			return nil, 0, 0, err
		}
		defer m.Close()
		d := gocv.NewMat()
		defer d.Close()
		gocv.Resize(m, &d, image.Pt(nw, rows), 0, 0, gocv.InterpolationArea)
		runtime.KeepAlive(px)
		return d.ToBytes(), d.Cols(), d.Rows(), nil
	}
}

// motionBlur averages each pixel with its row neighbours over a length of
// 1/64 of the width (at least 3 pixels), the blur of a horizontal movement
// during the exposure.
func motionBlur(px []byte, w, h int, _ *rand.Rand) ([]byte, int, int, error) {
	k := max(3, int(math.Round(float64(w)/64)))
	out := make([]byte, len(px))
	sum := make([]int, 3)
	for y := range h {
		row := px[y*w*3 : (y+1)*w*3]
		o := out[y*w*3 : (y+1)*w*3]
		for x := range w {
			sum[0], sum[1], sum[2] = 0, 0, 0
			n := 0
			for dx := -k / 2; dx < k-k/2; dx++ {
				xx := min(w-1, max(0, x+dx))
				sum[0] += int(row[xx*3])
				sum[1] += int(row[xx*3+1])
				sum[2] += int(row[xx*3+2])
				n++
			}
			for c := range 3 {
				o[x*3+c] = byte((sum[c] + n/2) / n)
			}
		}
	}
	return out, w, h, nil
}

// TransformCamera returns a camera that plays cam's frames through t.
// Frames must be packed BGR24 (what file and folder cameras give);
// another format ends the stream with an error wrapping
// devices.ErrBadFrame. Closing it closes cam.
func TransformCamera(cam devices.Camera, t Transform) devices.Camera {
	return &transformed{Camera: cam, t: t}
}

type transformed struct {
	devices.Camera
	t Transform
}

func (c *transformed) Read(ctx context.Context) (*devices.Frame, error) {
	f, err := c.Camera.Read(ctx)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.Format != devices.BGR24 || f.Stride != f.Width*3 {
		return nil, fmt.Errorf("%w: transform %s needs packed BGR24, got %v", devices.ErrBadFrame, c.t.Name, f.Format)
	}
	out, w, h, err := c.t.apply(f.Data[:f.Stride*f.Height], f.Width, f.Height, rand.New(rand.NewPCG(f.Seq, 0x9e3779b97f4a7c15)))
	if err != nil {
		return nil, fmt.Errorf("liveness: transform %s: %w", c.t.Name, err)
	}
	if len(out) > 0 && &out[0] == &f.Data[0] {
		out = append([]byte(nil), out...) // f's buffer goes back to the camera
	}
	return devices.NewFrame(f.Seq, f.Time, f.Source, devices.BGR24, w, h, w*3, out, nil), nil
}
