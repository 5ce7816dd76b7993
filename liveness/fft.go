package liveness

import (
	"math"
	"math/bits"
)

// fft2 is a radix-2 in-place 2-D FFT on n x n complex data (n a power of
// two), row-major in separate real and imaginary slices. Small and
// allocation-free, so the motion cue needs no float Mats.
type fft2 struct {
	n        int
	cos, sin []float64
	rev      []int
	colRe    []float64
	colIm    []float64
}

func newFFT2(n int) *fft2 {
	f := &fft2{n: n, cos: make([]float64, n/2), sin: make([]float64, n/2), rev: make([]int, n),
		colRe: make([]float64, n), colIm: make([]float64, n)}
	lg := bits.Len(uint(n)) - 1
	for i := range n {
		f.rev[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for i := range n / 2 {
		a := -2 * math.Pi * float64(i) / float64(n)
		f.cos[i], f.sin[i] = math.Cos(a), math.Sin(a)
	}
	return f
}

// transform runs the forward (or, if inverse, the unnormalised inverse)
// transform on every row, then every column.
func (f *fft2) transform(re, im []float64, inverse bool) {
	n := f.n
	for y := range n {
		f.line(re[y*n:(y+1)*n], im[y*n:(y+1)*n], inverse)
	}
	for x := range n {
		for y := range n {
			f.colRe[y], f.colIm[y] = re[y*n+x], im[y*n+x]
		}
		f.line(f.colRe, f.colIm, inverse)
		for y := range n {
			re[y*n+x], im[y*n+x] = f.colRe[y], f.colIm[y]
		}
	}
}

// line is an iterative radix-2 FFT of one row or column.
func (f *fft2) line(re, im []float64, inverse bool) {
	n := f.n
	for i := range n {
		if j := f.rev[i]; j > i {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := range half {
				c, s := f.cos[k*step], f.sin[k*step]
				if inverse {
					s = -s
				}
				a, b := start+k, start+k+half
				tr := re[b]*c - im[b]*s
				ti := re[b]*s + im[b]*c
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a] += tr
				im[a] += ti
			}
		}
	}
}
