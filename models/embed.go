package models

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++11
#include <stdlib.h>
#include "embed_shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"gocv.io/x/gocv"
)

// ErrInvalidLandmarks means Embed or Aligned was given a face whose
// landmarks cannot define an alignment: a NaN or infinite coordinate, all
// five (nearly) at one point, spread far wider than the image, or their
// centre outside the image. No native code ran.
var ErrInvalidLandmarks = errors.New("models: invalid face landmarks")

// AlignedSide is the width and height, in pixels, of the aligned face crop
// the embedding network sees (and Aligned writes).
const AlignedSide = 112

const (
	embedDim  = C.BIOGATE_EMBED_DIM
	embedSide = C.BIOGATE_EMBED_SIDE
)

// The shim's sizes must be Go's: these fail to compile otherwise.
var (
	_ [AlignedSide - embedSide]struct{}
	_ [embedSide - AlignedSide]struct{}
	_ [len(Embedding{}) - embedDim]struct{}
	_ [embedDim - len(Embedding{})]struct{}
)

// alignTemplate is where the 5-point alignment puts the landmarks in the
// AlignedSide x AlignedSide crop, in YuNet's order (RightEye, LeftEye,
// NoseTip, RightMouth, LeftMouth): the ArcFace template MobileFaceNet was
// trained on.
var alignTemplate = [5][2]float64{
	{38.2946, 51.6963},
	{73.5318, 51.5014},
	{56.0252, 71.7366},
	{41.5493, 92.3655},
	{70.7299, 92.2041},
}

// minLandmarkSpread is the smallest RMS distance, in pixels, of a face's
// landmarks from their centre that Embed accepts. The template's is 23.3
// px, and a face 10 px wide (YuNet's smallest) about 3; below 1 px the
// landmarks are degenerate (a zero Face, say), not a face.
const minLandmarkSpread = 1.0

// EmbedderConfig configures NewEmbedder.
type EmbedderConfig struct {
	// ModelDir is the folder holding the manifest's files ("" = Dir("")).
	ModelDir string
}

// Embedding is a face's L2-normalised 128-d MobileFaceNet embedding. It is
// biometric data: store it as such, and never log it or return it to a
// client.
type Embedding [128]float32

// Embedder aligns a face to the standard 112x112 5-point template and
// computes its MobileFaceNet embedding, for a reference matcher (the IDEC
// emulator), not for the gateway's own decision. It owns native memory:
// call Close when done. Not safe for concurrent use; use one per goroutine.
type Embedder struct {
	e *C.biogate_embed // nil after Close
	// Passed to the shim on every call, so Embed allocates nothing in Go.
	m   [6]C.double           // image to crop, row-major 2x3
	out [2 * embedDim]C.float // f(crop), then f(mirrored crop)
}

// NewEmbedder verifies the MobileFaceNet model in cfg.ModelDir with Path
// (so a missing or damaged file is ErrMissing or ErrCorrupt before OpenCV
// reads it) and loads it (ErrNative if OpenCV refuses it or its output is
// not 128 floats; the loading happens in a shim that turns OpenCV's
// exceptions into errors). Loading runs the network a few times, to check
// its output and whether it takes the crop and its mirror as one batch of 2
// (the shared model does; otherwise Embed takes two forwards). The caller
// must Close the result. Takes tens of milliseconds.
func NewEmbedder(cfg EmbedderConfig) (*Embedder, error) {
	dir := cfg.ModelDir // "" is Dir("") for Path
	path, err := Path(dir, MobileFaceNet)
	if err != nil {
		return nil, err
	}
	return newEmbedderUnchecked(path, true)
}

