package models

import (
	"syscall"
	"testing"

	"gocv.io/x/gocv"
)

// minorFaults is the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// A regression test for the heap churn fixed in the shim (tune_malloc):
// without fixed malloc thresholds, a 640x480 frame (320x240 detector input)
// faults about 420 pages back in on every detection.
func TestDetectDoesNotRefaultScratchMemory(t *testing.T) {
	det := newDetector(t, DetectorConfig{})
	img := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer img.Close()
	var faces []Face
	var err error
	for range 5 { // warm up
		if faces, err = det.Detect(img, faces); err != nil {
			t.Fatal(err)
		}
	}
	const n = 100
	before := minorFaults(t)
	for range n {
		if faces, err = det.Detect(img, faces); err != nil {
			t.Fatal(err)
		}
	}
	if per := float64(minorFaults(t)-before) / n; per > 20 {
		t.Errorf("%.1f minor page faults per detection at 640x480, want under 20 (about 420 without the malloc tuning)", per)
	}
}
