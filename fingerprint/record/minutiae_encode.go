package record

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encode writes r as a record of format f (ISO19794_2_2005 or
// ANSI378_2004). Every value is checked against its field first; an
// out-of-range value (x or y above MaxCoordinate, a quality above 100, more
// than 255 minutiae in a view, an angle outside r.Format's range, ...) is an
// error wrapping ErrInvalid and nothing is written.
//
// When f differs from r.Format, angles of minutiae, cores and deltas are
// converted with ConvertAngle (nearest step, halves up), ridge count and
// vendor areas (type 0x0100 and above) are copied unchanged, and an area
// the target cannot carry (ISO zonal quality in ANSI, a reserved type) is
// an error. ANSI's product identifier is not written to ISO, which has no
// such field. The ANSI record length takes 2 bytes, or 6 when the record
// is longer than 65535 bytes. Encode does not modify r.
func (r *MinutiaeRecord) Encode(f Format) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil record", ErrInvalid)
	}
	if f.angleSteps() == 0 {
		return nil, fmt.Errorf("%w: target format %d", ErrInvalid, uint8(f))
	}
	if r.Format.angleSteps() == 0 {
		return nil, fmt.Errorf("%w: record Format %d: set it to the format of its angles", ErrInvalid, uint8(r.Format))
	}
	if r.EquipmentCertification > 0x0f {
		return nil, fmt.Errorf("%w: equipment certification %d above 15", ErrInvalid, r.EquipmentCertification)
	}
	if r.EquipmentID > 0x0fff {
		return nil, fmt.Errorf("%w: equipment ID %d above 4095", ErrInvalid, r.EquipmentID)
	}
	if len(r.Views) > 255 {
		return nil, fmt.Errorf("%w: %d finger views, at most 255", ErrInvalid, len(r.Views))
	}
	// Pass 1: validate, convert areas and size the record.
	areas := make([][]ExtendedArea, len(r.Views))
	body := 0
	for i := range r.Views {
		v := &r.Views[i]
		if err := validateView(v, r.Format, i); err != nil {
			return nil, err
		}
		a, n, err := convertAreas(v.Extended, r.Format, f, i)
		if err != nil {
			return nil, err
		}
		areas[i] = a
		body += viewHeaderLen + minutiaLen*len(v.Minutiae) + extLenLen + n
	}
	var size int
	if f == ISO19794_2_2005 {
		size = isoHeaderLen + body
	} else {
		size = ansiHeaderLen + body
		if size > 0xffff {
			size += 4 // the 6-byte length form
		}
	}
	if uint64(size) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: record of %d bytes does not fit its length field", ErrInvalid, size)
	}
	// Pass 2: write.
	b := make([]byte, 0, size)
	b = append(b, fmrMagic...)
	b = append(b, fmrVersion...)
	if f == ISO19794_2_2005 {
		b = binary.BigEndian.AppendUint32(b, uint32(size))
	} else {
		if size <= 0xffff {
			b = binary.BigEndian.AppendUint16(b, uint16(size))
		} else {
			b = binary.BigEndian.AppendUint16(b, 0)
			b = binary.BigEndian.AppendUint32(b, uint32(size))
		}
		b = binary.BigEndian.AppendUint16(b, r.ProductOwner)
		b = binary.BigEndian.AppendUint16(b, r.ProductType)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(r.EquipmentCertification)<<12|r.EquipmentID)
	b = binary.BigEndian.AppendUint16(b, r.Width)
	b = binary.BigEndian.AppendUint16(b, r.Height)
	b = binary.BigEndian.AppendUint16(b, r.XResolution)
	b = binary.BigEndian.AppendUint16(b, r.YResolution)
	b = append(b, byte(len(r.Views)), 0)
	for i := range r.Views {
		v := &r.Views[i]
		b = append(b, byte(v.Position), v.ViewNumber<<4|byte(v.Impression), v.Quality, byte(len(v.Minutiae)))
		for _, m := range v.Minutiae {
			a := m.Angle
			if f != r.Format {
				a, _ = ConvertAngle(r.Format, f, a) // range checked in pass 1
			}
			b = binary.BigEndian.AppendUint16(b, uint16(m.Type)<<14|m.X)
			b = binary.BigEndian.AppendUint16(b, m.Y)
			b = append(b, a, m.Quality)
		}
		n := 0
		for _, a := range areas[i] {
			n += areaHeaderLen + len(a.Data)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		for _, a := range areas[i] {
			b = binary.BigEndian.AppendUint16(b, a.Type)
			b = binary.BigEndian.AppendUint16(b, uint16(areaHeaderLen+len(a.Data)))
			b = append(b, a.Data...)
		}
	}
	return b, nil
}

