package fingerprint

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/biogate/biogate/devices"
)

// ErrInvalidImage: the image is nil, empty, or its Pix does not hold
// Width*Height grey levels. A blank or noisy image is not an error: its
// mask is simply empty.
var ErrInvalidImage = errors.New("fingerprint: invalid image")

// SegmentConfig tunes Segment. The zero value means the defaults.
type SegmentConfig struct {
	// BlockSize is the side of the square blocks, in pixels; default 16 (a
	// bit under two ridge periods at 500 ppi, so each block holds ridges
	// and valleys).
	BlockSize int
	// MinStdDev is the smallest standard deviation of grey levels (0-255)
	// a foreground block has whatever the image; default DefaultMinStdDev.
	MinStdDev float64
	// RelStdDev sets the standard deviation a foreground block needs
	// relative to the image's contrast (the 90th percentile of its blocks'
	// standard deviations), so that a faint sensor and a contrasty one are
	// cut alike; default DefaultRelStdDev. The threshold is the larger of
	// the two.
	RelStdDev float64
	// MinCoherence is the smallest orientation coherence (0-1) of a
	// foreground block; default DefaultMinCoherence.
	MinCoherence float64
}

// The default thresholds. DefaultRelStdDev and DefaultMinCoherence were
// chosen on FVC2002 DB1_B alone and are checked on DB2_B, DB3_B and DB4_B,
// whose sensors differ (TestDefaultsChosenOnDB1 and TestHeldOutSets in
// segment_test.go say how):
//
//   - DefaultMinStdDev: a floor, so that a flat image (a blank platen) is
//     never a finger however low its contrast; not tuned.
//   - DefaultRelStdDev: ridges against valleys give a block a standard
//     deviation near the image's contrast; the empty platen stays at a
//     small part of it. Relative, because sensors differ threefold in
//     contrast (FVC2002 DB3's ridges vary by 15-30 grey levels, DB1's by
//     25-80): an absolute threshold chosen on DB1 loses a quarter of DB3's
//     finger.
//   - DefaultMinCoherence: ridges run parallel over a few blocks, so their
//     grey-level gradients share one orientation (coherence mostly
//     0.3-0.9); random noise has gradients in every direction (under 0.1
//     over 3x3 blocks of 16 pixels). This is what tells a noisy blank from
//     a finger, which variance alone cannot.
//
// On DB1 the defaults keep 99.5% of the reference minutiae (from the
// sets' ISO templates) inside the masks; on the held-out sets 98.2% (DB2),
// 98.4% (DB3) and 99.8% (DB4), with masks of 50-60% of the image.
const (
	DefaultMinStdDev    = 2.0
	DefaultRelStdDev    = 0.4
	DefaultMinCoherence = 0.15
)

func (c SegmentConfig) withDefaults() (SegmentConfig, error) {
	if c.BlockSize == 0 {
		c.BlockSize = 16
	}
	if c.MinStdDev == 0 {
		c.MinStdDev = DefaultMinStdDev
	}
	if c.RelStdDev == 0 {
		c.RelStdDev = DefaultRelStdDev
	}
	if c.MinCoherence == 0 {
		c.MinCoherence = DefaultMinCoherence
	}
	if c.BlockSize < 4 || c.BlockSize > 128 || !(c.MinStdDev >= 0) || !(c.RelStdDev >= 0 && c.RelStdDev <= 1) ||
		!(c.MinCoherence >= 0 && c.MinCoherence <= 1) || math.IsInf(c.MinStdDev, 0) {
		return c, fmt.Errorf("fingerprint: segment config %+v: block size 4-128, thresholds >= 0, relative ones <= 1", c)
	}
	return c, nil
}

// BlockStats are the grey-level statistics of one block.
type BlockStats struct {
	// Mean and StdDev are of the block's grey levels (0-255).
	Mean, StdDev float64
	// Coherence (0-1) says how much the gradients of the block and its
	// eight neighbours share one orientation: near 1 for parallel ridges,
	// near 0 for noise or a flat block. Over 3x3 blocks because one block
	// of noise holds too few gradients to look random reliably, while
	// ridges keep their orientation over that span.
	Coherence float64
	// Slope (0-1) says how much the block's gradients point one way: the
	// length of their sum over the sum of their lengths. Ridges and valleys
	// alternate, so their gradients cancel out (near 0); shading or a
	// smooth ramp is one slope (near 1).
	Slope float64
}

// MaxSlope is the largest Slope of a foreground block: a block that is
// mostly one slope is shading, not ridges. Not tuned on data: halfway
// between ridges, whose gradients cancel out, and a ramp, at 1.
const MaxSlope = 0.5