// newEmbedderUnchecked loads the model at path without checking it against
// the manifest, feeding the crop and its mirror as one batch if allowBatch
// and the model takes it. Only NewEmbedder and tests (of the shim's
// exception handling, of the two-forward path) call it.
func newEmbedderUnchecked(path string, allowBatch bool) (*Embedder, error) {
	batch := C.int(0)
	if allowBatch {
		batch = 1
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr *C.char
	e := C.biogate_embed_new(cpath, batch, &cerr)
	if e == nil {
		return nil, fmt.Errorf("%w: loading %s: %s", ErrNative, MobileFaceNet, takeMessage(cerr))
	}
	return &Embedder{e: e}, nil
}

// Embed computes the embedding of face in img. img is the whole frame,
// CV_8UC3 BGR and non-empty (else ErrInvalidImage); face is a detection in
// img's pixel coordinates, as FaceDetector returns it, of which only the
// landmarks are used: they must be finite, neither all at one point nor
// spread far wider than img, and centred inside img (else
// ErrInvalidLandmarks). Both are checked in Go before any native call.
//
// As the model's reference code does, Embed fits a similarity transform
// (rotation, uniform scale, translation; least squares over the 5
// landmarks) onto the ArcFace template, warps img to the AlignedSide square
// crop (bilinear, black outside img), and feeds the crop and its horizontal
// mirror as RGB, /255, ImageNet mean and std, NCHW. The embedding is the
// sum of the two outputs, L2-normalised.
//
// img stays the caller's: Embed reads it during the call and keeps no
// reference. Errors wrap ErrInvalidImage, ErrInvalidLandmarks, ErrClosed or
// ErrNative; the Embedder stays usable after an error. Blocks for the
// inference (about 20 ms on one core: one forward of a batch of 2);
// allocates nothing in Go. Not safe for concurrent use.
func (e *Embedder) Embed(img gocv.Mat, face Face) (Embedding, error) {
	if e.e == nil {
		return Embedding{}, ErrClosed
	}
	if err := e.prepare(img, face); err != nil {
		return Embedding{}, err
	}
	return e.run(img)
}

// Aligned writes the AlignedSide x AlignedSide BGR crop that Embed would
// feed the network (before the mirror and the normalisation) into dst, for
// tests and debugging. dst must be an open Mat the caller owns; it is
// reallocated as needed. img and face are checked as for Embed; a nil or
// closed dst is ErrInvalidImage. Errors wrap ErrInvalidImage,
// ErrInvalidLandmarks, ErrClosed or ErrNative. Not safe for concurrent use.
func (e *Embedder) Aligned(img gocv.Mat, face Face, dst *gocv.Mat) error {
	if e.e == nil {
		return ErrClosed
	}
	if dst == nil || dst.Ptr() == nil {
		return fmt.Errorf("%w: dst is nil or a closed Mat", ErrInvalidImage)
	}
	if err := e.prepare(img, face); err != nil {
		return err
	}
	if C.biogate_embed_align(e.e, unsafe.Pointer(img.Ptr()), &e.m[0], unsafe.Pointer(dst.Ptr())) != 0 {
		return fmt.Errorf("%w: aligning: %s", ErrNative, e.lastError())
	}
	return nil
}

// prepare checks img and face and sets e.m to the alignment.
func (e *Embedder) prepare(img gocv.Mat, face Face) error {
	if err := checkBGR(img); err != nil {
		return err
	}
	s, err := alignTo(face.Landmarks, img.Cols(), img.Rows())
	if err != nil {
		return err
	}
	e.m = [6]C.double{
		C.double(s.a), C.double(-s.b), C.double(s.tx),
		C.double(s.b), C.double(s.a), C.double(s.ty),
	}
	return nil
}

// run embeds img with the alignment in e.m (neither checked, so tests can
// make OpenCV throw).
func (e *Embedder) run(img gocv.Mat) (Embedding, error) {
	if C.biogate_embed_run(e.e, unsafe.Pointer(img.Ptr()), &e.m[0], &e.out[0]) != 0 {
		return Embedding{}, fmt.Errorf("%w: embedding: %s", ErrNative, e.lastError())
	}
	// f(crop) + f(mirror), normalised in float64.
	var sum [embedDim]float64
	var norm float64
	for i := range sum {
		sum[i] = float64(e.out[i]) + float64(e.out[embedDim+i])
		norm += sum[i] * sum[i]
	}
	norm = math.Sqrt(norm)
	if !(norm > 0) || math.IsInf(norm, 0) {
		return Embedding{}, fmt.Errorf("%w: embedding: network output is zero or not finite", ErrNative)
	}
	var emb Embedding
	for i, v := range sum {
		emb[i] = float32(v / norm)
	}
	return emb, nil
}

// batched tells whether runs take one forward of a batch of 2.
func (e *Embedder) batched() bool { return C.biogate_embed_batched(e.e) != 0 }

func (e *Embedder) lastError() string { return lastMessage(C.biogate_embed_error(e.e)) }

// Close frees the network's native memory. It is idempotent and always
// returns nil; Embed and Aligned after Close return ErrClosed. Not safe to
// call concurrently with them.
func (e *Embedder) Close() error {
	if e.e != nil {
		C.biogate_embed_free(e.e)
		e.e = nil
	}
	return nil
}

// Cosine returns the cosine similarity of two embeddings from Embed, in
// [-1, 1]: their dot product, since both are normalised (accumulated in
// float64 and clamped, so rounding cannot leave the range). Higher is more
// alike; where to draw the line is the caller's decision.
func Cosine(a, b Embedding) float32 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return float32(max(-1, min(1, dot)))
}

