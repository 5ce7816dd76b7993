package wsq

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// nistSample is the NIST SD14 image the shared data holds as WSQ (encoded
// by NBIS at a nominal 0.75 bpp) and as the PNG of its reference decoding.
func nistSample(t testing.TB) (wsq []byte, ref *image.Gray) {
	t.Helper()
	dir := filepath.Join(testenv.Shared(t), "data", "fingerprints", "sourceafis")
	wsq, err := os.ReadFile(filepath.Join(dir, "wsq-original.wsq"))
	if err != nil {
		t.Fatal(err)
	}
	return wsq, loadGray(t, filepath.Join(dir, "wsq-converted.png"))
}

// loadGray reads an 8-bit grey image (the PNGs may be paletted).
func loadGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			r, gg, bb, _ := c.RGBA()
			if r != gg || gg != bb {
				t.Fatalf("%s: pixel (%d,%d) is not grey", path, x, y)
			}
			g.SetGray(x, y, color.GrayModel.Convert(c).(color.Gray))
		}
	}
	return g
}

// diff returns the largest absolute difference, the number of differing
// pixels and the root mean square difference of two same-size images.
func diff(a, b *image.Gray) (maxDiff, differing int, rmse float64) {
	var se float64
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d != 0 {
			differing++
		}
		maxDiff = max(maxDiff, d, -d)
		se += float64(d * d)
	}
	return maxDiff, differing, math.Sqrt(se / float64(len(a.Pix)))
}

// The tolerance for a WSQ decoder: every reconstructed pixel within one
// grey level of the reference reconstruction, since implementations may
// differ only in floating point rounding. (The rule as the task states it;
// the specification's certification text was not at hand to quote.)
func TestDecodeMatchesReference(t *testing.T) {
	data, ref := nistSample(t)
	img, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect != ref.Rect {
		t.Fatalf("decoded %v, reference %v", img.Rect, ref.Rect)
	}
	maxDiff, differing, _ := diff(img, ref)
	t.Logf("%d of %d pixels differ from the reference, by at most %d", differing, len(ref.Pix), maxDiff)
	if maxDiff > 1 {
		t.Errorf("max |diff| = %d, the tolerance is 1 grey level", maxDiff)
	}
	// Rounding flips only pixels that sit on a .5 boundary: a systematic
	// error (a filter or dequantization off by a little) flips many more.
	if differing > len(ref.Pix)/1000 {
		t.Errorf("%d pixels differ, more than 0.1%%", differing)
	}
}

func TestReadInfo(t *testing.T) {
	data, _ := nistSample(t)
	info, err := ReadInfo(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Width: 832, Height: 768, PPI: 500}); info != want {
		t.Errorf("ReadInfo = %+v, want %+v", info, want)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "wsq" || cfg.Width != 832 || cfg.Height != 768 || cfg.ColorModel != color.GrayModel {
		t.Errorf("image.DecodeConfig = %+v, %q, %v; want 832x768 grey, \"wsq\"", cfg, format, err)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil || format != "wsq" {
		t.Fatalf("image.Decode: %q, %v", format, err)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("image.Decode gave %T, want *image.Gray", img)
	}
}

// roundTrip encodes img at bitrate and decodes the result.
func roundTrip(t *testing.T, img *image.Gray, opts *Options) (*image.Gray, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, img, opts); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("decoding our own stream: %v", err)
	}
	if out.Rect.Size() != img.Rect.Size() {
		t.Fatalf("decoded %v, encoded %v", out.Rect, img.Rect)
	}
	return out, buf.Bytes()
}

// Encoding at the FBI's 0.75 bpp and decoding back. The bounds come from
// measurements (RMSE 1.29, 7.1 and 8.9 grey levels; 0.43, 0.47 and 0.61
// bpp) with about 40 % margin. WSQ error grows with ridge contrast: the
// NIST scan is soft, the FVC2002 DB1 (optical) and DB3 (capacitive)
// prints are near black on grey. A codec that misplaces a subband, uses a
// wrong filter or mis-scales a bin ends tens of grey levels off.
//
// The rate: the standard's bit allocation meets its target on a model of
// the coder, and real images code smaller. NBIS itself coded the NIST
// sample at 0.44 bpp for a nominal 0.75 (the file's size), so the check
// is the band [0.5, 1.05] of the target, and for the NIST sample, the size
// NBIS reached within 10 %.
func TestRoundTrip(t *testing.T) {
	shared := testenv.Shared(t)
	nist, ref := nistSample(t)
	tests := []struct {
		name    string
		img     *image.Gray
		maxRMSE float64
	}{
		{"nist-sd14-832x768", ref, 1.8},
		{"fvc2002-db1-388x374", loadGray(t, filepath.Join(shared, "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png")), 10},
		{"fvc2002-db3-300x300", loadGray(t, filepath.Join(shared, "data", "fingerprints", "fvc2002", "DB3_B", "101_1.png")), 12.5},
	}
	const target = 0.75
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, data := roundTrip(t, tt.img, &Options{Bitrate: target, PPI: 500})
			_, _, rmse := diff(out, tt.img)
			bpp := 8 * float64(len(data)) / float64(len(tt.img.Pix))
			t.Logf("%v: %d bytes, %.3f bpp (target %.2f), RMSE %.2f grey levels", tt.img.Rect.Size(), len(data), bpp, target, rmse)
			if rmse > tt.maxRMSE {
				t.Errorf("RMSE %.2f, want <= %.2f", rmse, tt.maxRMSE)
			}
			if bpp < 0.5*target || bpp > 1.05*target {
				t.Errorf("%.3f bpp, want within [%.3f, %.3f]", bpp, 0.5*target, 1.05*target)
			}
			if tt.img == ref {
				if r := float64(len(data)) / float64(len(nist)); r < 0.9 || r > 1.1 {
					t.Errorf("%d bytes, NBIS wrote %d for this image: ratio %.3f", len(data), len(nist), r)
				}
			}
			info, err := ReadInfo(bytes.NewReader(data))
			if want := (Info{tt.img.Rect.Dx(), tt.img.Rect.Dy(), 500}); err != nil || info != want {
				t.Errorf("ReadInfo = %+v, %v; want %+v", info, err, want)
			}
		})
	}
}

