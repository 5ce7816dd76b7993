package gocvcam

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

// openGstT opens a pipeline that must work; videotestsrc and jpegdec come
// from gstreamer1.0-plugins-base and -good (hack/install-deps.sh).
func openGstT(t *testing.T, pipeline string) devices.Camera {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), "gst:"+pipeline)
	if err != nil {
		t.Fatalf("%v (are gstreamer1.0-plugins-base and -good installed? run hack/install-deps.sh)", err)
	}
	t.Cleanup(func() { cam.Close() })
	return cam
}

func TestGstPipelines(t *testing.T) {
	jpeg := filepath.Join(testenv.Shared(t), "data", "faces", "obama_small.jpg")
	tests := []struct {
		name     string
		pipeline string
		frames   int
		w, h     int
		live     bool
	}{
		{"test source", "videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240 ! videoconvert ! appsink", 10, 320, 240, true},
		{"appsink appended", "videotestsrc num-buffers=3 ! video/x-raw,width=160,height=120", 3, 160, 120, true},
		// filesrc makes the pipeline non-live; one JPEG is one frame.
		{"file source", "filesrc location=" + jpeg + " ! jpegdec ! videoconvert ! appsink", 1, 320, 240, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cam := openGstT(t, tc.pipeline)
			info := cam.Info()
			if info.Backend != "gst" || info.ID != tc.pipeline || info.Live != tc.live || info.Width != tc.w || info.Height != tc.h {
				t.Errorf("Info = %+v, want gst %dx%d live=%v", info, tc.w, tc.h, tc.live)
			}
			frames, err := readAll(t, cam)
			if len(frames) != tc.frames {
				t.Errorf("read %d frames, want %d", len(frames), tc.frames)
			}
			checkSequence(t, frames, tc.w, tc.h, tc.pipeline)
			checkEnded(t, cam, err)
		})
	}
}

// TestGstGray: a GRAY8 capture reaches the caller as BGR24 with B=G=R.
func TestGstGray(t *testing.T) {
	cam := openGstT(t, "videotestsrc num-buffers=2 pattern=smpte ! video/x-raw,format=GRAY8,width=64,height=48 ! appsink")
	for i := 0; i < 2; i++ {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Format != devices.BGR24 || f.Width != 64 || f.Height != 48 {
			t.Fatalf("frame %v %dx%d", f.Format, f.Width, f.Height)
		}
		levels := map[byte]bool{}
		for p := 0; p < len(f.Data); p += 3 {
			if b, g, r := f.Data[p], f.Data[p+1], f.Data[p+2]; b != g || g != r {
				t.Fatalf("pixel %d is (%d,%d,%d), not grey", p/3, b, g, r)
			}
			levels[f.Data[p]] = true
		}
		if len(levels) < 3 {
			t.Errorf("%d grey levels in SMPTE bars, want several", len(levels))
		}
		f.Close()
	}
}

func TestGstBadPipelines(t *testing.T) {
	for _, p := range []string{
		"nonexistentelement ! appsink",
		"videotestsrc ! nonexistentelement",
		"   ",
	} {
		cam, err := devices.OpenCamera(context.Background(), "gst:"+p)
		if err == nil {
			cam.Close()
			t.Errorf("%q opened", p)
			continue
		}
		if !errors.Is(err, devices.ErrNoDevice) || !strings.Contains(err.Error(), "gstreamer pipeline failed to start") {
			t.Errorf("%q: got %q, want ErrNoDevice: gstreamer pipeline failed to start", p, err)
		}
	}
}

func TestPipelineParsing(t *testing.T) {
	tests := []struct {
		pipeline string
		first    string
		appsink  bool
		device   string
	}{
		{"videotestsrc ! appsink", "videotestsrc", true, ""},
		{"videotestsrc ! appsink drop=true max-buffers=1", "videotestsrc", true, ""},
		{"videotestsrc ! fakesink name=appsink", "videotestsrc", false, ""},
		{"v4l2src device=/dev/video2 ! videoconvert ! appsink", "v4l2src", true, "/dev/video2"},
		{`v4l2src device="/dev/v4l/by-id/x" ! jpegdec ! appsink`, "v4l2src", true, "/dev/v4l/by-id/x"},
		{"filesrc location=a.mp4 ! decodebin ! videoconvert ! appsink", "filesrc", true, ""},
	}
	for _, tc := range tests {
		tok := pipelineTokens(tc.pipeline)
		if tok[0] != tc.first || slices.Contains(tok, "appsink") != tc.appsink || v4l2srcDevice(tok) != tc.device {
			t.Errorf("%q: tokens %q, device %q", tc.pipeline, tok, v4l2srcDevice(tok))
		}
	}
}
