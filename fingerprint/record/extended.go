package record

import (
	"encoding/binary"
	"fmt"
)

// RidgeCountMethod is how ridge counts were picked (first byte of a ridge
// count area).
type RidgeCountMethod uint8

// Ridge count extraction methods.
const (
	RidgeCountNonSpecific    RidgeCountMethod = 0
	RidgeCountFourNeighbour  RidgeCountMethod = 1 // quadrants
	RidgeCountEightNeighbour RidgeCountMethod = 2 // octants
)

// RidgeCount is the number of ridges crossed between two minutiae.
type RidgeCount struct {
	// A and B are minutia indices as the record stores them (the
	// standards number minutiae from the view's minutia list).
	A, B uint8
	// Count is the number of ridges between them.
	Count uint8
}

// RidgeCounts is a parsed ridge count area (type 1); the layout is the same
// in both formats.
type RidgeCounts struct {
	Method RidgeCountMethod
	Counts []RidgeCount
}

// ParseRidgeCounts reads the body of a ridge count area: a method byte and
// 3 bytes per count. Errors wrap ErrFormat.
func ParseRidgeCounts(data []byte) (RidgeCounts, error) {
	if len(data) < 1 || (len(data)-1)%3 != 0 {
		return RidgeCounts{}, fmt.Errorf("%w: ridge count area: %d bytes, want 1 + 3n", ErrFormat, len(data))
	}
	rc := RidgeCounts{Method: RidgeCountMethod(data[0])}
	if n := (len(data) - 1) / 3; n > 0 {
		rc.Counts = make([]RidgeCount, n)
		for i := range rc.Counts {
			p := data[1+3*i:]
			rc.Counts[i] = RidgeCount{A: p[0], B: p[1], Count: p[2]}
		}
	}
	return rc, nil
}

// Area encodes rc as an extended area. More counts than fit in an area
// (21843) are an error wrapping ErrInvalid.
func (rc RidgeCounts) Area() (ExtendedArea, error) {
	if 1+3*len(rc.Counts) > maxAreaData {
		return ExtendedArea{}, fmt.Errorf("%w: %d ridge counts do not fit in an extended area", ErrInvalid, len(rc.Counts))
	}
	b := make([]byte, 0, 1+3*len(rc.Counts))
	b = append(b, byte(rc.Method))
	for _, c := range rc.Counts {
		b = append(b, c.A, c.B, c.Count)
	}
	return ExtendedArea{Type: AreaRidgeCount, Data: b}, nil
}

// maxAreaData is the largest area body: its 2-byte length counts the
// 4-byte header too.
const maxAreaData = 0xffff - areaHeaderLen

// Core is a core point.
type Core struct {
	// X and Y are pixel positions, 0-MaxCoordinate.
	X, Y uint16
	// HasAngle says whether Angle is recorded.
	HasAngle bool
	// Angle is in the record's Format units, like a minutia's.
	Angle uint8
}

// Delta is a delta point.
type Delta struct {
	// X and Y are pixel positions, 0-MaxCoordinate.
	X, Y uint16
	// HasAngles says whether Angles are recorded.
	HasAngles bool
	// Angles are the three ridge directions, in the record's Format units.
	Angles [3]uint8
}

// CoreDelta is a parsed core and delta area (type 2).
type CoreDelta struct {
	Cores  []Core  // at most 15
	Deltas []Delta // at most 15
}

// ParseCoreDelta reads the body of a core and delta area in format f.
// The formats differ: ISO 19794-2 flags angle presence in the top 2 bits of
// each point's x (01: with angle), after a count byte; ANSI 378 flags it
// once for all cores (and once for all deltas) in the top 2 bits of the
// count byte. Counts are the low 4 bits. Errors wrap ErrFormat.
func ParseCoreDelta(f Format, data []byte) (CoreDelta, error) {
	if f.angleSteps() == 0 {
		return CoreDelta{}, fmt.Errorf("%w: core/delta area of unknown format %d", ErrFormat, uint8(f))
	}
	r := &reader{b: data}
	var cd CoreDelta
	for part, size := range [2]int{1, 3} { // angle bytes per core, per delta
		what := [2]string{"core", "delta"}[part]
		if err := r.need(1, what+" count"); err != nil {
			return CoreDelta{}, err
		}
		info := r.u8()
		n := int(info & 0x0f)
		blockAngles := false
		if f == ANSI378_2004 {
			typ := info >> 6
			if typ > 1 {
				return CoreDelta{}, fmt.Errorf("%w: %s information type %d, want 0 or 1", ErrFormat, what, typ)
			}
			blockAngles = typ == 1
		}
		if r.left() < 4*n {
			return CoreDelta{}, r.need(4*n, fmt.Sprintf("%d %ss", n, what))
		}
		for i := range n {
			if r.left() < 4 {
				return CoreDelta{}, r.need(4, fmt.Sprintf("%s %d", what, i))
			}
			xw := r.u16()
			y := r.u16() & MaxCoordinate
			angles := blockAngles
			if f == ISO19794_2_2005 {
				typ := xw >> 14
				if typ > 1 {
					return CoreDelta{}, fmt.Errorf("%w: %s %d: type %d, want 0 or 1", ErrFormat, what, i, typ)
				}
				angles = typ == 1
			}
			x := xw & MaxCoordinate
			var a [3]uint8
			if angles {
				if r.left() < size {
					return CoreDelta{}, r.need(size, fmt.Sprintf("%s %d angle", what, i))
				}
				for k := range size {
					a[k] = r.u8()
					if int(a[k]) >= f.angleSteps() {
						return CoreDelta{}, fmt.Errorf("%w: %s %d: angle out of range 0-%d", ErrFormat, what, i, f.angleSteps()-1)
					}
				}
			}
			if part == 0 {
				cd.Cores = append(cd.Cores, Core{X: x, Y: y, HasAngle: angles, Angle: a[0]})
			} else {
				cd.Deltas = append(cd.Deltas, Delta{X: x, Y: y, HasAngles: angles, Angles: a})
			}
		}
	}
	if r.left() != 0 {
		return CoreDelta{}, fmt.Errorf("%w: %d bytes after the core/delta data", ErrFormat, r.left())
	}
	return cd, nil
}

