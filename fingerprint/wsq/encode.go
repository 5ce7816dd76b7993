package wsq

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
)

// DefaultBitrate is the FBI's usual target, about 15:1 on fingerprints.
const DefaultBitrate = 0.75

// ErrInvalid is wrapped by errors about the arguments of Encode.
var ErrInvalid = errors.New("wsq: invalid encoder input")

// Options are the encoder's parameters.
type Options struct {
	// Bitrate is the target of the standard's bit allocation, in bits
	// per pixel, in (0, 8]; 0 means DefaultBitrate. As with the
	// reference encoder the coded size lands near it, usually below.
	Bitrate float64
	// PPI is the scan resolution written to the NISTCOM comment; 0 or
	// less means unknown and writes none.
	PPI int
	// Comment, if not empty, is written as a comment segment of its own
	// after the NISTCOM one (at most 65533 bytes).
	Comment string
}

// Encode writes img as a WSQ stream to w. Its sides must be MinSize to
// MaxSize pixels. opts may be nil (DefaultBitrate, PPI unknown). The
// stream is built in memory and written with a single Write.
func Encode(w io.Writer, img *image.Gray, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Bitrate == 0 {
		o.Bitrate = DefaultBitrate
	}
	if !(o.Bitrate > 0 && o.Bitrate <= 8) {
		return fmt.Errorf("%w: bit rate %v, want (0, 8]", ErrInvalid, o.Bitrate)
	}
	if len(o.Comment) > 65533 {
		return fmt.Errorf("%w: comment of %d bytes, at most 65533", ErrInvalid, len(o.Comment))
	}
	if o.PPI > maxPPI {
		return fmt.Errorf("%w: %d ppi", ErrInvalid, o.PPI)
	}
	if img == nil {
		return fmt.Errorf("%w: nil image", ErrInvalid)
	}
	width, height := img.Rect.Dx(), img.Rect.Dy()
	if err := checkSize(width, height); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}

	plane, frame := toPlane(img)
	l := newLayout(width, height)
	decompose(plane, l, standardFilters)
	quant := allocateBits(subbandVariances(plane, l), o.Bitrate)
	var blocks [3][]int32
	for b, span := range blockBands {
		blocks[b] = quantize(plane, l, quant, span[0], span[1])
	}

	out := []byte{0xff, 0xa0} // SOI
	out = appendComment(out, nistcom(width, height, o.PPI, o.Bitrate))
	if o.Comment != "" {
		out = appendComment(out, o.Comment)
	}
	out = appendTransform(out, standardFilters)
	out = appendQuant(out, quant)
	out = appendFrame(out, frame)
	// Table 0 codes block 1, table 1 blocks 2 and 3, as NBIS does.
	var freq [2][256]int
	for b, coeffs := range blocks {
		t := min(b, 1)
		symbols(coeffs, func(sym int, _ uint32, _ uint) { freq[t][sym]++ })
	}
	var codes [2][256]code
	for t := range 2 {
		counts, values, c := buildCode(&freq[t])
		codes[t] = c
		out = appendHuffman(out, t, counts, values)
	}
	for b, coeffs := range blocks {
		t := min(b, 1)
		out = appendSegment(out, markerSOB, 1)
		out = append(out, byte(t))
		bw := bitWriter{out: out}
		symbols(coeffs, func(sym int, extra uint32, n uint) {
			c := codes[t][sym]
			bw.write(c.bits, c.len)
			if n > 0 {
				bw.write(extra, n)
			}
		})
		bw.flush()
		out = bw.out
	}
	out = append(out, 0xff, 0xa1) // EOI
	_, err := w.Write(out)
	return err
}

// toPlane shifts and scales the pixels to about ±128 as the standard
// does. The frame header stores shift and scale with 5 significant
// digits; the plane is computed with the stored values so that the
// decoder inverts exactly what was done.
func toPlane(img *image.Gray) ([]float32, frameHeader) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	lo, hi, sum := 255, 0, 0
	for y := range h {
		for _, p := range img.Pix[y*img.Stride : y*img.Stride+w] {
			lo, hi, sum = min(lo, int(p)), max(hi, int(p)), sum+int(p)
		}
	}
	mean := float64(sum) / float64(w*h)
	scale := max(mean-float64(lo), float64(hi)-mean) / 128
	f := frameHeader{width: w, height: h}
	e, m := toScaled(mean, 65535)
	f.mShift = unscale(m, e)
	e, m = toScaled(scale, 65535)
	f.rScale = unscale(m, e)
	if f.rScale == 0 { // a uniform image: every coefficient is zero
		f.rScale = 1
	}
	plane := make([]float32, w*h)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for x, p := range row {
			plane[y*w+x] = (float32(p) - f.mShift) / f.rScale
		}
	}
	return plane, f
}

