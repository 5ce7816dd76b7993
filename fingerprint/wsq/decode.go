package wsq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"slices"
)

// Limits on what this package reads and writes.
const (
	// MinSize is the smallest width or height: every step of the
	// decomposition then filters at least five samples.
	MinSize = 65
	// MaxSize is the largest width or height, which bounds the memory a
	// stream can make the decoder allocate.
	MaxSize = 4096
	// MaxInput is the largest stream Decode reads, in bytes.
	MaxInput = 64 << 20

	maxPPI = 100000
)

// ErrFormat is wrapped by every error about the content of a stream:
// not WSQ, truncated, inconsistent, or outside this package's limits.
var ErrFormat = errors.New("wsq: malformed or unsupported data")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func checkSize(w, h int) error {
	if w < MinSize || h < MinSize || w > MaxSize || h > MaxSize {
		return fmt.Errorf("image of %dx%d pixels, sides must be %d-%d", w, h, MinSize, MaxSize)
	}
	return nil
}

func init() {
	image.RegisterFormat("wsq", "\xff\xa0",
		func(r io.Reader) (image.Image, error) { return Decode(r) }, DecodeConfig)
}

// Info is what the headers of a WSQ stream say about the image.
type Info struct {
	Width, Height int // pixels
	PPI           int // scan resolution from the NISTCOM comment, -1 if not given
}

// ReadInfo reads the segments before the frame header and returns the
// image size and resolution; it stops reading after the frame header.
func ReadInfo(r io.Reader) (Info, error) {
	info := Info{PPI: -1}
	var b [4]byte
	read := func(p []byte, what string) error {
		if _, err := io.ReadFull(r, p); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return formatErr("stream ends inside %s", what)
			}
			return fmt.Errorf("wsq: reading %s: %w", what, err)
		}
		return nil
	}
	if err := read(b[:2], "the SOI marker"); err != nil {
		return Info{}, err
	}
	if m := binary.BigEndian.Uint16(b[:]); m != markerSOI {
		return Info{}, formatErr("stream starts with %s, want SOI", markerName(m))
	}
	for {
		if err := read(b[:4], "a segment header"); err != nil {
			return Info{}, err
		}
		m, n := binary.BigEndian.Uint16(b[:]), int(binary.BigEndian.Uint16(b[2:]))
		switch m {
		case markerSOF, markerCOM, markerDTT, markerDQT, markerDHT:
		default:
			return Info{}, formatErr("%s segment before the frame header", markerName(m))
		}
		if n < 2 {
			return Info{}, formatErr("%s segment length %d", markerName(m), n)
		}
		p := make([]byte, n-2)
		if err := read(p, markerName(m)+" segment"); err != nil {
			return Info{}, err
		}
		switch m {
		case markerCOM:
			if info.PPI < 0 {
				info.PPI = nistcomPPI(p)
			}
		case markerSOF:
			h, err := parseFrame(p)
			if err != nil {
				return Info{}, err
			}
			info.Width, info.Height = h.width, h.height
			return info, nil
		}
	}
}

// DecodeConfig returns the size and colour model (8-bit grey) of a WSQ
// stream, reading only up to its frame header.
func DecodeConfig(r io.Reader) (image.Config, error) {
	info, err := ReadInfo(r)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.GrayModel, Width: info.Width, Height: info.Height}, nil
}

// Decode reads a whole WSQ stream (at most MaxInput bytes) and returns
// the image. Errors about the content wrap ErrFormat.
func Decode(r io.Reader) (*image.Gray, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("wsq: reading: %w", err)
	}
	if len(data) > MaxInput {
		return nil, formatErr("stream longer than %d bytes", MaxInput)
	}
	d := decoder{data: data}
	return d.decode()
}

// decoder walks a stream held in memory.
type decoder struct {
	data   []byte
	pos    int
	frame  *frameHeader
	filt   *filters
	quant  *quantTable
	tables [maxTables]*huffTable
	coeffs []int32 // quantized coefficients of the coded subbands, in order
}

func (d *decoder) marker() (uint16, error) {
	if len(d.data)-d.pos < 2 {
		if len(d.data) == 0 {
			return 0, formatErr("empty stream")
		}
		return 0, formatErr("stream cut at byte %d, where a marker (at the latest EOI) should be", d.pos)
	}
	m := binary.BigEndian.Uint16(d.data[d.pos:])
	d.pos += 2
	return m, nil
}

// segment returns the payload of the segment whose marker was just read.
func (d *decoder) segment(m uint16) ([]byte, error) {
	if len(d.data)-d.pos < 2 {
		return nil, formatErr("stream ends inside the %s segment length", markerName(m))
	}
	n := int(binary.BigEndian.Uint16(d.data[d.pos:]))
	if n < 2 || n > len(d.data)-d.pos {
		return nil, formatErr("%s segment length %d, %d bytes remain", markerName(m), n, len(d.data)-d.pos)
	}
	p := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return p, nil
}

