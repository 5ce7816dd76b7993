package models

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++11
#include <stdlib.h>
#include "yunet_shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"gocv.io/x/gocv"
)

// Errors from FaceDetector, for errors.Is.
var (
	// ErrInvalidConfig means a DetectorConfig field is out of range.
	ErrInvalidConfig = errors.New("models: invalid detector config")
	// ErrInvalidImage means Detect was given an image it cannot use (empty,
	// closed, or not CV_8UC3). No native code ran.
	ErrInvalidImage = errors.New("models: invalid image")
	// ErrClosed means the detector was used after Close.
	ErrClosed = errors.New("models: closed")
	// ErrNative means OpenCV failed (a C++ exception stopped in the shim);
	// the error's text carries OpenCV's message.
	ErrNative = errors.New("models: opencv failed")
)

// Point is an image position in pixels.
type Point struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
}

// Rect is a box in pixels: top-left corner X, Y and size W, H.
type Rect struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
	W float32 `json:"w"`
	H float32 `json:"h"`
}

// Landmark indices into Face.Landmarks, in YuNet's order. "Right" is the
// subject's right, which appears on the image's left in an unmirrored image.
const (
	RightEye   = 0
	LeftEye    = 1
	NoseTip    = 2
	RightMouth = 3
	LeftMouth  = 4
)

// Face is one detection, in the detected image's pixel coordinates. Box may
// extend past the image's edges.
type Face struct {
	Box       Rect     `json:"box"`
	Landmarks [5]Point `json:"landmarks"` // indexed by RightEye, LeftEye, NoseTip, RightMouth, LeftMouth
	Score     float32  `json:"score"`     // confidence in [0, 1]
}

// DetectorConfig configures NewFaceDetector. Zero values take the defaults.
type DetectorConfig struct {
	// ModelDir is the folder holding the manifest's files ("" = Dir("")).
	ModelDir string
	// ScoreThreshold drops faces scoring below it; in (0, 1], default 0.9.
	ScoreThreshold float32
	// NMSThreshold suppresses boxes overlapping a better one by more than
	// this IoU; in (0, 1], default 0.3.
	NMSThreshold float32
	// TopK is how many candidates are kept before NMS, so at most TopK
	// faces are returned; default 50.
	TopK int
	// MaxWidth in pixels: frames wider than this are downscaled (keeping
	// aspect) before detection; default 320, at least MinDetectorInput.
	// Larger values find smaller faces and cost time. YuNet finds faces
	// 10-300 px wide at its input scale, so the default suits faces up to
	// the full frame width and down to about 1/32 of it.
	MaxWidth int
}

// Defaults for DetectorConfig's zero fields.
const (
	// DefaultScoreThreshold is higher than OpenCV's usual 0.7: real faces in
	// front of a kiosk score above 0.99, and a verification gateway has no
	// use for a doubtful face. It does not keep fingerprint images out (a
	// few FVC2002 images score 0.90-0.98): Face.Plausible and the ridge
	// check (RidgeShareMax) do.
	DefaultScoreThreshold = 0.9
	DefaultNMSThreshold   = 0.3
	DefaultTopK           = 50
	DefaultMaxWidth       = 320
)

// MinDetectorInput is the smallest width and height, in pixels, of the
// network's input (the image after any downscaling to MaxWidth). Smaller
// images are ErrInvalidImage.
const MinDetectorInput = 64

// withDefaults fills zero fields and validates the rest.
func (c DetectorConfig) withDefaults() (DetectorConfig, error) {
	if c.ScoreThreshold == 0 {
		c.ScoreThreshold = DefaultScoreThreshold
	}
	if c.NMSThreshold == 0 {
		c.NMSThreshold = DefaultNMSThreshold
	}
	if c.TopK == 0 {
		c.TopK = DefaultTopK
	}
	if c.MaxWidth == 0 {
		c.MaxWidth = DefaultMaxWidth
	}
	switch {
	case !(c.ScoreThreshold > 0 && c.ScoreThreshold <= 1):
		return c, fmt.Errorf("%w: ScoreThreshold %v not in (0, 1]", ErrInvalidConfig, c.ScoreThreshold)
	case !(c.NMSThreshold > 0 && c.NMSThreshold <= 1):
		return c, fmt.Errorf("%w: NMSThreshold %v not in (0, 1]", ErrInvalidConfig, c.NMSThreshold)
	case c.TopK < 0 || c.TopK > 5000:
		return c, fmt.Errorf("%w: TopK %d not in [1, 5000]", ErrInvalidConfig, c.TopK)
	case c.MaxWidth < MinDetectorInput:
		return c, fmt.Errorf("%w: MaxWidth %d below %d", ErrInvalidConfig, c.MaxWidth, MinDetectorInput)
	}
	return c, nil
}

