package fingerprint

import (
	"encoding/binary"
	"image"
	"image/draw"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

// sample is one shared FVC2002 image with its reference minutiae.
type sample struct {
	name string
	img  *devices.FingerprintImage
	// minutiae in the image's pixel coordinates.
	minutiae [][2]int
}

// fvcSet loads every image of shared/data/fingerprints/fvc2002/<db> (80
// per set) with the minutiae of its ISO/IEC 19794-2 template.
//
// The templates were extracted (by a commercial SDK) from the images
// scaled to the 300x400 their record headers declare, whatever the set's
// real size: mapped back by that scale, every minutia of all four sets lies
// where a loose segmentation finds a finger, while taken as they are a
// third of DB3's fall outside.
func fvcSet(t *testing.T, db string) []sample {
	t.Helper()
	dir := filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", db)
	pngs, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(pngs) != 80 {
		t.Fatalf("%s: %d images (%v), want 80", dir, len(pngs), err)
	}
	out := make([]sample, 0, len(pngs))
	for _, p := range pngs {
		img := readGray(t, p)
		w, h, pts := readISOMinutiae(t, p[:len(p)-len(".png")]+".iso")
		s := sample{name: db + "/" + filepath.Base(p), img: img}
		for _, m := range pts {
			s.minutiae = append(s.minutiae, [2]int{m[0] * img.Width / w, m[1] * img.Height / h})
		}
		out = append(out, s)
	}
	return out
}

// readGray decodes an image file with the standard library into a
// FingerprintImage (colour converted to grey).
func readGray(t *testing.T, path string) *devices.FingerprintImage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g, ok := src.(*image.Gray)
	if !ok || g.Stride != g.Rect.Dx() {
		g = image.NewGray(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
		draw.Draw(g, g.Rect, src, src.Bounds().Min, draw.Src)
	}
	return &devices.FingerprintImage{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Pix: g.Pix}
}

// readISOMinutiae reads the declared image size and the minutiae positions
// of the first finger view of an ISO/IEC 19794-2:2005 record: a 24-byte
// header ("FMR\0", " 20\0", length, equipment, width, height, resolutions,
// view count, reserved), a 4-byte view header whose last byte counts the
// minutiae, then 6 bytes per minutia (type and x in 14 bits, y in 14 bits,
// angle, quality). Just enough for these tests; the record codec is issue
// 17's.
func readISOMinutiae(t *testing.T, path string) (w, h int, pts [][2]int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 28 || string(b[:8]) != "FMR\x00 20\x00" || b[22] < 1 {
		t.Fatalf("%s: not an ISO/IEC 19794-2:2005 record with a view", path)
	}
	w, h = int(binary.BigEndian.Uint16(b[14:])), int(binary.BigEndian.Uint16(b[16:]))
	n := int(b[27])
	if len(b) < 28+6*n || w == 0 || h == 0 {
		t.Fatalf("%s: %d minutiae in %d bytes, size %dx%d", path, n, len(b), w, h)
	}
	for i := range n {
		o := 28 + 6*i
		pts = append(pts, [2]int{int(binary.BigEndian.Uint16(b[o:]) & 0x3fff), int(binary.BigEndian.Uint16(b[o+2:]) & 0x3fff)})
	}
	return w, h, pts
}

// scores summarises a segmentation over a set.
type scores struct {
	// recall is the share of reference minutiae inside the masks.
	recall float64
	// fraction is the mean foreground fraction.
	fraction float64
	// far is the mean share of a mask's blocks with no minutia within
	// three blocks: foreground far from any ridge detail, mostly a mask
	// spilling over the background.
	far float64
}

func score(t *testing.T, set []sample, cfg SegmentConfig) scores {
	t.Helper()
	var s scores
	hit, all := 0, 0
	for _, x := range set {
		m, err := Segment(x.img, cfg)
		if err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		s.fraction += m.Fraction()
		for _, p := range x.minutiae {
			all++
			if m.At(p[0], p[1]) {
				hit++
			}
		}
		s.far += farShare(m, x.minutiae)
	}
	s.recall = float64(hit) / float64(all)
	s.fraction /= float64(len(set))
	s.far /= float64(len(set))
	return s
}

// farShare is the share of m's foreground blocks whose centre is more than
// three blocks from every minutia (0 for an empty mask).
func farShare(m *Mask, minutiae [][2]int) float64 {
	fg, far := 0, 0
	d := 3 * m.BlockSize
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.Block(c, r) {
				continue
			}
			fg++
			cx, cy := c*m.BlockSize+m.BlockSize/2, r*m.BlockSize+m.BlockSize/2
			near := false
			for _, p := range minutiae {
				if dx, dy := p[0]-cx, p[1]-cy; dx*dx+dy*dy <= d*d {
					near = true
					break
				}
			}
			if !near {
				far++
			}
		}
	}
	if fg == 0 {
		return 0
	}
	return float64(far) / float64(fg)
}

// uniformImage is a w x h image of grey level v: a reader with no finger.
func uniformImage(w, h int, v byte) *devices.FingerprintImage {
	img := &devices.FingerprintImage{Width: w, Height: h, Pix: make([]byte, w*h)}
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}