// Mask is the foreground of a fingerprint image, block by block. It holds
// no pixels of the image, but its outline is biometric: do not log it.
type Mask struct {
	// Width and Height are the image's size in pixels.
	Width, Height int
	// BlockSize is the side of a block in pixels; Cols and Rows count the
	// blocks (the last column and row may be cut by the image's edge).
	BlockSize  int
	Cols, Rows int
	// Stats holds each block's statistics, row-major (Cols*Rows).
	Stats []BlockStats
	// fg marks the foreground blocks, row-major.
	fg []bool
}

// Block reports whether block (c, r) is foreground; false outside the grid.
func (m *Mask) Block(c, r int) bool {
	if c < 0 || r < 0 || c >= m.Cols || r >= m.Rows {
		return false
	}
	return m.fg[r*m.Cols+c]
}

// At reports whether pixel (x, y) is foreground; false outside the image.
func (m *Mask) At(x, y int) bool {
	if x < 0 || y < 0 || x >= m.Width || y >= m.Height {
		return false
	}
	return m.fg[(y/m.BlockSize)*m.Cols+x/m.BlockSize]
}

// Fraction is the share of the image's pixels in the foreground, 0-1 (edge
// blocks count by their size inside the image).
func (m *Mask) Fraction() float64 {
	if m.Width <= 0 || m.Height <= 0 {
		return 0
	}
	n := 0
	for r := range m.Rows {
		for c := range m.Cols {
			if m.fg[r*m.Cols+c] {
				w := min(m.BlockSize, m.Width-c*m.BlockSize)
				h := min(m.BlockSize, m.Height-r*m.BlockSize)
				n += w * h
			}
		}
	}
	return float64(n) / float64(m.Width*m.Height)
}

// Segment finds the finger in img. A block is foreground when its grey
// levels vary (StdDev at least the larger of MinStdDev and RelStdDev times
// the image's Contrast) along one orientation (Coherence >= MinCoherence)
// and alternate (Slope <= MaxSlope); then the block grid is cleaned: a 3x3 majority vote
// smooths the outline, only the largest connected region is kept, and only
// if it has at least MinRegionBlocks blocks (specks of dirt or noise go),
// and holes inside it are filled (a scar, a dry patch
// or a core with flat grey levels stays foreground). An image without a
// finger gives an empty mask, not an error. Errors wrap ErrInvalidImage or
// report a bad cfg. img is read, not kept.
func Segment(img *devices.FingerprintImage, cfg SegmentConfig) (*Mask, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Pix) < img.Width*img.Height {
		return nil, fmt.Errorf("%w: want Width*Height grey levels", ErrInvalidImage)
	}
	b := cfg.BlockSize
	m := &Mask{
		Width: img.Width, Height: img.Height, BlockSize: b,
		Cols: (img.Width + b - 1) / b, Rows: (img.Height + b - 1) / b,
	}
	m.Stats = make([]BlockStats, m.Cols*m.Rows)
	tensors := make([]tensor, m.Cols*m.Rows)
	for r := range m.Rows {
		for c := range m.Cols {
			m.Stats[r*m.Cols+c], tensors[r*m.Cols+c] = blockStats(img, c*b, r*b, min(b, img.Width-c*b), min(b, img.Height-r*b))
		}
	}
	for r := range m.Rows {
		for c := range m.Cols {
			var sum tensor
			for rr := max(0, r-1); rr <= min(m.Rows-1, r+1); rr++ {
				for cc := max(0, c-1); cc <= min(m.Cols-1, c+1); cc++ {
					t := tensors[rr*m.Cols+cc]
					sum.xx, sum.yy, sum.xy = sum.xx+t.xx, sum.yy+t.yy, sum.xy+t.xy
				}
			}
			m.Stats[r*m.Cols+c].Coherence = sum.coherence()
		}
	}
	m.fg = cleanup(cfg.ridgeBlocks(m.Stats), m.Cols, m.Rows)
	return m, nil
}

// ridgeBlocks applies the thresholds to each block, before the cleanup.
func (cfg SegmentConfig) ridgeBlocks(stats []BlockStats) []bool {
	minStd := max(cfg.MinStdDev, cfg.RelStdDev*Contrast(stats))
	raw := make([]bool, len(stats))
	for i, s := range stats {
		raw[i] = s.StdDev >= minStd && s.Coherence >= cfg.MinCoherence && s.Slope <= MaxSlope
	}
	return raw
}

// Contrast is an image's contrast as Segment measures it: the 90th
// percentile of its blocks' standard deviations, so that the finger (which
// covers far more than a tenth of an image) sets it, and a speck of dust
// with a sharp edge does not; 0 for no blocks.
func Contrast(stats []BlockStats) float64 {
	if len(stats) == 0 {
		return 0
	}
	sd := make([]float64, len(stats))
	for i, s := range stats {
		sd[i] = s.StdDev
	}
	slices.Sort(sd)
	return sd[len(sd)*9/10]
}