func validateView(v *FingerView, f Format, i int) error {
	switch {
	case v.Position > LeftLittle:
		return fmt.Errorf("%w: view %d: finger position %d out of range 0-10", ErrInvalid, i, v.Position)
	case v.ViewNumber > 15:
		return fmt.Errorf("%w: view %d: view number %d above 15", ErrInvalid, i, v.ViewNumber)
	case v.Impression > 15:
		return fmt.Errorf("%w: view %d: impression type %d above 15", ErrInvalid, i, v.Impression)
	case v.Quality > 100:
		return fmt.Errorf("%w: view %d: finger quality %d above 100", ErrInvalid, i, v.Quality)
	case len(v.Minutiae) > 255:
		return fmt.Errorf("%w: view %d: %d minutiae, at most 255", ErrInvalid, i, len(v.Minutiae))
	}
	steps := f.angleSteps()
	for j, m := range v.Minutiae {
		switch {
		case m.Type > Bifurcation:
			return fmt.Errorf("%w: view %d minutia %d: type %d, want 0-2", ErrInvalid, i, j, m.Type)
		case m.X > MaxCoordinate || m.Y > MaxCoordinate:
			return fmt.Errorf("%w: view %d minutia %d: position beyond %d", ErrInvalid, i, j, MaxCoordinate)
		case int(m.Angle) >= steps:
			return fmt.Errorf("%w: view %d minutia %d: angle out of range 0-%d for %v", ErrInvalid, i, j, steps-1, f)
		case m.Quality > 100:
			return fmt.Errorf("%w: view %d minutia %d: quality %d above 100", ErrInvalid, i, j, m.Quality)
		}
	}
	return nil
}

// convertAreas returns a view's extended areas as format to writes them,
// and their encoded size. Same format: unchanged.
func convertAreas(in []ExtendedArea, from, to Format, view int) ([]ExtendedArea, int, error) {
	out := in
	if from != to {
		out = make([]ExtendedArea, len(in))
	}
	n := 0
	for k, a := range in {
		if from != to {
			switch {
			case a.Type == AreaRidgeCount || a.Type >= 0x0100:
				// Same layout in both formats, or vendor defined: copied.
			case a.Type == AreaCoreDelta:
				cd, err := ParseCoreDelta(from, a.Data)
				if err != nil {
					return nil, 0, fmt.Errorf("%w: view %d extended area %d: %w", ErrInvalid, view, k, err)
				}
				if cd, err = cd.convert(from, to); err != nil {
					return nil, 0, fmt.Errorf("view %d extended area %d: %w", view, k, err)
				}
				if a, err = cd.Area(to); err != nil {
					return nil, 0, fmt.Errorf("view %d extended area %d: %w", view, k, err)
				}
			default:
				return nil, 0, fmt.Errorf("%w: view %d extended area %d: type %#04x has no %v form", ErrInvalid, view, k, a.Type, to)
			}
			out[k] = a
		}
		if len(a.Data) > maxAreaData {
			return nil, 0, fmt.Errorf("%w: view %d extended area %d: %d bytes, at most %d", ErrInvalid, view, k, len(a.Data), maxAreaData)
		}
		n += areaHeaderLen + len(a.Data)
	}
	if n > 0xffff {
		return nil, 0, fmt.Errorf("%w: view %d: extended data of %d bytes, at most 65535", ErrInvalid, view, n)
	}
	return out, n, nil
}
