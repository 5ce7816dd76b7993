package wsq

// The wavelet transform: one filter bank step per node, on rows then on
// columns, with whole-sample symmetric extension at both ends of a line
// (x[-i] = x[i], x[n-1+i] = x[n-1-i]). Low-pass outputs sit on the even
// samples, high-pass outputs on the odd ones; this is what NBIS's
// get_lets/join_lets compute for odd-length filters, written as a plain
// convolution over an extended line.

// Filters hold the right half of a symmetric filter, centre tap first.
type filters struct {
	lo, hi []float32 // analysis low-pass and high-pass
}

// The standard's analysis filters (9 low-pass taps, 7 high-pass taps).
var standardFilters = filters{
	lo: []float32{
		0.85269867900940344,
		0.37740285561265380,
		-0.11062440441842342,
		-0.02384946501938000,
		0.03782845550699546,
	},
	hi: []float32{
		0.78848561640566439,
		-0.41809227322221221,
		-0.04068941760955844,
		0.06453888262893845,
	},
}

// reflect maps any sample index onto [0, n) by whole-sample symmetric
// extension, repeated as often as needed. n must be at least 2.
func reflect(p, n int) int {
	period := 2 * (n - 1)
	p %= period
	if p < 0 {
		p += period
	}
	if p >= n {
		p = period - p
	}
	return p
}

// transform holds the scratch of a decomposition or reconstruction and
// the synthesis kernels; it is used by one goroutine.
type transform struct {
	f    filters
	pad  int       // longest half filter, without its centre
	ext  []float32 // one line, extended by pad samples at each end
	tmp  []float32 // a copy of the node being filtered along its columns
	kern [2][]float32
}

func newTransform(f filters, l *layout) *transform {
	pad := max(len(f.lo), len(f.hi)) - 1
	t := &transform{
		f:   f,
		pad: pad,
		ext: make([]float32, max(l.width, l.height)+2*pad),
		tmp: make([]float32, l.width*l.height),
	}
	// Synthesis kernels by parity of the output sample: the low-pass
	// synthesis filter is the high-pass analysis one with alternating
	// signs and applies to the low-pass (even) samples, and conversely.
	for parity := range 2 {
		k := make([]float32, 2*pad+1)
		for d := -pad; d <= pad; d++ {
			g := f.lo
			if (d+parity)%2 == 0 { // sample n+d is even: a low-pass one
				g = f.hi
			}
			if ad := abs(d); ad < len(g) {
				k[d+pad] = g[ad]
				if ad%2 == 1 {
					k[d+pad] = -g[ad]
				}
			}
		}
		t.kern[parity] = k
	}
	return t
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// halfOffsets gives where the low-pass and high-pass halves of n samples
// start in a line.
func halfOffsets(n int, inv bool) (lo, hi int) {
	if inv {
		return n / 2, 0
	}
	return 0, (n + 1) / 2
}

// fir applies a symmetric half filter centred on ext[c].
func fir(half, ext []float32, c int) float32 {
	s := half[0] * ext[c]
	for j := 1; j < len(half); j++ {
		s += half[j] * (ext[c-j] + ext[c+j])
	}
	return s
}

// analyzeLine splits the n samples of line in place.
func (t *transform) analyzeLine(line []float32, inv bool) {
	n, pad := len(line), t.pad
	ext := t.ext[:n+2*pad]
	copy(ext[pad:], line)
	for i := range pad {
		ext[i] = line[reflect(i-pad, n)]
		ext[pad+n+i] = line[reflect(n+i, n)]
	}
	lo, hi := halfOffsets(n, inv)
	for k := 0; 2*k < n; k++ {
		line[lo+k] = fir(t.f.lo, ext, pad+2*k)
	}
	for k := 0; 2*k+1 < n; k++ {
		line[hi+k] = fir(t.f.hi, ext, pad+2*k+1)
	}
}

// synthesizeLine rebuilds the n samples of line from its halves in place.
func (t *transform) synthesizeLine(line []float32, inv bool) {
	n, pad := len(line), t.pad
	lo, hi := halfOffsets(n, inv)
	ext := t.ext[:n+2*pad]
	at := func(r int) float32 { // sample r of the interleaved line
		if r%2 == 0 {
			return line[lo+r/2]
		}
		return line[hi+r/2]
	}
	for r := range n {
		ext[pad+r] = at(r)
	}
	for i := range pad {
		ext[i] = at(reflect(i-pad, n))
		ext[pad+n+i] = at(reflect(n+i, n))
	}
	for x := range line {
		k := t.kern[x%2]
		e := ext[x : x+len(k)]
		var s float32
		for j := range k {
			s += k[j] * e[j]
		}
		line[x] = s
	}
}

// axpy adds c·x to y.
func axpy(y []float32, c float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += c * x[i]
	}
}