// subbandVariances computes the variance of each coded subband as the
// standard's encoder does: over a central window of each subband (which
// leaves out the image margins), unless the four lowest subbands' sum is
// below 20000, in which case over whole subbands.
func subbandVariances(plane []float32, l *layout) [codedBands]float64 {
	var v [codedBands]float64
	variance := func(r rect, central bool) float64 {
		if central {
			c := rect{r.x + r.w/8, r.y + 9*r.h/32, 3 * r.w / 4, 7 * r.h / 16}
			if c.area() >= 2 {
				r = c
			}
		}
		n := r.area()
		if n < 2 {
			return 0
		}
		var sum, ssq float64
		for y := r.y; y < r.y+r.h; y++ {
			for _, p := range plane[y*l.width+r.x : y*l.width+r.x+r.w] {
				sum += float64(p)
				ssq += float64(p) * float64(p)
			}
		}
		return (ssq - sum*sum/float64(n)) / float64(n-1)
	}
	low := 0.0
	for i := range 4 {
		v[i] = variance(l.bands[i], true)
		low += v[i]
	}
	whole := low < 20000
	for i := range codedBands {
		if i >= 4 || whole {
			v[i] = variance(l.bands[i], !whole)
		}
	}
	return v
}

// allocateBits chooses the bin widths for a target bit rate (the
// standard's encoder procedure, as in NBIS's quantize): subbands whose
// variance is below 1.01 are dropped, the others get bin widths
// proportional to 10/(A·ln σ²) scaled by one factor q chosen so that the
// modelled rate meets the target, dropping subbands that would get a
// non-positive rate until none does.
func allocateBits(variance [codedBands]float64, bitrate float64) *quantTable {
	const varianceThreshold = 1.01
	var weight, m, rel, sigma [codedBands]float64
	for i := range codedBands {
		weight[i] = 1
		switch {
		case i < 4:
			m[i] = 1.0 / 1024
		case i < 51:
			m[i] = 1.0 / 256
		default:
			m[i] = 1.0 / 16
		}
	}
	copy(weight[52:], []float64{1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08})
	var kept []int
	for i, v := range variance {
		if v < varianceThreshold {
			continue
		}
		kept = append(kept, i)
		sigma[i] = math.Sqrt(v)
		if i < 4 {
			rel[i] = 1
		} else {
			rel[i] = 10 / (weight[i] * math.Log(v))
		}
	}
	t := &quantTable{center: 0.44}
	set := append([]int(nil), kept...)
	q := 0.0
	for len(set) > 0 {
		s, p := 0.0, 1.0
		for _, i := range set {
			s += m[i]
			p *= math.Pow(sigma[i]/rel[i], m[i])
		}
		q = math.Pow(2, bitrate/s-1) / 2.5 / math.Pow(p, 1/s)
		next := set[:0:0]
		for _, i := range set {
			if rel[i]/q < 5*sigma[i] {
				next = append(next, i)
			}
		}
		if len(next) == len(set) {
			break
		}
		set = next
	}
	// As in the reference, every subband of the first set is coded with
	// the final q, also those dropped while searching for it.
	for _, i := range kept {
		if len(set) == 0 {
			break
		}
		e, mant := toScaled(rel[i]/q, 65535)
		t.q[i] = unscale(mant, e)
		e, mant = toScaled(1.2*rel[i]/q, 65535)
		t.z[i] = unscale(mant, e)
	}
	return t
}

// quantize returns the coefficients of subbands [from, to) with a
// non-zero bin width, in order.
func quantize(plane []float32, l *layout, t *quantTable, from, to int) []int32 {
	var out []int32
	for i := from; i < to; i++ {
		q := t.q[i]
		if q == 0 {
			continue
		}
		r := l.bands[i]
		zb := t.z[i] / 2
		for y := r.y; y < r.y+r.h; y++ {
			for _, v := range plane[y*l.width+r.x : y*l.width+r.x+r.w] {
				var s float32
				switch {
				case v > zb:
					s = (v-zb)/q + 1
				case v < -zb:
					s = (v+zb)/q - 1
				}
				out = append(out, int32(max(-65535, min(65535, s))))
			}
		}
	}
	return out
}

// symbols turns coefficients into Huffman symbols and the extra bits some
// carry (the standard's run-length scheme), calling emit for each.
func symbols(coeffs []int32, emit func(sym int, extra uint32, n uint)) {
	run := 0
	flush := func() {
		switch {
		case run == 0:
		case run <= maxRunSymbol:
			emit(run, 0, 0)
		case run <= 0xff:
			emit(symRun8, uint32(run), 8)
		default:
			emit(symRun16, uint32(run), 16)
		}
		run = 0
	}
	for _, c := range coeffs {
		if c == 0 {
			if run++; run == 0xffff {
				flush()
			}
			continue
		}
		flush()
		switch {
		case c > 255:
			emit(symPos16, uint32(c), 16)
		case c > maxCoeff:
			emit(symPos8, uint32(c), 8)
		case c < -255:
			emit(symNeg16, uint32(-c), 16)
		case c < minCoeff:
			emit(symNeg8, uint32(-c), 8)
		default:
			emit(int(c)+coeffBias, 0, 0)
		}
	}
	flush()
}
