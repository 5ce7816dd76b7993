package record

import (
	"errors"
	"fmt"
	"math"
)

// ErrFormat is wrapped by every decoding error: the input is not a
// well-formed record of the expected kind. The message names the field.
var ErrFormat = errors.New("record: malformed record")

// ErrInvalid is wrapped by every encoding error: a value does not fit its
// field (out of range, too many items) or cannot be carried by the target
// format. The message names the field.
var ErrInvalid = errors.New("record: invalid record value")

// Format is a finger minutiae record standard. The zero value is no format.
type Format uint8

const (
	// ISO19794_2_2005 is ISO/IEC 19794-2:2005, angles in units of 1.40625°.
	ISO19794_2_2005 Format = iota + 1
	// ANSI378_2004 is ANSI INCITS 378-2004, angles in units of 2°.
	ANSI378_2004
)

// String names the standard.
func (f Format) String() string {
	switch f {
	case ISO19794_2_2005:
		return "ISO/IEC 19794-2:2005"
	case ANSI378_2004:
		return "ANSI INCITS 378-2004"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// angleSteps is how many angle units make a full turn: 256 for ISO, 180 for
// ANSI (0 for an unknown format).
func (f Format) angleSteps() int {
	switch f {
	case ISO19794_2_2005:
		return 256
	case ANSI378_2004:
		return 180
	}
	return 0
}

// AngleStep is the size in degrees of one angle unit: 1.40625 (360/256) for
// ISO, 2 for ANSI, 0 for an unknown format.
func (f Format) AngleStep() float64 {
	if n := f.angleSteps(); n > 0 {
		return 360 / float64(n)
	}
	return 0
}

// AngleDegrees converts an angle in f's units to degrees. The result is
// exact (both steps are binary fractions): a*1.40625 or a*2.
func (f Format) AngleDegrees(a uint8) float64 {
	return float64(a) * f.AngleStep()
}

// AngleFromDegrees quantises an angle in degrees (any real value, taken
// modulo 360) to f's nearest unit, halves rounding up, a full turn wrapping
// to 0. The error is at most half a step: 0.703125° for ISO, 1° for ANSI.
// NaN, infinities and an unknown format are errors wrapping ErrInvalid.
func (f Format) AngleFromDegrees(deg float64) (uint8, error) {
	n := f.angleSteps()
	if n == 0 {
		return 0, fmt.Errorf("%w: angle for unknown format %d", ErrInvalid, uint8(f))
	}
	if math.IsNaN(deg) || math.IsInf(deg, 0) {
		return 0, fmt.Errorf("%w: angle %v degrees", ErrInvalid, deg)
	}
	d := math.Mod(deg, 360)
	if d < 0 {
		d += 360
	}
	u := int(math.Floor(d/f.AngleStep() + 0.5))
	return uint8(u % n), nil
}

// ConvertAngle converts an angle from one format's units to another's,
// rounding to the nearest unit of the target, halves up (only ISO→ANSI has
// halves: ISO 32, 96, 160 and 224 are 22.5 ANSI units and so on), a full
// turn wrapping to 0. Integer arithmetic, so the result does not depend on
// floating point. ISO→ANSI errs by at most 1°, ANSI→ISO by at most
// 0.703125°. An angle out of the source range (ANSI above 179) or an
// unknown format is an error wrapping ErrInvalid.
func ConvertAngle(from, to Format, a uint8) (uint8, error) {
	nf, nt := from.angleSteps(), to.angleSteps()
	if nf == 0 || nt == 0 {
		return 0, fmt.Errorf("%w: angle conversion from %v to %v", ErrInvalid, from, to)
	}
	if int(a) >= nf {
		return 0, fmt.Errorf("%w: angle out of range 0-%d for %v", ErrInvalid, nf-1, from)
	}
	// round(a*nt/nf) = floor((2*a*nt + nf) / (2*nf)).
	u := (2*int(a)*nt + nf) / (2 * nf)
	return uint8(u % nt), nil
}

// FingerPosition is the finger position code shared by the standards
// (ISO/IEC 19794-2 and -4, ANSI 378). Minutiae records allow 0-10; image
// records also use 11-15 for plain and multi-finger impressions.
type FingerPosition uint8

// Finger positions.
const (
	UnknownFinger FingerPosition = iota
	RightThumb
	RightIndex
	RightMiddle
	RightRing
	RightLittle
	LeftThumb
	LeftIndex
	LeftMiddle
	LeftRing
	LeftLittle
	PlainRightThumb
	PlainLeftThumb
	PlainRightFour
	PlainLeftFour
	PlainThumbs
)

var positionNames = [...]string{
	"unknown finger", "right thumb", "right index", "right middle", "right ring",
	"right little", "left thumb", "left index", "left middle", "left ring",
	"left little", "plain right thumb", "plain left thumb",
	"plain right four fingers", "plain left four fingers", "plain thumbs",
}

// String names the position ("right thumb"); codes the standards do not
// name print as FingerPosition(n).
func (p FingerPosition) String() string {
	if int(p) < len(positionNames) {
		return positionNames[p]
	}
	return fmt.Sprintf("FingerPosition(%d)", uint8(p))
}

// ImpressionType is how the print was captured: a 4-bit code.
type ImpressionType uint8

// Impression types defined by the 2004/2005 standards; other 4-bit codes
// are reserved but carried as they are.
const (
	LiveScanPlain     ImpressionType = 0
	LiveScanRolled    ImpressionType = 1
	NonLiveScanPlain  ImpressionType = 2
	NonLiveScanRolled ImpressionType = 3
	Swipe             ImpressionType = 8
)

// String names the impression type.
func (t ImpressionType) String() string {
	switch t {
	case LiveScanPlain:
		return "live-scan plain"
	case LiveScanRolled:
		return "live-scan rolled"
	case NonLiveScanPlain:
		return "non-live-scan plain"
	case NonLiveScanRolled:
		return "non-live-scan rolled"
	case Swipe:
		return "swipe"
	}
	return fmt.Sprintf("ImpressionType(%d)", uint8(t))
}

// MinutiaType is the 2-bit minutia type. Code 3 is reserved and rejected.
type MinutiaType uint8

// Minutia types.
const (
	OtherMinutia MinutiaType = 0 // 00: other
	RidgeEnding  MinutiaType = 1 // 01: ridge ending
	Bifurcation  MinutiaType = 2 // 10: ridge bifurcation
)

// String names the minutia type.
func (t MinutiaType) String() string {
	switch t {
	case OtherMinutia:
		return "other"
	case RidgeEnding:
		return "ridge ending"
	case Bifurcation:
		return "bifurcation"
	}
	return fmt.Sprintf("MinutiaType(%d)", uint8(t))
}

// MaxCoordinate is the largest x or y a minutia (or core, delta) can have:
// coordinates are 14-bit pixel positions, origin top left.
const MaxCoordinate = 1<<14 - 1

// Minutia is one minutia of a finger view, in the record's own units.
type Minutia struct {
	Type MinutiaType
	// X and Y are pixel positions, 0-MaxCoordinate, origin top left.
	X, Y uint16
	// Angle is the ridge direction counter-clockwise from the x axis, in
	// units of the record's Format: 0-255 of 1.40625° (ISO) or 0-179 of 2°
	// (ANSI). See Format.AngleDegrees.
	Angle uint8
	// Quality is 0-100 (0: not reported in ISO; 100 best).
	Quality uint8
}

// AngleDegrees is the minutia's angle in degrees, given the Format of the
// record that holds it. Exact: no rounding happens.
func (m Minutia) AngleDegrees(f Format) float64 { return f.AngleDegrees(m.Angle) }

// ExtendedArea is one area of a view's extended data block, kept as raw
// bytes. Type 1 is ridge count data (ParseRidgeCounts), 2 core and delta
// data (ParseCoreDelta), 3 zonal quality (ISO), 0x0100 and above vendor
// defined.
type ExtendedArea struct {
	Type uint16
	// Data is the area's body, without its 4-byte type and length header;
	// at most 65531 bytes.
	Data []byte
}

// Extended data area types.
const (
	AreaRidgeCount   uint16 = 1
	AreaCoreDelta    uint16 = 2
	AreaZonalQuality uint16 = 3
)

// FingerView is one view of a finger: its header, minutiae and extended
// data.
type FingerView struct {
	// Position is the finger, 0-10.
	Position FingerPosition
	// ViewNumber tells views of the same finger apart, 0-15.
	ViewNumber uint8
	// Impression is how the print was taken, 0-15.
	Impression ImpressionType
	// Quality is the finger's quality, 0-100.
	Quality uint8
	// Minutiae are at most 255, in record order.
	Minutiae []Minutia
	// Extended are the extended data areas in record order (nil if the
	// block is empty); their total size is at most 65535 bytes.
	Extended []ExtendedArea
}

// MinutiaeRecord is a finger minutiae record of either format. The zero
// value is not encodable: set Format, which says in which unit the angles
// (of minutiae, cores and deltas) are.
type MinutiaeRecord struct {
	// Format is the standard whose angle units the values use. Decoders set
	// it to the format they read.
	Format Format
	// ProductOwner and ProductType are ANSI 378's CBEFF product identifier.
	// ISO 19794-2 has no such field: they decode as 0 from ISO and are not
	// written to ISO.
	ProductOwner, ProductType uint16
	// EquipmentCertification is the 4-bit capture equipment certification
	// (ISO) or compliance (ANSI) flags, 0-15.
	EquipmentCertification uint8
	// EquipmentID is the 12-bit capture equipment ID (0: unreported).
	EquipmentID uint16
	// Width and Height are the image size in pixels.
	Width, Height uint16
	// XResolution and YResolution are in pixels per centimetre (197 is
	// about 500 dpi).
	XResolution, YResolution uint16
	// Views are at most 255 finger views.
	Views []FingerView
}