// region copies the node's rectangle of plane (width w) to t.tmp and
// returns row i of the copy as a function.
func (t *transform) region(plane []float32, w int, nd node) func(i int) []float32 {
	for i := range nd.h {
		copy(t.tmp[i*nd.w:(i+1)*nd.w], plane[(nd.y+i)*w+nd.x:])
	}
	return func(i int) []float32 { return t.tmp[i*nd.w : (i+1)*nd.w] }
}

// analyzeColumns filters the node's columns, whole rows at a time.
func (t *transform) analyzeColumns(plane []float32, w int, nd node) {
	src := t.region(plane, w, nd)
	n := nd.h
	lo, hi := halfOffsets(n, nd.invCols)
	out := func(i int) []float32 { return plane[(nd.y+i)*w+nd.x : (nd.y+i)*w+nd.x+nd.w] }
	apply := func(dst []float32, half []float32, c int) {
		clear(dst)
		axpy(dst, half[0], src(c))
		for j := 1; j < len(half); j++ {
			axpy(dst, half[j], src(reflect(c-j, n)))
			axpy(dst, half[j], src(reflect(c+j, n)))
		}
	}
	for k := 0; 2*k < n; k++ {
		apply(out(lo+k), t.f.lo, 2*k)
	}
	for k := 0; 2*k+1 < n; k++ {
		apply(out(hi+k), t.f.hi, 2*k+1)
	}
}

// synthesizeColumns undoes analyzeColumns.
func (t *transform) synthesizeColumns(plane []float32, w int, nd node) {
	src := t.region(plane, w, nd)
	n, pad := nd.h, t.pad
	lo, hi := halfOffsets(n, nd.invCols)
	for y := range n {
		dst := plane[(nd.y+y)*w+nd.x : (nd.y+y)*w+nd.x+nd.w]
		clear(dst)
		for d, c := range t.kern[y%2] {
			if c == 0 {
				continue
			}
			r := reflect(y+d-pad, n)
			if r%2 == 0 {
				axpy(dst, c, src(lo+r/2))
			} else {
				axpy(dst, c, src(hi+r/2))
			}
		}
	}
}

// decompose applies the 20 decomposition steps to plane.
func decompose(plane []float32, l *layout, f filters) {
	t := newTransform(f, l)
	w := l.width
	for _, nd := range l.nodes {
		for y := nd.y; y < nd.y+nd.h; y++ {
			t.analyzeLine(plane[y*w+nd.x:y*w+nd.x+nd.w], nd.invRows)
		}
		t.analyzeColumns(plane, w, nd)
	}
}

// reconstruct undoes decompose, last step first.
func reconstruct(plane []float32, l *layout, f filters) {
	t := newTransform(f, l)
	w := l.width
	for i := numNodes - 1; i >= 0; i-- {
		nd := l.nodes[i]
		t.synthesizeColumns(plane, w, nd)
		for y := nd.y; y < nd.y+nd.h; y++ {
			t.synthesizeLine(plane[y*w+nd.x:y*w+nd.x+nd.w], nd.invRows)
		}
	}
}
