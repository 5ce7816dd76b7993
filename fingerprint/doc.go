// Package fingerprint turns a devices.FingerprintImage into what a
// verification needs: where the finger is, how good the print is, its
// minutiae, the standard records that carry them, and a comparison score. It
// consumes images from any devices.FingerprintReader (a USB reader, a folder)
// and imports only the devices contract and the standard library, so the
// gateway, the CLI and the IDEC emulator can all use it without cgo.
//
// What goes where (issue 17 builds the parts after segmentation):
//
//   - segment.go: foreground segmentation, block-wise grey-level statistics
//     into a Mask and the foreground fraction. Every later step reads only
//     the foreground. (Present.)
//   - quality: a print quality score (NFIQ-like: contrast, ridge clarity,
//     orientation certainty over the foreground) as an outcome value, not an
//     error: a poor print is a result the caller acts on.
//   - orientation and frequency fields, enhancement, binarisation and
//     thinning: the image stages minutiae extraction needs.
//   - minutiae: ridge endings and bifurcations with position, angle and
//     quality, in the image's pixel coordinates.
//   - iso19794_2.go, ansi378.go, iso19794_4.go: the minutiae records
//     (ISO/IEC 19794-2:2005, ANSI INCITS 378-2004) and the finger image
//     record (ISO/IEC 19794-4), encoded and decoded byte for byte, tested
//     against the shared FVC2002 templates.
//   - wsq: the FBI's WSQ image codec, tested against the shared NIST sample.
//   - match: minutiae comparison with a score and a threshold chosen on a
//     documented evaluation (FMR/FNMR on FVC2002), and that evaluation.
//
// Sub-packages appear when one of these grows a contract of its own (WSQ,
// say); until then they are files of this package.
//
// Fingerprint images, masks, minutiae and templates are biometric data:
// never log them. Functions here are pure: they keep no reference to their
// input and are safe for concurrent use on different inputs.
package fingerprint