// tensor is the sum of a block's gradient structure tensors.
type tensor struct{ xx, yy, xy float64 }

// coherence of the gradient structure tensor (Kass and Witkin; Bazen and
// Gerez use it for segmentation): |(gxx-gyy, 2gxy)| / (gxx+gyy).
func (t tensor) coherence() float64 {
	if e := t.xx + t.yy; e > 0 {
		return math.Hypot(t.xx-t.yy, 2*t.xy) / e
	}
	return 0
}

// blockStats measures the w x h block at (x0, y0) (Coherence is left to
// Segment, from the block's tensor and its neighbours'). Gradients are
// central differences, taken only where both neighbours are inside the
// image.
func blockStats(img *devices.FingerprintImage, x0, y0, w, h int) (BlockStats, tensor) {
	var sum, sum2 float64
	var gxx, gyy, gxy float64
	var sx, sy, mag float64
	stride := img.Width
	for y := y0; y < y0+h; y++ {
		row := img.Pix[y*stride : y*stride+img.Width]
		for x := x0; x < x0+w; x++ {
			v := float64(row[x])
			sum += v
			sum2 += v * v
			if x > 0 && x < img.Width-1 && y > 0 && y < img.Height-1 {
				gx := float64(row[x+1]) - float64(row[x-1])
				gy := float64(img.Pix[(y+1)*stride+x]) - float64(img.Pix[(y-1)*stride+x])
				gxx += gx * gx
				gyy += gy * gy
				gxy += gx * gy
				sx += gx
				sy += gy
				mag += math.Sqrt(gx*gx + gy*gy)
			}
		}
	}
	n := float64(w * h)
	mean := sum / n
	s := BlockStats{Mean: mean, StdDev: math.Sqrt(max(0, sum2/n-mean*mean))}
	if mag > 0 {
		s.Slope = math.Hypot(sx, sy) / mag
	}
	return s, tensor{gxx, gyy, gxy}
}

// MinRegionBlocks is the fewest blocks a finger covers: the largest region
// left after the majority vote is dropped when it is smaller. Nine 16-pixel
// blocks are 48x48 pixels, a tenth of an inch at 500 ppi, far under any
// finger; a few thin edge blocks of noise (cut by the image's edge, so with
// few gradients and a chance coherence) stay under it.
const MinRegionBlocks = 9

// cleanup smooths a block grid by a 3x3 majority vote, keeps its largest
// 8-connected foreground region if it has MinRegionBlocks blocks, and fills
// the holes in it (background not connected to the grid's border).
func cleanup(raw []bool, cols, rows int) []bool {
	at := func(g []bool, c, r int) bool { return c >= 0 && r >= 0 && c < cols && r < rows && g[r*cols+c] }
	smooth := make([]bool, len(raw))
	for r := range rows {
		for c := range cols {
			on, all := 0, 0
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					if cc, rr := c+dc, r+dr; cc >= 0 && rr >= 0 && cc < cols && rr < rows {
						all++
						if raw[rr*cols+cc] {
							on++
						}
					}
				}
			}
			smooth[r*cols+c] = 2*on > all
		}
	}

	// Label 8-connected foreground regions; keep the largest.
	label := make([]int, len(smooth))
	best, bestSize := 0, 0
	var stack []int
	next := 0
	for i, on := range smooth {
		if !on || label[i] != 0 {
			continue
		}
		next++
		size := 0
		label[i] = next
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			c, r := j%cols, j/cols
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					if cc, rr := c+dc, r+dr; at(smooth, cc, rr) && label[rr*cols+cc] == 0 {
						label[rr*cols+cc] = next
						stack = append(stack, rr*cols+cc)
					}
				}
			}
		}
		if size > bestSize {
			best, bestSize = next, size
		}
	}
	fg := make([]bool, len(smooth))
	if bestSize < MinRegionBlocks {
		return fg
	}
	for i := range fg {
		fg[i] = label[i] == best
	}

	// Fill holes: flood the background from the border (4-connected, so a
	// diagonal gap in the outline does not let the outside in).
	outside := make([]bool, len(fg))
	stack = stack[:0]
	for r := range rows {
		for c := range cols {
			if (r == 0 || c == 0 || r == rows-1 || c == cols-1) && !fg[r*cols+c] {
				outside[r*cols+c] = true
				stack = append(stack, r*cols+c)
			}
		}
	}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c, r := j%cols, j/cols
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			cc, rr := c+d[0], r+d[1]
			if cc >= 0 && rr >= 0 && cc < cols && rr < rows && !fg[rr*cols+cc] && !outside[rr*cols+cc] {
				outside[rr*cols+cc] = true
				stack = append(stack, rr*cols+cc)
			}
		}
	}
	for i := range fg {
		fg[i] = !outside[i]
	}
	return fg
}
