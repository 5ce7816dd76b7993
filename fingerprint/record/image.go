package record

import (
	"encoding/binary"
	"fmt"
	"math"
)

const (
	firMagic   = "FIR\x00"
	firVersion = "010\x00"
	// firVersionSpace is the version as some writers spell it; decoded
	// like firVersion, never written.
	firVersionSpace = " 10\x00"

	imageHeaderLen  = 32 // general record header
	fingerHeaderLen = 14 // finger image header
	maxRecordLen48  = 1<<48 - 1
)

// Compression is the image compression algorithm of a finger image record.
type Compression uint8

// Compression algorithms of ISO/IEC 19794-4:2005.
const (
	Uncompressed Compression = 0 // one or two whole bytes per pixel
	BitPacked    Compression = 1 // uncompressed, pixels packed to PixelDepth bits
	WSQ          Compression = 2
	JPEG         Compression = 3
	JPEG2000     Compression = 4
	PNG          Compression = 5
)

// String names the algorithm.
func (c Compression) String() string {
	switch c {
	case Uncompressed:
		return "uncompressed"
	case BitPacked:
		return "uncompressed bit-packed"
	case WSQ:
		return "WSQ"
	case JPEG:
		return "JPEG"
	case JPEG2000:
		return "JPEG 2000"
	case PNG:
		return "PNG"
	}
	return fmt.Sprintf("Compression(%d)", uint8(c))
}

// ScaleUnits is the unit of an image record's resolutions.
type ScaleUnits uint8

// Scale units.
const (
	PixelsPerInch       ScaleUnits = 1
	PixelsPerCentimetre ScaleUnits = 2
)

// String names the unit.
func (u ScaleUnits) String() string {
	switch u {
	case PixelsPerInch:
		return "pixels per inch"
	case PixelsPerCentimetre:
		return "pixels per centimetre"
	}
	return fmt.Sprintf("ScaleUnits(%d)", uint8(u))
}

// ImageRecord is an ISO/IEC 19794-4:2005 finger image record: a general
// header and one or more finger images sharing its resolution, depth and
// compression.
type ImageRecord struct {
	// CaptureDeviceID is vendor assigned; 0 means unreported.
	CaptureDeviceID uint16
	// AcquisitionLevel is the image acquisition setting level (10, 20, 30,
	// 31, 40 or 41 in the standard), carried as is.
	AcquisitionLevel uint16
	// ScaleUnits is the unit of the four resolutions: 1 or 2.
	ScaleUnits ScaleUnits
	// ScanXResolution and ScanYResolution are the scanner's resolution.
	ScanXResolution, ScanYResolution uint16
	// XResolution and YResolution are the image's resolution.
	XResolution, YResolution uint16
	// PixelDepth is the number of bits per pixel, 1-16.
	PixelDepth uint8
	// Compression says how every image's Data is coded, 0-5.
	Compression Compression
	// Fingers are at most 255 finger images.
	Fingers []FingerImage
}

// FingerImage is one finger image of a record.
type FingerImage struct {
	// Position is the finger (or plain multi-finger) position code.
	Position FingerPosition
	// ViewCount is how many views of this finger the record holds.
	ViewCount uint8
	// ViewNumber numbers this view among them.
	ViewNumber uint8
	// Quality is 0-100, or 254 or 255 (codes for "not computed" and
	// "failed" in the image standards), carried as is.
	Quality uint8
	// Impression is how the print was taken.
	Impression ImpressionType
	// Width and Height are the horizontal and vertical line lengths in
	// pixels.
	Width, Height uint16
	// Data is the image as coded by the record's Compression. For
	// Uncompressed it is Height rows of Width pixels of (PixelDepth+7)/8
	// bytes each, big-endian for two-byte pixels, top row first.
	Data []byte
}

// DecodeImage reads an ISO/IEC 19794-4:2005 finger image record. The
// record length field must equal len(b), every finger block must fit, and
// an uncompressed image must have exactly Width*Height pixels. Errors wrap
// ErrFormat. Image data is copied: b is not retained.
func DecodeImage(b []byte) (*ImageRecord, error) {
	if len(b) < 4 || string(b[:4]) != firMagic {
		return nil, fmt.Errorf("%w: format identifier: not a finger image record (want %q)", ErrFormat, firMagic)
	}
	if len(b) < 8 || (string(b[4:8]) != firVersion && string(b[4:8]) != firVersionSpace) {
		return nil, fmt.Errorf("%w: version: want %q", ErrFormat, firVersion)
	}
	r := &reader{b: b, off: 8}
	if err := r.need(imageHeaderLen-8, "general record header"); err != nil {
		return nil, err
	}
	if l := r.u48(); l != uint64(len(b)) {
		return nil, fmt.Errorf("%w: record length field is %d, input has %d bytes", ErrFormat, l, len(b))
	}
	rec := &ImageRecord{}
	rec.CaptureDeviceID = r.u16()
	rec.AcquisitionLevel = r.u16()
	n := int(r.u8())
	rec.ScaleUnits = ScaleUnits(r.u8())
	rec.ScanXResolution = r.u16()
	rec.ScanYResolution = r.u16()
	rec.XResolution = r.u16()
	rec.YResolution = r.u16()
	rec.PixelDepth = r.u8()
	rec.Compression = Compression(r.u8())
	r.u16() // reserved
	if err := rec.checkHeader(ErrFormat); err != nil {
		return nil, err
	}
	if r.left() < n*fingerHeaderLen {
		return nil, r.need(n*fingerHeaderLen, fmt.Sprintf("%d finger images", n))
	}
	if n > 0 {
		rec.Fingers = make([]FingerImage, n)
	}
	for i := range rec.Fingers {
		if r.left() < fingerHeaderLen {
			return nil, r.need(fingerHeaderLen, fmt.Sprintf("finger image %d header", i))
		}
		l := uint64(r.u32())
		if l < fingerHeaderLen || l-fingerHeaderLen > uint64(r.left()-(fingerHeaderLen-4)) {
			return nil, fmt.Errorf("%w: finger image %d: block length %d, want %d to %d", ErrFormat, i, l, fingerHeaderLen, r.left()+4)
		}
		fi := &rec.Fingers[i]
		fi.Position = FingerPosition(r.u8())
		fi.ViewCount = r.u8()
		fi.ViewNumber = r.u8()
		fi.Quality = r.u8()
		fi.Impression = ImpressionType(r.u8())
		fi.Width = r.u16()
		fi.Height = r.u16()
		r.u8() // reserved
		fi.Data = r.bytes(int(l - fingerHeaderLen))
		if err := rec.checkFinger(fi, i, ErrFormat); err != nil {
			return nil, err
		}
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last finger image", ErrFormat, r.left())
	}
	return rec, nil
}

