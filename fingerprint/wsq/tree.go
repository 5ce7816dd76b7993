package wsq

// The wavelet decomposition of the standard, as NBIS's tree.c lays it
// out: 20 nodes, each a rectangle filtered along its rows and then its
// columns into four quadrants, some of which are filtered again, and the
// 64 subbands (quantization "bins") those quadrants end up as.

const (
	numNodes    = 20 // wavelet decomposition steps
	numSubbands = 64 // entries of a quantization table
	codedBands  = 60 // subbands 60-63 are always dropped
)

// Subbands coded in each of the three Huffman-coded blocks: block 1 holds
// the low frequencies, block 3 the high ones.
var blockBands = [3][2]int{{0, 19}, {19, 52}, {52, 60}}

// rect is a rectangle of the coefficient plane, in samples.
type rect struct{ x, y, w, h int }

func (r rect) area() int { return r.w * r.h }

// node is one decomposition step. A node with invRows (invCols) stores
// the high-pass half of each row (column) before the low-pass half; the
// standard calls it spectral inversion.
type node struct {
	rect
	invRows, invCols bool
}

// halves splits n samples into the lengths of the first and second half
// one filtering step stores: the low-pass half has ceil(n/2) samples, the
// high-pass half floor(n/2), and an inverted step stores high-pass first.
func halves(n int, inverted bool) (first, second int) {
	lo, hi := (n+1)/2, n/2
	if inverted {
		return hi, lo
	}
	return lo, hi
}

// quadrants are the four parts of the node after filtering, in the order
// top-left, top-right, bottom-left, bottom-right.
func (n node) quadrants() [4]rect {
	w1, w2 := halves(n.w, n.invRows)
	h1, h2 := halves(n.h, n.invCols)
	return [4]rect{
		{n.x, n.y, w1, h1},
		{n.x + w1, n.y, w2, h1},
		{n.x, n.y + h1, w1, h2},
		{n.x + w1, n.y + h1, w2, h2},
	}
}

// layout is the decomposition of one image size.
type layout struct {
	width, height int
	nodes         [numNodes]node
	bands         [numSubbands]rect // 60-63 stay empty: never coded
}

func newLayout(width, height int) *layout {
	l := &layout{width: width, height: height}
	n := &l.nodes
	for _, i := range []int{2, 4, 7, 9, 11, 13, 16, 18} {
		n[i].invRows = true
	}
	for _, i := range []int{3, 5, 8, 9, 12, 13, 17, 18} {
		n[i].invCols = true
	}
	n[0].rect = rect{0, 0, width, height}
	q := n[0].quadrants()
	n[1].rect, n[2].rect, n[3].rect = q[0], q[1], q[2] // q[3] is dropped
	q = n[1].quadrants()
	n[14].rect, n[4].rect, n[5].rect = q[0], q[1], q[2]
	l.bands[51] = q[3]
	for i, r := range n[4].quadrants() {
		n[6+i].rect = r
	}
	for i, r := range n[5].quadrants() {
		n[10+i].rect = r
	}
	for i, r := range n[14].quadrants() {
		n[15+i].rect = r
	}
	q = n[15].quadrants()
	n[19].rect = q[0]
	copy(l.bands[4:7], q[1:])
	// Subbands 0-3 split node 19; 7-18 nodes 16-18; 19-34 nodes 6-9;
	// 35-50 nodes 10-13; 52-59 nodes 2 and 3.
	for _, g := range [][2]int{{0, 19}, {7, 16}, {11, 17}, {15, 18},
		{19, 6}, {23, 7}, {27, 8}, {31, 9},
		{35, 10}, {39, 11}, {43, 12}, {47, 13},
		{52, 2}, {56, 3}} {
		q := n[g[1]].quadrants()
		copy(l.bands[g[0]:g[0]+4], q[:])
	}
	return l
}
