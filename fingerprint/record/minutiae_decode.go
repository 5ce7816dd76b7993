package record

import (
	"encoding/binary"
	"fmt"
)

const (
	fmrMagic   = "FMR\x00"
	fmrVersion = " 20\x00"

	isoHeaderLen  = 24 // magic, version, 4-byte length, 12 bytes of fields
	ansiHeaderLen = 26 // magic, version, 2-byte length, product, 12 bytes
	// commonHeaderLen is what follows the length (and ANSI's product
	// identifier): equipment, width, height, resolutions, views, reserved.
	commonHeaderLen = 12
	viewHeaderLen   = 4
	minutiaLen      = 6
	extLenLen       = 2 // extended data block length field
	areaHeaderLen   = 4 // extended area type and length
)

// Decode reads a finger minutiae record of either format, telling ISO/IEC
// 19794-2:2005 from ANSI INCITS 378-2004 by the record length field (see the
// package comment), and returns it with the format it found. When the
// format was recognised but the record is malformed, the error wraps
// ErrFormat and the format is still returned; when neither layout fits,
// the format is 0. b is not retained.
func Decode(b []byte) (*MinutiaeRecord, Format, error) {
	f, err := detect(b)
	if err != nil {
		return nil, 0, err
	}
	var r *MinutiaeRecord
	if f == ISO19794_2_2005 {
		r, err = DecodeISO19794_2(b)
	} else {
		r, err = DecodeANSI378(b)
	}
	return r, f, err
}

// detect tells the formats apart. An ISO record of length n has n in the 4
// bytes at offset 8; an ANSI one has n in the 2 bytes at offset 8, or 0
// there and n in the 4 bytes at offset 10. Both cannot hold at once: an
// ANSI reading that is nonzero makes the ISO reading at least n<<16, and an
// ISO reading of n leaves the ANSI 6-byte reading n<<16 | (bytes 12-13).
func detect(b []byte) (Format, error) {
	if err := checkMagic(b, fmrMagic, fmrVersion, "finger minutiae record"); err != nil {
		return 0, err
	}
	n := uint64(len(b))
	if len(b) >= 12 && uint64(binary.BigEndian.Uint32(b[8:])) == n {
		return ISO19794_2_2005, nil
	}
	if len(b) >= 10 {
		if l := binary.BigEndian.Uint16(b[8:]); l != 0 && uint64(l) == n {
			return ANSI378_2004, nil
		}
		if len(b) >= 14 && b[8] == 0 && b[9] == 0 && uint64(binary.BigEndian.Uint32(b[10:])) == n {
			return ANSI378_2004, nil
		}
	}
	return 0, fmt.Errorf("%w: record length field: neither the ISO 19794-2 reading (4 bytes at offset 8) nor the ANSI 378 one (2 or 6 bytes) equals the input's %d bytes", ErrFormat, len(b))
}

// checkMagic checks the 4-byte format identifier and 4-byte version.
func checkMagic(b []byte, magic, version, what string) error {
	if len(b) < 4 || string(b[:4]) != magic {
		return fmt.Errorf("%w: format identifier: not a %s (want %q)", ErrFormat, what, magic)
	}
	if len(b) < 8 || string(b[4:8]) != version {
		return fmt.Errorf("%w: version: want %q", ErrFormat, version)
	}
	return nil
}