// checkHeader checks the general header's ranges; kind is ErrFormat when
// decoding, ErrInvalid when encoding.
func (rec *ImageRecord) checkHeader(kind error) error {
	switch {
	case rec.ScaleUnits != PixelsPerInch && rec.ScaleUnits != PixelsPerCentimetre:
		return fmt.Errorf("%w: scale units %d, want 1 (ppi) or 2 (ppcm)", kind, rec.ScaleUnits)
	case rec.PixelDepth < 1 || rec.PixelDepth > 16:
		return fmt.Errorf("%w: pixel depth %d, want 1-16 bits", kind, rec.PixelDepth)
	case rec.Compression > PNG:
		return fmt.Errorf("%w: image compression algorithm %d, want 0-5", kind, rec.Compression)
	}
	return nil
}

// checkFinger checks one finger image against its header and the record.
func (rec *ImageRecord) checkFinger(fi *FingerImage, i int, kind error) error {
	if fi.Quality > 100 && fi.Quality < 254 {
		return fmt.Errorf("%w: finger image %d: quality %d, want 0-100, 254 or 255", kind, i, fi.Quality)
	}
	if rec.Compression == Uncompressed {
		want := uint64(fi.Width) * uint64(fi.Height) * uint64((rec.PixelDepth+7)/8)
		if uint64(len(fi.Data)) != want {
			return fmt.Errorf("%w: finger image %d: %d bytes of uncompressed data, %dx%d pixels of %d bits need %d", kind, i, len(fi.Data), fi.Width, fi.Height, rec.PixelDepth, want)
		}
	}
	return nil
}

// Encode writes r as an ISO/IEC 19794-4:2005 finger image record (version
// "010\0"). Values are checked first: scale units other than 1 or 2, a
// pixel depth outside 1-16, an unknown compression, more than 255 images,
// a quality of 101-253, or uncompressed data whose size does not match
// Width*Height*((PixelDepth+7)/8) are errors wrapping ErrInvalid. The data
// is copied as is; Encode does not compress. Encode does not modify r.
func (r *ImageRecord) Encode() ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil image record", ErrInvalid)
	}
	if err := r.checkHeader(ErrInvalid); err != nil {
		return nil, err
	}
	if len(r.Fingers) > 255 {
		return nil, fmt.Errorf("%w: %d finger images, at most 255", ErrInvalid, len(r.Fingers))
	}
	size := uint64(imageHeaderLen)
	for i := range r.Fingers {
		fi := &r.Fingers[i]
		if err := r.checkFinger(fi, i, ErrInvalid); err != nil {
			return nil, err
		}
		if uint64(len(fi.Data)) > math.MaxUint32-fingerHeaderLen {
			return nil, fmt.Errorf("%w: finger image %d: %d bytes do not fit its block length", ErrInvalid, i, len(fi.Data))
		}
		size += fingerHeaderLen + uint64(len(fi.Data))
	}
	if size > maxRecordLen48 || size > math.MaxInt {
		return nil, fmt.Errorf("%w: record of %d bytes does not fit its length field", ErrInvalid, size)
	}
	b := make([]byte, 0, size)
	b = append(b, firMagic...)
	b = append(b, firVersion...)
	b = appendU48(b, size)
	b = binary.BigEndian.AppendUint16(b, r.CaptureDeviceID)
	b = binary.BigEndian.AppendUint16(b, r.AcquisitionLevel)
	b = append(b, byte(len(r.Fingers)), byte(r.ScaleUnits))
	b = binary.BigEndian.AppendUint16(b, r.ScanXResolution)
	b = binary.BigEndian.AppendUint16(b, r.ScanYResolution)
	b = binary.BigEndian.AppendUint16(b, r.XResolution)
	b = binary.BigEndian.AppendUint16(b, r.YResolution)
	b = append(b, r.PixelDepth, byte(r.Compression), 0, 0)
	for _, fi := range r.Fingers {
		b = binary.BigEndian.AppendUint32(b, uint32(fingerHeaderLen+len(fi.Data)))
		b = append(b, byte(fi.Position), fi.ViewCount, fi.ViewNumber, fi.Quality, byte(fi.Impression))
		b = binary.BigEndian.AppendUint16(b, fi.Width)
		b = binary.BigEndian.AppendUint16(b, fi.Height)
		b = append(b, 0)
		b = append(b, fi.Data...)
	}
	return b, nil
}