// similarity maps (x, y) to (a*x - b*y + tx, b*x + a*y + ty): a rotation by
// atan2(b, a), a uniform scale by hypot(a, b), then a translation.
type similarity struct{ a, b, tx, ty float64 }

func (s similarity) apply(x, y float64) (float64, float64) {
	return s.a*x - s.b*y + s.tx, s.b*x + s.a*y + s.ty
}

// alignTo checks landmarks for a cols x rows image and fits the similarity
// taking them onto alignTemplate. Errors wrap ErrInvalidLandmarks; their
// text carries no coordinates (a face's geometry is biometric data).
func alignTo(landmarks [5]Point, cols, rows int) (similarity, error) {
	var src [5][2]float64
	var cx, cy float64
	for i, p := range landmarks {
		x, y := float64(p.X), float64(p.Y)
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return similarity{}, fmt.Errorf("%w: landmark %d is not finite", ErrInvalidLandmarks, i)
		}
		src[i] = [2]float64{x, y}
		cx += x / 5
		cy += y / 5
	}
	if !(cx >= 0 && cx < float64(cols) && cy >= 0 && cy < float64(rows)) {
		return similarity{}, fmt.Errorf("%w: their centre is outside the %dx%d image", ErrInvalidLandmarks, cols, rows)
	}
	s, spread := fitSimilarity(src, alignTemplate)
	if !(spread >= minLandmarkSpread) {
		return similarity{}, fmt.Errorf("%w: %.2g px apart (RMS from their centre), need at least %g",
			ErrInvalidLandmarks, spread, float64(minLandmarkSpread))
	}
	// A face about four times the image's size. Much further, warpAffine's
	// fixed-point source coordinates overflow and it samples garbage.
	if spread > float64(max(cols, rows)) {
		return similarity{}, fmt.Errorf("%w: spread wider than the %dx%d image", ErrInvalidLandmarks, cols, rows)
	}
	return s, nil
}

// fitSimilarity returns the similarity s minimising the sum over i of
// |s(src[i]) - dst[i]|^2, in closed form (Umeyama 1991 in 2-D, which is
// what skimage's SimilarityTransform.estimate computes), and the RMS
// distance of src from its centre. With a, b free, a*x - b*y is any
// rotation with any non-negative scale, and the problem is linear in (a, b):
// no SVD, and no reflection to rule out. When the spread is 0 the fit is
// undefined and s is the zero value.
func fitSimilarity(src, dst [5][2]float64) (s similarity, spread float64) {
	const n = float64(len(src))
	var sx, sy, dx, dy float64
	for i := range src {
		sx += src[i][0] / n
		sy += src[i][1] / n
		dx += dst[i][0] / n
		dy += dst[i][1] / n
	}
	var ss, dot, cross float64
	for i := range src {
		px, py := src[i][0]-sx, src[i][1]-sy
		qx, qy := dst[i][0]-dx, dst[i][1]-dy
		ss += px*px + py*py
		dot += px*qx + py*qy
		cross += px*qy - py*qx
	}
	spread = math.Sqrt(ss / n)
	if !(ss > 0) {
		return similarity{}, spread
	}
	s.a, s.b = dot/ss, cross/ss
	// The centres correspond: t = mean(dst) - R*mean(src).
	s.tx = dx - (s.a*sx - s.b*sy)
	s.ty = dy - (s.b*sx + s.a*sy)
	return s, spread
}
