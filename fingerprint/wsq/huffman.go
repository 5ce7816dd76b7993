package wsq

import (
	"errors"
	"slices"
)

// Huffman coding of quantized coefficients (IAFIS-IC-0110 §5.4, tables as
// in JPEG, ITU T.81 annexes C and K). Symbols:
//
//	1-100    a run of that many zeros
//	101, 102 escape: an 8-bit positive, negative coefficient follows
//	103, 104 escape: a 16-bit positive, negative coefficient follows
//	105, 106 escape: an 8-bit, 16-bit zero run length follows
//	107-253  the coefficient symbol-180, -73 to 73 (74 reaches 254)
const (
	maxRunSymbol = 100
	symPos8      = 101
	symNeg8      = 102
	symPos16     = 103
	symNeg16     = 104
	symRun8      = 105
	symRun16     = 106
	coeffBias    = 180
	maxCoeff     = 74  // largest coefficient with its own symbol
	minCoeff     = -73 // smallest
	maxCodeLen   = 16
)

// huffTable is a canonical Huffman code, ready for decoding.
type huffTable struct {
	maxCode [maxCodeLen + 1]int32 // largest code of each length, -1 if none
	valPtr  [maxCodeLen + 1]int32 // index in values of the first code of each length
	minCode [maxCodeLen + 1]int32
	values  []byte
}

var errOversubscribed = errors.New("code lengths oversubscribed")

// newHuffTable builds the codes of a table given the number of codes of
// each length (1-16 bits) and the symbols in code order.
func newHuffTable(counts [16]int, values []byte) (*huffTable, error) {
	t := &huffTable{values: slices.Clone(values)}
	code, k := int32(0), int32(0)
	for l := 1; l <= maxCodeLen; l++ {
		n := int32(counts[l-1])
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			t.valPtr[l] = k
			t.minCode[l] = code
			code += n
			k += n
			t.maxCode[l] = code - 1
		}
		if code > 1<<l {
			return nil, errOversubscribed
		}
		code <<= 1
	}
	return t, nil
}

// bitReader reads entropy-coded data: bytes 0xff are followed by a
// stuffed 0x00, and 0xff followed by anything else is the next marker.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint32
	n      uint // bits in acc
	marker bool // reached the marker that ends the data
}

// fill makes one more byte available; false at a marker or at the end.
func (r *bitReader) fill() bool {
	if r.marker || r.pos >= len(r.data) {
		return false
	}
	b := r.data[r.pos]
	if b == 0xff {
		if r.pos+1 >= len(r.data) {
			return false
		}
		if r.data[r.pos+1] != 0 {
			r.marker = true
			return false
		}
		r.pos++
	}
	r.pos++
	r.acc = r.acc<<8 | uint32(b)
	r.n += 8
	return true
}

// bit returns the next bit, or false when the data ended.
func (r *bitReader) bit() (uint32, bool) {
	if r.n == 0 && !r.fill() {
		return 0, false
	}
	r.n--
	return (r.acc >> r.n) & 1, true
}

// bits returns the next n <= 16 bits.
func (r *bitReader) bits(n uint) (uint32, error) {
	for r.n < n {
		if !r.fill() {
			if r.marker {
				return 0, formatErr("marker inside a coefficient or run length")
			}
			return 0, formatErr("coded data cut short")
		}
	}
	r.n -= n
	return (r.acc >> r.n) & (1<<n - 1), nil
}

// decode returns the next symbol. ok is false when the block ended at a
// marker (bits of an unfinished code are padding).
func (r *bitReader) decode(t *huffTable) (sym byte, ok bool, err error) {
	code := int32(0)
	for l := 1; l <= maxCodeLen; l++ {
		b, more := r.bit()
		if !more {
			if r.marker {
				return 0, false, nil
			}
			return 0, false, formatErr("coded data cut short: no marker after the last block")
		}
		code = code<<1 | int32(b)
		if code <= t.maxCode[l] {
			return t.values[t.valPtr[l]+code-t.minCode[l]], true, nil
		}
	}
	return 0, false, formatErr("invalid Huffman code")
}

// bitWriter writes entropy-coded data with byte stuffing.
type bitWriter struct {
	out []byte
	acc uint32
	n   uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.acc = w.acc<<n | v&(1<<n-1)
	w.n += n
	for w.n >= 8 {
		w.n -= 8
		b := byte(w.acc >> w.n)
		w.out = append(w.out, b)
		if b == 0xff {
			w.out = append(w.out, 0)
		}
	}
}

// flush pads the last byte with one bits, which no code consists of.
func (w *bitWriter) flush() {
	if w.n > 0 {
		w.write(1<<(8-w.n)-1, 8-w.n)
	}
}

// code is one symbol's code for encoding.
type code struct {
	bits uint32
	len  uint
}

// buildCode makes an optimal length-limited Huffman code for the symbol
// frequencies (ITU T.81 K.2), reserving the all-ones code as the standard
// requires. It returns the DHT description and the codes by symbol.
func buildCode(freq *[256]int) (counts [16]int, values []byte, codes [256]code) {
	const reserved = 256
	var f [257]int
	copy(f[:], freq[:])
	if !slices.ContainsFunc(f[:256], func(v int) bool { return v > 0 }) {
		f[1] = 1 // an empty block still needs a table with one code
	}
	f[reserved] = 1
	var size [257]int
	next := [257]int{}
	for i := range next {
		next[i] = -1
	}
	for {
		// c1: least frequent; c2: next least (ties: larger symbol, as
		// libjpeg does, so the reserved code ends up longest).
		c1, c2 := -1, -1
		for i, v := range f {
			if v == 0 {
				continue
			}
			if c1 < 0 || v <= f[c1] {
				c2, c1 = c1, i
			} else if c2 < 0 || v <= f[c2] {
				c2 = i
			}
		}
		if c2 < 0 {
			break
		}
		f[c1] += f[c2]
		f[c2] = 0
		for {
			size[c1]++
			if next[c1] < 0 {
				break
			}
			c1 = next[c1]
		}
		next[c1] = c2
		for {
			size[c2]++
			if next[c2] < 0 {
				break
			}
			c2 = next[c2]
		}
	}
	var bits [258]int
	for _, s := range size {
		if s > 0 {
			bits[s]++
		}
	}
	// Limit code lengths to 16 bits (T.81 figure K.3).
	for i := len(bits) - 1; i > maxCodeLen; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	// Drop the reserved code, one of the longest.
	i := maxCodeLen
	for bits[i] == 0 {
		i--
	}
	bits[i]--
	copy(counts[:], bits[1:maxCodeLen+1])
	for s := 1; s < len(bits); s++ {
		for sym := range 256 {
			if size[sym] == s {
				values = append(values, byte(sym))
			}
		}
	}
	// Canonical codes in value order.
	c, k := uint32(0), 0
	for l := 1; l <= maxCodeLen; l++ {
		for range counts[l-1] {
			codes[values[k]] = code{c, uint(l)}
			c++
			k++
		}
		c <<= 1
	}
	return counts, values, codes
}
