package liveness

import (
	"errors"
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/models"
)

// The cues. Each is an independent per-frame (or per-session) signal in
// [0, 1] as evidence of live: 1 looks live, 0 looks like an attack, 0.5
// says nothing either way. Each maps a raw measure through a piecewise
// linear curve whose points come from the shared data (see the tests).
//
// What was measured and dropped (no separation on the shared data, so no
// code): moiré (isolated peaks in the 64x64 spectrum of the face at native
// resolution: peak energy 0-11 % on genuine faces, 0.4-3.9 % on replays,
// whose faces are 56-200 px and too smoothed by the cameras to show a pixel
// grid); screen and paper borders (long straight lines on 3-4 sides around
// the face: offices, windows and curtains behind genuine faces give as many
// as the phone's bezel or the paper's edge); the Laplacian-to-contrast
// ratio of the face (0.18-0.65 genuine, 0.19-0.35 attacks).

// ErrBadImage means an image handed to the package is closed, empty or not
// 8-bit BGR. No native code ran.
var ErrBadImage = errors.New("liveness: image is closed, empty or not 8-bit BGR")

// checkImage returns ErrBadImage unless img is an open, non-empty CV_8UC3
// Mat, checking in an order that never hands OpenCV a nil Mat.
func checkImage(img gocv.Mat) error {
	switch {
	case img.Ptr() == nil:
		return fmt.Errorf("%w: closed Mat", ErrBadImage)
	case img.Empty():
		return fmt.Errorf("%w: empty Mat", ErrBadImage)
	case img.Type() != gocv.MatTypeCV8UC3:
		return fmt.Errorf("%w: type %v", ErrBadImage, img.Type())
	case img.Cols() <= 0 || img.Rows() <= 0:
		return fmt.Errorf("%w: %dx%d", ErrBadImage, img.Cols(), img.Rows())
	}
	return nil
}

