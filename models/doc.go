// Package models knows biogate's model files and runs them.
//
// The manifest (manifest.tsv, embedded; see Spec, Lookup and Manifest) names
// every model with its file, size, SHA-256, upstream URL and licence. Path
// checks a file against it before any native code reads it, so a missing or
// damaged model is an error (ErrMissing, ErrCorrupt) instead of an OpenCV
// exception that would abort the process. Dir finds the models folder.
// hack/fetch-models.sh fills that folder from the same manifest.
//
// Typed wrappers run the models through OpenCV 4.6: FaceDetector (YuNet,
// through a small C++ shim because gocv v0.31.0 does not wrap
// cv::FaceDetectorYN) and AntiSpoof (MiniFASNet V2 and V1SE, passive
// liveness; a shim too, because gocv's ReadNetFromONNX aborts the process
// on a bad file). The shims catch every C++ exception (shim_errors.h; the Go
// side in native.go) and return it as an error; inputs are validated in Go
// before any native call.
//
// Embedder (MobileFaceNet, through a shim too) aligns the 5 landmarks onto
// the ArcFace 112x112 template with a least-squares similarity fit and gives
// an L2-normalised 128-d embedding of the crop plus its mirror, compared with
// Cosine. It serves the IDEC emulator's reference matcher only, not the
// gateway's decision: its weights were trained on MS-Celeb-1M (see the
// manifest's licence). An Embedding is biometric data.
//
// Wrappers own native memory: call Close exactly when done. They never keep
// a caller's gocv.Mat beyond the call it was passed to.
package models

// Names of the manifest's models, for Lookup and Path.
const (
	// YuNet is the face detector used by FaceDetector.
	YuNet = "yunet"
	// MiniFASNetV2 is the anti-spoofing model fed a 2.7x face crop.
	MiniFASNetV2 = "minifasnet-v2"
	// MiniFASNetV1SE is the anti-spoofing model fed a 4.0x face crop.
	MiniFASNetV1SE = "minifasnet-v1se"
	// MobileFaceNet is the 128-d face embedder (reference matcher only).
	MobileFaceNet = "mobilefacenet"
)