// The bit allocation follows the reference encoder: re-encoding the NIST
// sample's reconstruction at the same rate gives the bin widths NBIS chose
// for the original scan, within 10 % (measured: within 2.6 %, 7 % for
// subbands 49-50). Subbands above 52 are left out: the reconstruction lost
// most of their energy, so they are legitimately narrower or dropped.
func TestQuantizationMatchesReference(t *testing.T) {
	data, ref := nistSample(t)
	_, ours := roundTrip(t, ref, &Options{Bitrate: 0.75})
	tables := func(stream []byte) *quantTable {
		d := decoder{data: stream}
		if _, err := d.decode(); err != nil {
			t.Fatal(err)
		}
		return d.quant
	}
	nbis, got := tables(data), tables(ours)
	for i := range 53 {
		if r := got.q[i] / nbis.q[i]; !(r > 0.9 && r < 1.1) {
			t.Errorf("subband %d: bin width %.4f, NBIS %.4f", i, got.q[i], nbis.q[i])
		}
		if r := got.z[i] / got.q[i]; math.Abs(float64(r)-1.2) > 1e-3 {
			t.Errorf("subband %d: zero bin %.4f is not 1.2 bins of %.4f", i, got.z[i], got.q[i])
		}
	}
	if got.center != 0.44 {
		t.Errorf("bin centre %v, want 0.44", got.center)
	}
}

func TestEncodeSubImage(t *testing.T) {
	_, ref := nistSample(t)
	sub := ref.SubImage(image.Rect(101, 53, 101+301, 53+257)).(*image.Gray)
	cp := image.NewGray(image.Rect(0, 0, 301, 257))
	for y := range 257 {
		copy(cp.Pix[y*cp.Stride:], sub.Pix[y*sub.Stride:y*sub.Stride+301])
	}
	var a, b bytes.Buffer
	if err := Encode(&a, sub, nil); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b, cp, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("a sub-image and its copy encode differently")
	}
}

func TestEncodeUniform(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	out, _ := roundTrip(t, img, nil)
	if maxDiff, _, _ := diff(out, img); maxDiff != 0 {
		t.Errorf("uniform image comes back off by up to %d", maxDiff)
	}
}

func TestEncodeComment(t *testing.T) {
	img := testPattern(96, 80)
	var buf bytes.Buffer
	if err := Encode(&buf, img, &Options{Comment: "operator 7"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("operator 7")) {
		t.Error("comment not written")
	}
	info, err := ReadInfo(bytes.NewReader(buf.Bytes()))
	if err != nil || info != (Info{96, 80, -1}) {
		t.Errorf("ReadInfo = %+v, %v; want 96x80, PPI -1", info, err)
	}
}

func TestEncodeInvalid(t *testing.T) {
	ok := testPattern(MinSize, MinSize)
	tests := []struct {
		name string
		img  *image.Gray
		opts *Options
	}{
		{"nil image", nil, nil},
		{"too narrow", image.NewGray(image.Rect(0, 0, MinSize-1, 100)), nil},
		{"too tall", image.NewGray(image.Rect(0, 0, 100, MaxSize+1)), nil},
		{"negative rate", ok, &Options{Bitrate: -1}},
		{"rate too high", ok, &Options{Bitrate: 9}},
		{"NaN rate", ok, &Options{Bitrate: math.NaN()}},
		{"long comment", ok, &Options{Comment: strings.Repeat("x", 65534)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.img, tt.opts)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Encode = %v, want ErrInvalid", err)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written on error", buf.Len())
			}
		})
	}
}

// testPattern is a synthetic image with ridges and a gradient.
func testPattern(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 128 + 90*math.Sin(float64(x+2*y)/3) + float64(x-y)/4
			img.Pix[y*w+x] = uint8(max(0, min(255, v)))
		}
	}
	return img
}