// FaceDetector finds faces with YuNet (OpenCV's cv::FaceDetectorYN). It owns
// native memory: call Close when done. Not safe for concurrent use; use one
// detector per goroutine.
type FaceDetector struct {
	y   *C.biogate_yunet // nil after Close
	cfg DetectorConfig
	buf []float32 // raw result rows, reused across calls
	// share is biogate_ridge_share's result: a field, not a local, so that
	// passing its address to C allocates nothing per call.
	share *C.float
	// Test knobs: keep the detections that Plausible (keepImplausible) or
	// the ridge check (keepRidged) rejects, so tests measure what each
	// takes away on its own.
	keepImplausible, keepRidged bool
	// shares, with keepRidged, holds the ridge share of each face of the
	// last Detect, in order.
	shares []float32
}

// NewFaceDetector verifies the YuNet model in cfg.ModelDir with Path (so a
// missing or damaged file is ErrMissing or ErrCorrupt before OpenCV reads
// it), validates cfg (ErrInvalidConfig) and loads the model (ErrNative if
// OpenCV refuses it). The caller must Close the detector.
//
// The first detector fixes glibc's malloc mmap and trim thresholds for the
// whole process (8 MB, 32 MB): without that, OpenCV's DNN returns and
// re-faults its scratch memory on every frame, doubling the per-frame cost.
func NewFaceDetector(cfg DetectorConfig) (*FaceDetector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dir := cfg.ModelDir // "" is Dir("") for Path
	path, err := Path(dir, YuNet)
	if err != nil {
		return nil, err
	}
	return newFaceDetectorUnchecked(path, cfg)
}

// newFaceDetectorUnchecked loads the model at path without checking it
// against the manifest; cfg must have been through withDefaults. Only
// NewFaceDetector and tests of the shim's exception handling call it.
func newFaceDetectorUnchecked(path string, cfg DetectorConfig) (*FaceDetector, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr *C.char
	y := C.biogate_yunet_new(cpath, C.float(cfg.ScoreThreshold), C.float(cfg.NMSThreshold), C.int(cfg.TopK), &cerr)
	if y == nil {
		return nil, fmt.Errorf("%w: loading %s: %s", ErrNative, YuNet, takeMessage(cerr))
	}
	return &FaceDetector{
		y:     y,
		cfg:   cfg,
		buf:   make([]float32, cfg.TopK*C.BIOGATE_YUNET_FIELDS),
		share: new(C.float),
	}, nil
}

