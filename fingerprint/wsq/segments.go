package wsq

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Markers (IAFIS-IC-0110 table 1). Every marker segment but SOI and EOI
// carries a 2-byte length that counts itself and its payload.
const (
	markerSOI = 0xffa0 // start of image
	markerEOI = 0xffa1 // end of image
	markerSOF = 0xffa2 // start of frame
	markerSOB = 0xffa3 // start of block
	markerDTT = 0xffa4 // transform table
	markerDQT = 0xffa5 // quantization table
	markerDHT = 0xffa6 // Huffman tables
	markerDRT = 0xffa7 // restart interval (unused by WSQ encoders)
	markerCOM = 0xffa8 // comment
)

var markerNames = map[uint16]string{markerSOI: "SOI", markerEOI: "EOI",
	markerSOF: "SOF", markerSOB: "SOB", markerDTT: "DTT", markerDQT: "DQT",
	markerDHT: "DHT", markerDRT: "DRT", markerCOM: "COM"}

func markerName(m uint16) string {
	if n, ok := markerNames[m]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", m)
}

// nistcomHeader starts a NISTCOM comment: "NIST_COM <lines>" then one
// "KEY value" per line.
const nistcomHeader = "NIST_COM"

// unscale turns a stored (mantissa, decimal exponent) pair into a float,
// rounding to float32 after each division like the reference.
func unscale(v uint32, exp byte) float32 {
	f := float32(v)
	for ; exp > 0; exp-- {
		f = float32(float64(f) / 10)
	}
	return f
}

// toScaled gives the (decimal exponent, mantissa) pair that stores v >= 0
// with the most digits a mantissa below limit holds. Values at or above
// limit are clamped.
func toScaled(v float64, limit float64) (byte, uint32) {
	if !(v > 0) {
		return 0, 0
	}
	if v >= limit {
		return 0, uint32(limit)
	}
	exp := 0
	for v < limit && exp < 255 {
		exp++
		v *= 10
	}
	return byte(exp - 1), uint32(math.Round(v / 10))
}

// frameHeader is the SOF segment.
type frameHeader struct {
	width, height  int
	mShift, rScale float32 // pixel = coefficient*rScale + mShift
}

const frameLen = 15 // payload bytes of SOF

func parseFrame(p []byte) (frameHeader, error) {
	if len(p) != frameLen {
		return frameHeader{}, formatErr("frame header of %d bytes, want %d", len(p), frameLen)
	}
	h := frameHeader{
		height: int(binary.BigEndian.Uint16(p[2:])),
		width:  int(binary.BigEndian.Uint16(p[4:])),
		mShift: unscale(uint32(binary.BigEndian.Uint16(p[7:])), p[6]),
		rScale: unscale(uint32(binary.BigEndian.Uint16(p[10:])), p[9]),
	}
	if err := checkSize(h.width, h.height); err != nil {
		return frameHeader{}, formatErr("%v", err)
	}
	return h, nil
}

func appendFrame(b []byte, h frameHeader) []byte {
	b = appendSegment(b, markerSOF, frameLen)
	b = append(b, 0, 255) // black and white grey levels
	b = binary.BigEndian.AppendUint16(b, uint16(h.height))
	b = binary.BigEndian.AppendUint16(b, uint16(h.width))
	e, m := toScaled(float64(h.mShift), 65535)
	b = append(b, e)
	b = binary.BigEndian.AppendUint16(b, uint16(m))
	e, m = toScaled(float64(h.rScale), 65535)
	b = append(b, e)
	b = binary.BigEndian.AppendUint16(b, uint16(m))
	b = append(b, 2)    // encoder number, as NBIS writes
	b = append(b, 0, 0) // software implementation number
	return b
}

// appendSegment starts a segment with a payload of n bytes.
func appendSegment(b []byte, marker uint16, n int) []byte {
	b = binary.BigEndian.AppendUint16(b, marker)
	return binary.BigEndian.AppendUint16(b, uint16(n+2))
}

// maxTaps bounds the filter lengths a transform table may declare.
const maxTaps = 31

// parseTransform reads a DTT segment: the lengths of the analysis
// low-pass and high-pass filters, then the right half of each (centre
// first) as sign, decimal exponent and 32-bit mantissa.
func parseTransform(p []byte) (filters, error) {
	if len(p) < 2 {
		return filters{}, formatErr("transform table of %d bytes", len(p))
	}
	nlo, nhi := int(p[0]), int(p[1])
	for _, n := range []int{nlo, nhi} {
		if n == 0 || n > maxTaps {
			return filters{}, formatErr("transform table declares a %d-tap filter", n)
		}
		if n%2 == 0 {
			return filters{}, formatErr("transform table declares an even-length (%d-tap) filter, which this decoder does not support", n)
		}
	}
	hlo, hhi := (nlo+1)/2, (nhi+1)/2
	if want := 2 + 6*(hlo+hhi); len(p) != want {
		return filters{}, formatErr("transform table of %d bytes, its filter lengths need %d", len(p), want)
	}
	coef := func(i int) float32 {
		r := p[2+6*i:]
		v := unscale(binary.BigEndian.Uint32(r[2:]), r[1])
		if r[0] != 0 {
			v = -v
		}
		return v
	}
	f := filters{lo: make([]float32, hlo), hi: make([]float32, hhi)}
	for i := range f.lo {
		f.lo[i] = coef(i)
	}
	for i := range f.hi {
		f.hi[i] = coef(hlo + i)
	}
	return f, nil
}

