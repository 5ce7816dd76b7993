package models

// For the external tests (package models_test), which import liveness.

// NewRawDetector is NewFaceDetector without Plausible and the ridge check.
func NewRawDetector(cfg DetectorConfig) (*FaceDetector, error) {
	d, err := NewFaceDetector(cfg)
	if d != nil {
		d.keepImplausible, d.keepRidged = true, true
	}
	return d, err
}

// RidgeShares are the ridge shares of the faces of a raw detector's last
// Detect, in order.
func (d *FaceDetector) RidgeShares() []float32 { return d.shares }

// DetectorWidths are detectorWidths.
var DetectorWidths = detectorWidths

// FingerprintImages is fingerprintImages.
var FingerprintImages = fingerprintImages
