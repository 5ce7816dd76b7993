package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// TestShimErrorsSayWhatThrew: the shared catch in shim_errors.h tells a
// cv::Exception ("opencv: ") from a std::exception ("c++: ") and keeps its
// message, for the constructors (a malloc'd message, takeMessage) and for
// calls on a live object (its last error, lastMessage) alike.
func TestShimErrorsSayWhatThrew(t *testing.T) {
	yunet, err := Path(testenv.Models(t), YuNet)
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "not-onnx.onnx")
	if err := os.WriteFile(text, []byte("this is not an ONNX model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := DetectorConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	det := newDetector(t, DetectorConfig{})
	img := readPhoto(t, "obama_small.jpg")

	for _, tc := range []struct {
		name string
		run  func() error
		want string // what the message holds after ErrNative's text
	}{
		{"detector, not ONNX (cv::Exception at load)", func() error {
			_, err := newFaceDetectorUnchecked(text, cfg)
			return err
		}, "loading " + YuNet + ": opencv: OpenCV("},
		{"embedder, not ONNX (cv::Exception at load)", func() error {
			_, err := newEmbedderUnchecked(text, false)
			return err
		}, "loading " + MobileFaceNet + ": opencv: OpenCV("},
		{"embedder, another model (std::runtime_error at load)", func() error {
			_, err := newEmbedderUnchecked(yunet, false)
			return err
		}, "loading " + MobileFaceNet + ": c++: unexpected output shape"},
		{"anti-spoofing, another model (std::runtime_error at load)", func() error {
			v2, err := Path(testenv.Models(t), MiniFASNetV2)
			if err != nil {
				t.Fatal(err)
			}
			_, err = newAntiSpoofUnchecked([nets]string{v2, yunet})
			return err
		}, "loading " + MiniFASNetV1SE + ": c++: unexpected output shape"},
		{"detector, 0x0 input (cv::Exception on a live object)", func() error {
			_, err := det.detectAt(img, 0, 0, nil)
			return err
		}, "detecting faces: opencv: OpenCV("},
	} {
		err := tc.run()
		if !errors.Is(err, ErrNative) {
			t.Errorf("%s: %v, want ErrNative", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), unknownFailure) {
			t.Errorf("%s: %q, want it to hold %q", tc.name, err, tc.want)
		}
	}
}