// DecodeISO19794_2 reads an ISO/IEC 19794-2:2005 finger minutiae record.
// The record length field must equal len(b). Errors wrap ErrFormat. b is
// not retained.
func DecodeISO19794_2(b []byte) (*MinutiaeRecord, error) {
	if err := checkMagic(b, fmrMagic, fmrVersion, "finger minutiae record"); err != nil {
		return nil, err
	}
	r := &reader{b: b, off: 8}
	if err := r.need(4, "record length"); err != nil {
		return nil, err
	}
	if l := r.u32(); uint64(l) != uint64(len(b)) {
		return nil, fmt.Errorf("%w: record length field is %d, input has %d bytes", ErrFormat, l, len(b))
	}
	rec := &MinutiaeRecord{Format: ISO19794_2_2005}
	if err := decodeMinutiaeBody(r, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// DecodeANSI378 reads an ANSI INCITS 378-2004 finger minutiae record, with
// a 2-byte record length or a 0 followed by a 4-byte one (the 6-byte form).
// The record length must equal len(b). Errors wrap ErrFormat. b is not
// retained.
func DecodeANSI378(b []byte) (*MinutiaeRecord, error) {
	if err := checkMagic(b, fmrMagic, fmrVersion, "finger minutiae record"); err != nil {
		return nil, err
	}
	r := &reader{b: b, off: 8}
	if err := r.need(2, "record length"); err != nil {
		return nil, err
	}
	l := uint64(r.u16())
	if l == 0 {
		if err := r.need(4, "record length (6-byte form)"); err != nil {
			return nil, err
		}
		l = uint64(r.u32())
	}
	if l != uint64(len(b)) {
		return nil, fmt.Errorf("%w: record length field is %d, input has %d bytes", ErrFormat, l, len(b))
	}
	if err := r.need(4, "CBEFF product identifier"); err != nil {
		return nil, err
	}
	rec := &MinutiaeRecord{Format: ANSI378_2004}
	rec.ProductOwner = r.u16()
	rec.ProductType = r.u16()
	if err := decodeMinutiaeBody(r, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// decodeMinutiaeBody reads what both formats share after the length (and
// product identifier): the rest of the header and the views.
func decodeMinutiaeBody(r *reader, rec *MinutiaeRecord) error {
	if err := r.need(commonHeaderLen, "record header"); err != nil {
		return err
	}
	eq := r.u16()
	rec.EquipmentCertification = uint8(eq >> 12)
	rec.EquipmentID = eq & 0x0fff
	rec.Width = r.u16()
	rec.Height = r.u16()
	rec.XResolution = r.u16()
	rec.YResolution = r.u16()
	n := int(r.u8())
	r.u8() // reserved
	// Every view takes at least its header and extended block length.
	if r.left() < n*(viewHeaderLen+extLenLen) {
		return r.need(n*(viewHeaderLen+extLenLen), fmt.Sprintf("%d finger views", n))
	}
	if n > 0 {
		rec.Views = make([]FingerView, n)
	}
	for i := range rec.Views {
		if err := decodeView(r, rec.Format, i, &rec.Views[i]); err != nil {
			return err
		}
	}
	if r.left() != 0 {
		return fmt.Errorf("%w: %d bytes after the last finger view", ErrFormat, r.left())
	}
	return nil
}

func decodeView(r *reader, f Format, i int, v *FingerView) error {
	if r.left() < viewHeaderLen {
		return r.need(viewHeaderLen, fmt.Sprintf("view %d header", i))
	}
	v.Position = FingerPosition(r.u8())
	if v.Position > LeftLittle {
		return fmt.Errorf("%w: view %d: finger position %d out of range 0-10", ErrFormat, i, v.Position)
	}
	vi := r.u8()
	v.ViewNumber = vi >> 4
	v.Impression = ImpressionType(vi & 0x0f)
	v.Quality = r.u8()
	if v.Quality > 100 {
		return fmt.Errorf("%w: view %d: finger quality %d above 100", ErrFormat, i, v.Quality)
	}
	n := int(r.u8())
	if r.left() < n*minutiaLen {
		return r.need(n*minutiaLen, fmt.Sprintf("view %d: %d minutiae", i, n))
	}
	if n > 0 {
		v.Minutiae = make([]Minutia, n)
	}
	steps := f.angleSteps()
	for j := range v.Minutiae {
		m := &v.Minutiae[j]
		tx := r.u16()
		m.Type = MinutiaType(tx >> 14)
		if m.Type > Bifurcation {
			return fmt.Errorf("%w: view %d minutia %d: reserved minutia type 3", ErrFormat, i, j)
		}
		m.X = tx & MaxCoordinate
		m.Y = r.u16() & MaxCoordinate // the top 2 bits are reserved
		m.Angle = r.u8()
		if int(m.Angle) >= steps {
			return fmt.Errorf("%w: view %d minutia %d: angle out of range 0-%d", ErrFormat, i, j, steps-1)
		}
		m.Quality = r.u8()
		if m.Quality > 100 {
			return fmt.Errorf("%w: view %d minutia %d: quality %d above 100", ErrFormat, i, j, m.Quality)
		}
	}
	if r.left() < extLenLen {
		return r.need(extLenLen, fmt.Sprintf("view %d extended data block length", i))
	}
	el := int(r.u16())
	if r.left() < el {
		return r.need(el, fmt.Sprintf("view %d extended data block", i))
	}
	areas, err := decodeAreas(r.b[r.off:r.off+el], i)
	if err != nil {
		return err
	}
	r.off += el
	v.Extended = areas
	return nil
}

// decodeAreas splits an extended data block into its areas. Each area's
// length counts its own 4-byte header.
func decodeAreas(block []byte, view int) ([]ExtendedArea, error) {
	var areas []ExtendedArea
	a := &reader{b: block}
	for k := 0; a.left() > 0; k++ {
		if a.left() < areaHeaderLen {
			return nil, fmt.Errorf("%w: view %d extended area %d: %d bytes left, its header needs 4", ErrFormat, view, k, a.left())
		}
		t := a.u16()
		l := int(a.u16())
		if l < areaHeaderLen || l-areaHeaderLen > a.left() {
			return nil, fmt.Errorf("%w: view %d extended area %d (type %#04x): length %d, want 4 to %d", ErrFormat, view, k, t, l, a.left()+areaHeaderLen)
		}
		areas = append(areas, ExtendedArea{Type: t, Data: a.bytes(l - areaHeaderLen)})
	}
	return areas, nil
}