func appendTransform(b []byte, f filters) []byte {
	b = appendSegment(b, markerDTT, 2+6*(len(f.lo)+len(f.hi)))
	b = append(b, byte(2*len(f.lo)-1), byte(2*len(f.hi)-1))
	for _, v := range append(append([]float32(nil), f.lo...), f.hi...) {
		sign := byte(0)
		if v < 0 {
			sign, v = 1, -v
		}
		e, m := toScaled(float64(v), math.MaxUint32)
		b = append(b, sign, e)
		b = binary.BigEndian.AppendUint32(b, m)
	}
	return b
}

// quantTable is the DQT segment: per subband the bin width q and the
// zero-bin width z (q == 0: subband not coded), and the bin centre.
type quantTable struct {
	center float32
	q, z   [numSubbands]float32
}

const quantLen = 3 + numSubbands*6

// coded is the number of coefficients the table makes a stream carry.
func (t *quantTable) coded(l *layout) int {
	n := 0
	for i, r := range l.bands[:codedBands] {
		if t.q[i] != 0 {
			n += r.area()
		}
	}
	return n
}

func parseQuant(p []byte) (*quantTable, error) {
	if len(p) != quantLen {
		return nil, formatErr("quantization table of %d bytes, want %d", len(p), quantLen)
	}
	t := &quantTable{center: unscale(uint32(binary.BigEndian.Uint16(p[1:])), p[0])}
	for i := range numSubbands {
		r := p[3+6*i:]
		t.q[i] = unscale(uint32(binary.BigEndian.Uint16(r[1:])), r[0])
		t.z[i] = unscale(uint32(binary.BigEndian.Uint16(r[4:])), r[3])
	}
	return t, nil
}

func appendQuant(b []byte, t *quantTable) []byte {
	b = appendSegment(b, markerDQT, quantLen)
	e, m := toScaled(float64(t.center), 65535)
	b = append(b, e)
	b = binary.BigEndian.AppendUint16(b, uint16(m))
	for i := range numSubbands {
		e, m := toScaled(float64(t.q[i]), 65535)
		b = append(b, e)
		b = binary.BigEndian.AppendUint16(b, uint16(m))
		e, m = toScaled(float64(t.z[i]), 65535)
		b = append(b, e)
		b = binary.BigEndian.AppendUint16(b, uint16(m))
	}
	return b
}

// maxTables is the number of Huffman table slots (ids 0-7).
const maxTables = 8

// parseHuffman reads a DHT segment, which holds one or more tables.
func parseHuffman(p []byte, into *[maxTables]*huffTable) error {
	if len(p) == 0 {
		return formatErr("empty Huffman table segment")
	}
	for len(p) > 0 {
		if len(p) < 17 {
			return formatErr("Huffman table cut short: %d bytes", len(p))
		}
		id := int(p[0])
		if id >= maxTables {
			return formatErr("Huffman table id %d, want 0-%d", id, maxTables-1)
		}
		var counts [16]int
		n := 0
		for i := range counts {
			counts[i] = int(p[1+i])
			n += counts[i]
		}
		if n == 0 || n > 256 {
			return formatErr("Huffman table %d has %d codes", id, n)
		}
		if len(p) < 17+n {
			return formatErr("Huffman table %d declares %d values, %d bytes remain", id, n, len(p)-17)
		}
		t, err := newHuffTable(counts, p[17:17+n])
		if err != nil {
			return formatErr("Huffman table %d: %v", id, err)
		}
		into[id] = t
		p = p[17+n:]
	}
	return nil
}

func appendHuffman(b []byte, id int, counts [16]int, values []byte) []byte {
	b = appendSegment(b, markerDHT, 17+len(values))
	b = append(b, byte(id))
	for _, c := range counts {
		b = append(b, byte(c))
	}
	return append(b, values...)
}

func appendComment(b []byte, text string) []byte {
	b = appendSegment(b, markerCOM, len(text))
	return append(b, text...)
}

// nistcomPPI returns the PPI a NISTCOM comment states, or -1.
func nistcomPPI(text []byte) int {
	if !bytes.HasPrefix(text, []byte(nistcomHeader)) {
		return -1
	}
	for _, line := range strings.Split(string(text), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || k != "PPI" {
			continue
		}
		ppi, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || ppi <= 0 || ppi > maxPPI {
			return -1
		}
		return ppi
	}
	return -1
}

// nistcom is the comment NBIS writes for a WSQ image.
func nistcom(width, height, ppi int, bitrate float64) string {
	lines := []string{
		"PIX_WIDTH " + strconv.Itoa(width),
		"PIX_HEIGHT " + strconv.Itoa(height),
		"PIX_DEPTH 8",
	}
	if ppi > 0 {
		lines = append(lines, "PPI "+strconv.Itoa(ppi))
	}
	lines = append(lines, "LOSSY 1", "COLORSPACE GRAY", "COMPRESSION WSQ",
		fmt.Sprintf("WSQ_BITRATE %f", bitrate))
	return fmt.Sprintf("%s %d\n%s", nistcomHeader, len(lines)+1, strings.Join(lines, "\n"))
}
