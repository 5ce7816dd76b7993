//go:build matprofile

package gocvcam

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
)

// TestNoMatLeak counts gocv Mats (go test -tags matprofile): opening,
// reading whole sources, failing to open and closing leave none behind.
func TestNoMatLeak(t *testing.T) {
	c := steadyClip(t)
	mp4 := readShared(t, c.mp4)
	before := gocv.MatProfile.Count()

	for _, spec := range []string{
		"file:" + c.mp4,
		"file:" + c.mjpeg,
		"gst:videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240 ! videoconvert ! appsink",
		"gst:videotestsrc num-buffers=2 ! video/x-raw,format=GRAY8,width=64,height=48 ! appsink",
	} {
		cam, err := devices.OpenCamera(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readAll(t, cam)
		if len(frames) == 0 || !errors.Is(err, devices.ErrEndOfStream) {
			t.Errorf("%s: %d frames, then %v", spec, len(frames), err)
		}
		if got := gocv.MatProfile.Count(); got <= before {
			t.Errorf("%s: %d Mats while open, want more than %d: is the profile counting?", spec, got, before)
		}
		cam.Close()
		cam.Close()
	}
	// A clip FFmpeg opens but cannot decode fails after its Mats exist.
	for _, spec := range []string{
		"file:" + writeFile(t, "cut.mp4", mp4[:10<<10]),
		"file:" + writeFile(t, "clip.mp4", []byte("text")),
		"gst:nonexistentelement ! appsink",
	} {
		if cam, err := devices.OpenCamera(context.Background(), spec); err == nil {
			cam.Close()
			t.Errorf("%s opened", spec)
		}
	}

	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats before, %d after:\n%s", before, after, b.String())
	}
}