// table reads a table or comment segment; false if m is not one.
func (d *decoder) table(m uint16) (bool, error) {
	switch m {
	case markerDTT, markerDQT, markerDHT, markerCOM:
	default:
		return false, nil
	}
	p, err := d.segment(m)
	if err != nil {
		return true, err
	}
	switch m {
	case markerDTT:
		f, err := parseTransform(p)
		if err != nil {
			return true, err
		}
		d.filt = &f
	case markerDQT:
		q, err := parseQuant(p)
		if err != nil {
			return true, err
		}
		d.quant = q
	case markerDHT:
		if err := parseHuffman(p, &d.tables); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (d *decoder) decode() (*image.Gray, error) {
	m, err := d.marker()
	if err != nil {
		return nil, err
	}
	if m != markerSOI {
		return nil, formatErr("stream starts with %s, want SOI", markerName(m))
	}
	for d.frame == nil {
		if m, err = d.marker(); err != nil {
			return nil, err
		}
		if ok, err := d.table(m); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if m != markerSOF {
			return nil, formatErr("%s segment before the frame header", markerName(m))
		}
		p, err := d.segment(m)
		if err != nil {
			return nil, err
		}
		h, err := parseFrame(p)
		if err != nil {
			return nil, err
		}
		d.frame = &h
	}
	for m != markerEOI {
		if m, err = d.marker(); err != nil {
			return nil, err
		}
		if ok, err := d.table(m); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch m {
		case markerSOB:
			if err := d.block(); err != nil {
				return nil, err
			}
		case markerEOI:
		default:
			return nil, formatErr("%s segment after the frame header", markerName(m))
		}
	}
	return d.image()
}

// block decodes one SOB segment and the coded data after it.
func (d *decoder) block() error {
	p, err := d.segment(markerSOB)
	if err != nil {
		return err
	}
	if len(p) != 1 {
		return formatErr("block header of %d bytes, want 1", len(p))
	}
	if int(p[0]) >= maxTables || d.tables[p[0]] == nil {
		return formatErr("block uses Huffman table %d, which is not defined", p[0])
	}
	t := d.tables[p[0]]
	limit := d.frame.width * d.frame.height
	if d.coeffs == nil {
		// Typical streams code 10-30 coefficients a byte. Start there
		// rather than at the size the headers claim, which a few bytes of
		// hostile input could make the largest.
		want := limit
		if d.quant != nil {
			want = d.quant.coded(newLayout(d.frame.width, d.frame.height))
		}
		d.coeffs = make([]int32, 0, min(want, 32*(len(d.data)-d.pos)+4096))
	}
	r := bitReader{data: d.data[d.pos:]}
	for {
		sym, ok, err := r.decode(t)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var v int32
		run := -1 // a coefficient, not a run of zeros
		switch {
		case sym >= 1 && sym <= maxRunSymbol:
			run = int(sym)
		case sym >= symPos8 && sym <= symRun16:
			n := uint(16)
			if sym == symPos8 || sym == symNeg8 || sym == symRun8 {
				n = 8
			}
			extra, err := r.bits(n)
			if err != nil {
				return err
			}
			switch sym {
			case symRun8, symRun16:
				run = int(extra)
			case symNeg8, symNeg16:
				v = -int32(extra)
			default:
				v = int32(extra)
			}
		case int(sym) >= coeffBias+minCoeff && int(sym) <= coeffBias+maxCoeff:
			v = int32(sym) - coeffBias
		default:
			return formatErr("invalid coefficient symbol %d", sym)
		}
		n := run
		if run < 0 {
			n = 1
		}
		if len(d.coeffs)+n > limit {
			return formatErr("more coefficients than the %d pixels of the image", limit)
		}
		if run < 0 {
			d.coeffs = append(d.coeffs, v)
			continue
		}
		d.coeffs = slices.Grow(d.coeffs, run)
		d.coeffs = d.coeffs[:len(d.coeffs)+run]
		clear(d.coeffs[len(d.coeffs)-run:])
	}
	d.pos += r.pos
	return nil
}

// image dequantizes the coefficients and runs the inverse transform.
func (d *decoder) image() (*image.Gray, error) {
	if d.filt == nil {
		return nil, formatErr("no transform table (DTT)")
	}
	if d.quant == nil {
		return nil, formatErr("no quantization table (DQT)")
	}
	w, h := d.frame.width, d.frame.height
	l := newLayout(w, h)
	if want := d.quant.coded(l); len(d.coeffs) != want {
		return nil, formatErr("%d coefficients coded, the quantization table needs %d", len(d.coeffs), want)
	}
	plane := make([]float32, w*h)
	c := d.coeffs
	center := d.quant.center
	for i, r := range l.bands[:codedBands] {
		q := d.quant.q[i]
		if q == 0 {
			continue
		}
		halfZ := float64(d.quant.z[i]) / 2
		for y := r.y; y < r.y+r.h; y++ {
			row := plane[y*w+r.x : y*w+r.x+r.w]
			for x, s := range c[:r.w] {
				switch {
				case s > 0:
					row[x] = float32(float64(q*(float32(s)-center)) + halfZ)
				case s < 0:
					row[x] = float32(float64(q*(float32(s)+center)) - halfZ)
				}
			}
			c = c[r.w:]
		}
	}
	d.coeffs = nil
	reconstruct(plane, l, *d.filt)
	img := image.NewGray(image.Rect(0, 0, w, h))
	scale, shift := d.frame.rScale, d.frame.mShift
	for i, v := range plane {
		p := v*scale + shift + 0.5
		switch {
		case !(p >= 0): // NaN too
			img.Pix[i] = 0
		case p > 255:
			img.Pix[i] = 255
		default:
			img.Pix[i] = uint8(p)
		}
	}
	return img, nil
}