// Area encodes cd as an extended area of format f, angles taken to be in
// f's units. ANSI 378 records angle presence once per list, so mixing
// points with and without angles is an error there; so are more than 15
// cores or deltas and values out of range. Errors wrap ErrInvalid.
func (cd CoreDelta) Area(f Format) (ExtendedArea, error) {
	steps := f.angleSteps()
	if steps == 0 {
		return ExtendedArea{}, fmt.Errorf("%w: core/delta area for unknown format %d", ErrInvalid, uint8(f))
	}
	if len(cd.Cores) > 15 || len(cd.Deltas) > 15 {
		return ExtendedArea{}, fmt.Errorf("%w: %d cores and %d deltas, at most 15 each", ErrInvalid, len(cd.Cores), len(cd.Deltas))
	}
	b := make([]byte, 0, 2+5*len(cd.Cores)+7*len(cd.Deltas))
	type point struct {
		x, y   uint16
		has    bool
		angles []uint8
	}
	cores := make([]point, len(cd.Cores))
	for i, c := range cd.Cores {
		cores[i] = point{c.X, c.Y, c.HasAngle, []uint8{c.Angle}}
	}
	deltas := make([]point, len(cd.Deltas))
	for i, d := range cd.Deltas {
		deltas[i] = point{d.X, d.Y, d.HasAngles, d.Angles[:]}
	}
	for part, pts := range [2][]point{cores, deltas} {
		what := [2]string{"core", "delta"}[part]
		info := byte(len(pts))
		if f == ANSI378_2004 && len(pts) > 0 {
			for _, p := range pts[1:] {
				if p.has != pts[0].has {
					return ExtendedArea{}, fmt.Errorf("%w: %ss with and without angles cannot share an ANSI 378 area", ErrInvalid, what)
				}
			}
			if pts[0].has {
				info |= 1 << 6
			}
		}
		b = append(b, info)
		for i, p := range pts {
			if p.x > MaxCoordinate || p.y > MaxCoordinate {
				return ExtendedArea{}, fmt.Errorf("%w: %s %d: position beyond %d", ErrInvalid, what, i, MaxCoordinate)
			}
			x := p.x
			if f == ISO19794_2_2005 && p.has {
				x |= 1 << 14
			}
			b = binary.BigEndian.AppendUint16(b, x)
			b = binary.BigEndian.AppendUint16(b, p.y)
			if !p.has {
				continue
			}
			for _, a := range p.angles {
				if int(a) >= steps {
					return ExtendedArea{}, fmt.Errorf("%w: %s %d: angle out of range 0-%d", ErrInvalid, what, i, steps-1)
				}
				b = append(b, a)
			}
		}
	}
	return ExtendedArea{Type: AreaCoreDelta, Data: b}, nil
}

// convert returns cd with its angles converted from one format's units to
// another's (see ConvertAngle).
func (cd CoreDelta) convert(from, to Format) (CoreDelta, error) {
	out := CoreDelta{}
	for _, c := range cd.Cores {
		if c.HasAngle {
			a, err := ConvertAngle(from, to, c.Angle)
			if err != nil {
				return CoreDelta{}, err
			}
			c.Angle = a
		}
		out.Cores = append(out.Cores, c)
	}
	for _, d := range cd.Deltas {
		if d.HasAngles {
			for k := range d.Angles {
				a, err := ConvertAngle(from, to, d.Angles[k])
				if err != nil {
					return CoreDelta{}, err
				}
				d.Angles[k] = a
			}
		}
		out.Deltas = append(out.Deltas, d)
	}
	return out, nil
}
