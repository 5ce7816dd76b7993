// Package record encodes and decodes the standard fingerprint interchange
// records, byte for byte:
//
//   - ISO/IEC 19794-2:2005 finger minutiae record ("FMR\0", version " 20\0"),
//   - ANSI INCITS 378-2004 finger minutiae record ("FMR\0", " 20\0" too, with
//     a different header: a 2- or 6-byte record length and a CBEFF product
//     identifier),
//   - ISO/IEC 19794-4:2005 finger image record ("FIR\0", version "010\0").
//
// It is a pure codec over the records' own fields and units: it does no
// image processing and no compression. Image data in a 19794-4 record is
// carried as the raw bytes of whatever the Compression field names (WSQ,
// JPEG, PNG, ...); the caller compresses and decompresses.
//
// # Byte order and layout
//
// Every multi-byte field is big-endian (network order), as the standards
// require. Minutiae records (both formats) have a header, then per finger
// view a 4-byte view header, 6 bytes per minutia (2-bit type and 14-bit x,
// 2 reserved bits and 14-bit y, angle, quality) and an extended data block
// (a 2-byte length and areas of type, length, data).
//
// The two minutiae formats share their magic and version, so Decode tells
// them apart by the record length field: ISO has a 4-byte length at offset
// 8, ANSI a 2-byte one (or 0 followed by a 4-byte one); exactly one of these
// readings can equal the input's length. Angles differ: ISO counts units of
// 360/256 = 1.40625 degrees (0-255), ANSI units of 2 degrees (0-179). A
// MinutiaeRecord keeps angles in the unit of its Format; Encode to the other
// format converts them, rounding to the nearest step (see ConvertAngle).
//
// # What is parsed
//
// All header, view and minutia fields are decoded into values. Extended data
// areas are kept as raw bytes (type and data), in record order, so a record
// re-encodes exactly; ParseRidgeCounts and ParseCoreDelta read the ridge
// count (type 1) and core/delta (type 2) areas on demand. The zonal quality
// area (type 3, ISO only) and vendor areas (0x0100 and above) stay opaque.
// An extended area's length field is taken to include its 4-byte type and
// length header, as NIST's biomdi library reads both formats.
//
// Reserved bits and bytes are ignored when decoding and written as zero.
// Decoding is strict otherwise: a length field must match the input
// exactly, every count is checked against the bytes remaining before
// anything is allocated, and values outside a field's defined range
// (reserved minutia type 3, quality above 100, an ANSI angle above 179, ...)
// are errors wrapping ErrFormat that name the field. Encoding validates the
// same ranges and fails with ErrInvalid rather than write a wrong record.
//
// # Biometric data
//
// Records, minutiae and images are biometric data: never log them. Errors
// here name the field, its index and counts or header values, never a
// minutia's position or angle, so they may be logged.
// Functions are pure: they keep no reference to their input (decoded byte
// slices are copies) and are safe for concurrent use on different values.
package record