// Detect finds faces in img (CV_8UC3 BGR, non-empty; anything else is
// ErrInvalidImage, checked in Go before any native call), at least
// MinDetectorInput pixels a side after downscaling. Images wider than
// MaxWidth are downscaled for the network; results are in img's pixel
// coordinates, in no guaranteed order. They are appended to dst[:0] and
// returned, so a caller that passes the previous slice back allocates
// nothing per frame. img stays the caller's: Detect reads it during the call
// and keeps no reference. Errors wrap ErrInvalidImage, ErrClosed or
// ErrNative; the detector stays usable after an error. Blocks for the
// inference (milliseconds). Not safe for concurrent use.
func (d *FaceDetector) Detect(img gocv.Mat, dst []Face) ([]Face, error) {
	dst, d.shares = dst[:0], d.shares[:0]
	if d.y == nil {
		return dst, ErrClosed
	}
	// Checked in this order so no call reaches OpenCV with a nil Mat.
	if img.Ptr() == nil {
		return dst, fmt.Errorf("%w: closed Mat", ErrInvalidImage)
	}
	if img.Empty() {
		return dst, fmt.Errorf("%w: empty Mat", ErrInvalidImage)
	}
	if t := img.Type(); t != gocv.MatTypeCV8UC3 {
		return dst, fmt.Errorf("%w: type %v, want CV_8UC3 (BGR)", ErrInvalidImage, t)
	}
	cols, rows := img.Cols(), img.Rows()
	if cols <= 0 || rows <= 0 {
		return dst, fmt.Errorf("%w: %dx%d is not a 2-D image", ErrInvalidImage, cols, rows)
	}
	w, h := cols, rows
	if w > d.cfg.MaxWidth {
		w = d.cfg.MaxWidth
		h = int(math.Round(float64(rows) * float64(w) / float64(cols)))
	}
	if w < MinDetectorInput || h < MinDetectorInput {
		// OpenCV 4.6's YuNet throws below 63 px a side; refuse here instead.
		return dst, fmt.Errorf("%w: %dx%d (%dx%d at the network) is smaller than %dx%d",
			ErrInvalidImage, cols, rows, w, h, MinDetectorInput, MinDetectorInput)
	}
	return d.detectAt(img, w, h, dst)
}

// detectAt runs the network on img resized to w x h (img must have passed
// Detect's checks; w and h are not checked, so tests can make OpenCV throw)
// and appends the faces, mapped to img's coordinates, to dst.
func (d *FaceDetector) detectAt(img gocv.Mat, w, h int, dst []Face) ([]Face, error) {
	n := int(C.biogate_yunet_detect(d.y, unsafe.Pointer(img.Ptr()), C.int(w), C.int(h),
		(*C.float)(unsafe.Pointer(&d.buf[0])), C.int(d.cfg.TopK)))
	if n > d.cfg.TopK {
		// TopK bounds NMS's output, so this is defensive: grow and copy again.
		d.buf = make([]float32, n*C.BIOGATE_YUNET_FIELDS)
		n = int(C.biogate_yunet_copy(d.y, (*C.float)(unsafe.Pointer(&d.buf[0])), C.int(n)))
	}
	if n < 0 {
		return dst, fmt.Errorf("%w: detecting faces: %s", ErrNative, d.lastError())
	}
	sx, sy := float32(img.Cols())/float32(w), float32(img.Rows())/float32(h)
	// The ridge check measures the image the network saw (in w x h
	// coordinates): the detector's own resized copy when it resized, so
	// a large face costs no second resize.
	seen := unsafe.Pointer(img.Ptr())
	if w != img.Cols() || h != img.Rows() {
		seen = nil
	}
	for i := range n {
		r := d.buf[i*C.BIOGATE_YUNET_FIELDS : (i+1)*C.BIOGATE_YUNET_FIELDS]
		f := Face{
			Box:   Rect{X: r[0] * sx, Y: r[1] * sy, W: r[2] * sx, H: r[3] * sy},
			Score: r[14],
		}
		for j := range f.Landmarks {
			f.Landmarks[j] = Point{X: r[4+2*j] * sx, Y: r[5+2*j] * sy}
		}
		if !d.keepImplausible && !f.Plausible(img.Cols(), img.Rows()) {
			continue
		}
		share, err := d.ridgeShare(seen, Rect{X: r[0], Y: r[1], W: r[2], H: r[3]})
		if err != nil {
			return dst, err
		}
		if d.keepRidged {
			d.shares = append(d.shares, share)
		} else if share >= RidgeShareMax {
			continue
		}
		dst = append(dst, f)
	}
	return dst, nil
}

// RidgeShareMax is the ridge check's bound: Detect drops a detection when
// at least this share of its box's textured blocks are ridge blocks
// (parallel lines of alternating gradient: see yunet_shim.h), measured
// on the image the network saw. At the code's detector widths (models
// TestRidgeShares) every YuNet detection in a shared fingerprint image
// scores 0.75-1, every face in the shared photos and clips at most 0.44,
// also under liveness's colour, low light, noise, blur, JPEG and
// downscaling transforms. The bound sits between the two, and the check is
// independent of Plausible's geometry: either alone keeps every shared
// fingerprint out.
const RidgeShareMax = 0.6

