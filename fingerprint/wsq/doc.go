// Package wsq reads and writes WSQ (Wavelet Scalar Quantization) images,
// the FBI's compression for 8-bit grey fingerprint images scanned at
// 500 ppi, in pure Go.
//
// It follows the WSQ Gray-scale Fingerprint Image Compression
// Specification, IAFIS-IC-0110 (V3), and computes what NIST's public
// domain reference (NBIS, imgtools/src/lib/wsq) computes: a 20-node
// wavelet decomposition with the standard's odd-length 9/7 symmetric
// filter pair, 64 subbands of which the first 60 are coded, uniform scalar
// quantization with a dead zone and a bit allocation driven by a target
// bit rate, and Huffman coding of the quantized coefficients in three
// blocks, in a stream of marker segments (SOI, COM, DTT, DQT, SOF, DHT,
// SOB, EOI) much like JPEG's. The encoder writes a NISTCOM comment
// (NIST_COM) with the image size, the resolution and the bit rate.
//
// A decoder conforms when its reconstruction differs from the reference
// one by at most one grey level per pixel (rounding of floating point);
// the tests hold this package to that against a NIST-encoded sample and
// its reference decoding.
//
// Limits. Width and height must each lie in [MinSize, MaxSize] (65 to
// 4096 pixels); other sizes are refused on both sides. The upper bound
// caps what a stream can make the decoder allocate (about 12 bytes per
// pixel); the lower one keeps at least five samples in every line a
// decomposition step filters, below which the reference code reads
// outside its buffers and there is no reference behaviour to follow.
// Decode reads at most MaxInput bytes. Only odd-length (whole-sample
// symmetric) filter pairs are decoded: the standard's filters (9 and 7
// taps) are odd-length and NBIS writes no others; a transform table with
// even-length filters is reported as unsupported. Malformed input gives an
// error that wraps ErrFormat and says what was wrong; it never panics.
//
// Fingerprint images are biometric data: never log them, the bytes that
// encode them, or their NISTCOM comments. Errors from this package carry
// only structural facts (a marker, a length, a count). Functions keep no
// reference to their arguments and are safe for concurrent use.
package wsq