// finiteBox reports whether b has finite fields and a positive size.
func finiteBox(b models.Rect) bool {
	for _, v := range [...]float32{b.X, b.Y, b.W, b.H} {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return b.W > 0 && b.H > 0
}

// scaledBox returns b scaled by s around its centre, the centre moved by
// (dx, dy) box widths and heights, as an integer rectangle (not clipped).
func scaledBox(b models.Rect, s, dx, dy float64) image.Rectangle {
	w, h := float64(b.W), float64(b.H)
	cx := float64(b.X) + w/2 + dx*w
	cy := float64(b.Y) + h/2 + dy*h
	return image.Rect(int(math.Round(cx-s*w/2)), int(math.Round(cy-s*h/2)),
		int(math.Round(cx+s*w/2)), int(math.Round(cy+s*h/2)))
}

// minRegion is the smallest side, in pixels, of an image region a cue
// measures: below it there is nothing to measure.
const minRegion = 8

// inside clips r to a w x h image and reports whether at least minFrac of
// its area and minRegion pixels a side remain.
func inside(r image.Rectangle, w, h int, minFrac float64) (image.Rectangle, bool) {
	want := r.Dx() * r.Dy()
	c := r.Intersect(image.Rect(0, 0, w, h))
	if want <= 0 || c.Dx() < minRegion || c.Dy() < minRegion {
		return c, false
	}
	return c, float64(c.Dx()*c.Dy()) >= minFrac*float64(want)
}

// frame is a BGR image's pixels as packed rows (3 bytes a pixel, no
// padding), read in Go: the cues sample the pixels they need instead of
// resizing regions through OpenCV, which costs several times more (INTER_AREA
// at arbitrary scales) and could throw.
type frame struct {
	px   []byte
	w, h int
}

// view returns img's pixels (img checked by checkImage): img's own memory
// when it is continuous, else a copy in scratch. The frame is valid while
// img (and scratch) stay open and unchanged.
func view(img gocv.Mat, scratch *gocv.Mat) (frame, error) {
	src := img
	if !img.IsContinuous() {
		img.CopyTo(scratch)
		src = *scratch
	}
	b, err := src.DataPtrUint8()
	w, h := src.Cols(), src.Rows()
	if err != nil || len(b) < w*h*3 {
		return frame{}, fmt.Errorf("%w: %d bytes for %dx%d, %v", ErrBadImage, len(b), w, h, err)
	}
	return frame{px: b[:w*h*3], w: w, h: h}, nil
}

// sample writes, for each cell of an n x n grid over r (inside f), the
// pixel at the cell's centre to dst (packed BGR, 3*n*n bytes): single
// pixels, so a clipped highlight stays clipped.
func (f frame) sample(r image.Rectangle, n int, dst []byte) {
	sx, sy := float64(r.Dx())/float64(n), float64(r.Dy())/float64(n)
	for j := range n {
		y := r.Min.Y + min(int((float64(j)+0.5)*sy), r.Dy()-1)
		row := f.px[y*f.w*3:]
		for i := range n {
			x := r.Min.X + min(int((float64(i)+0.5)*sx), r.Dx()-1)
			copy(dst[(j*n+i)*3:(j*n+i)*3+3], row[x*3:x*3+3])
		}
	}
}

// maxGrid is the largest grid grey supports.
const maxGrid = 64

// grey writes the grey level of each cell of an n x n grid (n at most
// maxGrid) over r (inside f) to dst (n*n values): the mean of up to 3 x 3
// bilinear samples spread evenly over the cell. The samples keep a
// downscaled texture from aliasing at a fixed cost whatever the face's
// size, sit at exact positions (so phase correlation sees true shifts), and
// make an upscaled patch smooth rather than blocky.
func (f frame) grey(r image.Rectangle, n int, dst []float64) {
	sx, sy := float64(r.Dx())/float64(n), float64(r.Dy())/float64(n)
	kx, ky := min(max(int(math.Ceil(sx)), 1), 3), min(max(int(math.Ceil(sy)), 1), 3)
	// Sample columns and rows: a pixel index and the weight of the next.
	var xs, ys [3 * maxGrid]int
	var wx, wy [3 * maxGrid]int // in 1/256
	axis := func(lo, size int, s float64, k int, idx, w []int) {
		hi := float64(lo + size - 1)
		for i := range idx {
			p := math.Min(hi, math.Max(float64(lo), float64(lo)+(float64(i)+0.5)*s/float64(k)-0.5))
			idx[i] = int(p)
			w[i] = int((p - float64(idx[i])) * 256)
		}
	}
	axis(r.Min.X, r.Dx(), sx, kx, xs[:n*kx], wx[:n*kx])
	axis(r.Min.Y, r.Dy(), sy, ky, ys[:n*ky], wy[:n*ky])
	// BT.601 weights in 1/256 (29 B + 150 G + 77 R), so a pixel's grey is
	// in 1/256 and a bilinear sample in 1/256^3.
	g := func(row []byte, x int) int {
		p := row[x*3 : x*3+3]
		return 29*int(p[0]) + 150*int(p[1]) + 77*int(p[2])
	}
	norm := 1 / float64(256*256*256*kx*ky)
	for j := range n {
		for i := range n {
			sum := 0
			for b := j * ky; b < (j+1)*ky; b++ {
				y0 := ys[b]
				y1 := min(y0+1, f.h-1)
				r0, r1 := f.px[y0*f.w*3:], f.px[y1*f.w*3:]
				for a := i * kx; a < (i+1)*kx; a++ {
					x0 := xs[a]
					x1 := min(x0+1, f.w-1)
					top := g(r0, x0)*(256-wx[a]) + g(r0, x1)*wx[a]
					bot := g(r1, x0)*(256-wx[a]) + g(r1, x1)*wx[a]
					sum += top*(256-wy[b]) + bot*wy[b]
				}
			}
			dst[j*n+i] = float64(sum) * norm
		}
	}
}

// CurvePoint is one point of a Curve: a raw measure X and the cue's score Y.
type CurvePoint struct{ X, Y float64 }

// Curve is a piecewise linear map from a cue's raw measure to its score,
// through points with increasing X, constant beyond the first and last.
// An empty curve, or a NaN measure, gives 0.5 (neutral).
type Curve []CurvePoint

// At returns the curve's value at v.
func (c Curve) At(v float64) float64 {
	if math.IsNaN(v) || len(c) == 0 {
		return 0.5
	}
	if v <= c[0].X {
		return c[0].Y
	}
	for i := 1; i < len(c); i++ {
		if v <= c[i].X {
			a, b := c[i-1], c[i]
			return a.Y + (b.Y-a.Y)*(v-a.X)/(b.X-a.X)
		}
	}
	return c[len(c)-1].Y
}

// stillCues measures the single-frame cues (screen, print) on the inner
// face. It reuses its buffer between frames; not safe for concurrent use.
type stillCues struct {
	patch []byte // inner face sampled on a stillPatch x stillPatch grid, BGR
}

// stillPatch is the side of the inner-face sample grid: 4096 pixels are
// plenty for the means the cues take, and the cost does not grow with the
// face.
const stillPatch = 64

// stillMeasures are the raw measures behind the screen and print cues.
type stillMeasures struct {
	// Glare is the fraction of clipped, colourless pixels (screen.go).
	Glare float64
	// Chroma is the mean chroma magnitude, in YCrCb units (print.go).
	Chroma float64
}

func newStillCues() *stillCues { return &stillCues{patch: make([]byte, stillPatch*stillPatch*3)} }

// innerFace is the part of the face box the still cues look at: 80 % of
// the box around a centre 5 % lower, which leaves out most hair and
// background at the box's edges and keeps forehead, cheeks, nose and mouth.
func innerFace(b models.Rect) image.Rectangle { return scaledBox(b, 0.8, 0, 0.05) }

// measure computes the still measures of the face at box (finite) in f.
// ok is false when too little of the face is inside f.
func (c *stillCues) measure(f frame, box models.Rect) (m stillMeasures, ok bool) {
	r, ok := inside(innerFace(box), f.w, f.h, 0.5)
	if !ok {
		return m, false
	}
	f.sample(r, stillPatch, c.patch)
	m.Glare = glareFraction(c.patch)
	m.Chroma = capture.MeanChroma(c.patch)
	return m, true
}
