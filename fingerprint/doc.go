// Package fingerprint turns a devices.FingerprintImage into what a
// verification needs: where the finger is, how good the print is, its
// minutiae, the standard records that carry them, and a comparison score. It
// consumes images from any devices.FingerprintReader (a USB reader, a folder)
// and imports only the devices contract, its own sub-packages, the standard
// library and the matcher library, so the gateway's pipeline, the CLI and
// the IDEC emulator can all use it without cgo.
//
// What goes where:
//
//   - segment.go: foreground segmentation, block-wise grey-level statistics
//     into a Mask and the foreground fraction.
//   - quality*.go: Assess, a 0-100 quality score on NFIQ 2's features
//     (orientation certainty, local clarity, ridge-valley uniformity,
//     frequency domain analysis, orientation flow) over the foreground, with
//     the Hint a person can act on. The features are NFIQ 2's; the
//     combination is a fixed, documented rule, not NFIQ 2's trained random
//     forest, so the numbers are not NFIQ 2 numbers.
//   - enhance.go: Enhance, contextual Gabor filtering of a print (Hong, Wan
//     and Jain) tuned to its local ridge orientation and period. Extract
//     enhances the prints of quality under EnhanceBelowQuality (see Enhance
//     for what it measured).
//   - template.go, sourceafis.go, match.go: Template (minutiae at 500 ppi),
//     Extract and Compare. Extraction and matching are SourceAFIS's (Robert
//     Važan, Apache-2.0) through its Go port; sourceafis.go is the only file
//     that touches it, and works around two of the port's defects there.
//   - records.go: templates to and from ISO/IEC 19794-2 and ANSI INCITS 378
//     minutiae records, images to and from ISO/IEC 19794-4 finger image
//     records (WSQ or PNG inside). The codecs themselves are the
//     sub-packages record (the three record formats, byte for byte) and wsq
//     (the FBI's WSQ image codec).
//   - image.go: image files (PNG, JPEG, TIFF, BMP, WSQ) to 8-bit grey.
//   - eval.go: the FVC protocol (EER, FMR100, FMR1000, ZeroFMR) and the
//     quality's error-versus-reject curve, for `biogate finger eval`.
//
// Fingerprint images, masks, minutiae and templates are biometric data:
// never log them. Functions here are pure: they keep no reference to their
// input and are safe for concurrent use on different inputs.
package fingerprint