// ridgeShare is biogate_ridge_share of box in img, a cv::Mat* that has
// passed Detect's checks, or nil for the network's resized input of the
// last detection.
func (d *FaceDetector) ridgeShare(img unsafe.Pointer, box Rect) (float32, error) {
	x, y := math.Floor(float64(box.X)), math.Floor(float64(box.Y))
	w, h := math.Ceil(float64(box.X+box.W))-x, math.Ceil(float64(box.Y+box.H))-y
	if C.biogate_ridge_share(d.y, img, C.int(x), C.int(y), C.int(w), C.int(h), d.share) != 0 {
		return 0, fmt.Errorf("%w: ridge check: %s", ErrNative, d.lastError())
	}
	return float32(*d.share), nil
}

// Limits of Plausible. A face's eyes are about a third of its height above
// its mouth (0.30-0.42 of YuNet's box on every shared photo and clip
// frame); ridge patterns YuNet mistakes for faces put them 0.54-0.74
// apart (FVC2002). Landmarks may stray a little past the box on a turned
// head.
const (
	plausibleBoxMargin   = 0.1
	plausibleEyeMouthMax = 0.5
)

// Plausible reports whether f has a face's geometry in a cols x rows image:
// every landmark inside the image and inside the box (widened by a tenth
// each side), the nose between the eyes and the mouth along the face's
// axis, and the eyes at most half the box's height above the mouth.
// Detect drops detections that are not: YuNet scores some fingerprint
// images above 0.9, with landmarks in no face's places.
func (f Face) Plausible(cols, rows int) bool {
	b := f.Box
	mx, my := plausibleBoxMargin*b.W, plausibleBoxMargin*b.H
	if !(b.W > 0 && b.H > 0) {
		return false
	}
	for _, p := range f.Landmarks {
		if !(p.X >= 0 && p.Y >= 0 && p.X < float32(cols) && p.Y < float32(rows)) {
			return false
		}
		if p.X < b.X-mx || p.X > b.X+b.W+mx || p.Y < b.Y-my || p.Y > b.Y+b.H+my {
			return false
		}
	}
	l := f.Landmarks
	ex, ey := (l[RightEye].X+l[LeftEye].X)/2, (l[RightEye].Y+l[LeftEye].Y)/2
	ax, ay := (l[RightMouth].X+l[LeftMouth].X)/2-ex, (l[RightMouth].Y+l[LeftMouth].Y)/2-ey
	d2 := ax*ax + ay*ay
	if d2 <= 0 || d2 > (plausibleEyeMouthMax*b.H)*(plausibleEyeMouthMax*b.H) {
		return false
	}
	t := ((l[NoseTip].X-ex)*ax + (l[NoseTip].Y-ey)*ay) / d2
	return t > 0 && t < 1
}

func (d *FaceDetector) lastError() string { return lastMessage(C.biogate_yunet_error(d.y)) }

// Close frees the detector's native memory. It is idempotent and always
// returns nil; Detect after Close returns ErrClosed. Not safe to call
// concurrently with Detect.
func (d *FaceDetector) Close() error {
	if d.y != nil {
		C.biogate_yunet_free(d.y)
		d.y = nil
	}
	return nil
}

// SetNumThreads sets how many threads OpenCV uses for every later call in
// the process (cv::setNumThreads): n > 0 that many, 0 runs sequentially,
// n < 0 restores OpenCV's default. Process-wide; call it at start-up.
func SetNumThreads(n int) {
	if cerr := C.biogate_set_num_threads(C.int(n)); cerr != nil {
		// cv::setNumThreads does not fail in practice; nothing to act on.
		takeMessage(cerr) // frees it
	}
}

// QuietNativeLogs lowers OpenCV's log level to errors only, so that its
// warnings (which can name files, devices and pipelines) do not reach the
// daemon's stderr. Call it once at start-up; it is safe at any time.
func QuietNativeLogs() { C.biogate_quiet_logs() }
