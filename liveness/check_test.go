package liveness

import (
	"context"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
)

// realModels loads the real face detector and MiniFASNet, closed when the
// test ends.
func realModels(t testing.TB) (*models.FaceDetector, *models.AntiSpoof) {
	t.Helper()
	dir := testenv.Models(t)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { det.Close() })
	spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spoof.Close() })
	return det, spoof
}

// newChecker is a Checker on the real models; cfg's OnEvent is kept.
func newChecker(t testing.TB, cfg Config) *Checker {
	t.Helper()
	det, spoof := realModels(t)
	c, err := New(cfg, det, spoof)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pose is how the scripted camera shows its photo: an in-plane rotation in
// OpenCV's sense (positive turns counter-clockwise on screen) and a zoom.
type pose struct{ angle, zoom float64 }

// answers maps each command to the movement that performs it, as a
// sequence of poses at 15 fps: out to the extreme, a short hold, and back.
// A positive roll (the subject's left eye lower) is a clockwise turn on
// screen, a negative OpenCV angle: tilt_left.
func answers(wrong bool) map[challenge.Command][]pose {
	sweep := func(to pose) []pose {
		var ps []pose
		for i := 0; i <= 8; i++ {
			f := float64(i) / 8
			ps = append(ps, pose{to.angle * f, 1 + (to.zoom-1)*f})
		}
		for range 3 {
			ps = append(ps, to)
		}
		for i := 8; i >= 0; i-- {
			f := float64(i) / 8
			ps = append(ps, pose{to.angle * f, 1 + (to.zoom-1)*f})
		}
		return ps
	}
	left, right, closer := pose{-22, 1}, pose{22, 1}, pose{0, 1.45}
	if wrong {
		left, right, closer = right, left, pose{0, 0.7}
	}
	return map[challenge.Command][]pose{
		challenge.TiltLeft:   sweep(left),
		challenge.TiltRight:  sweep(right),
		challenge.MoveCloser: sweep(closer),
	}
}

// scriptCam is a camera that answers each issued command with a real
// photo, rotated or zoomed the way the person would move: the fake part is
// only the choreography, every pixel comes from a real photograph. It runs
// at a nominal 15 fps on synthetic time (so the run is deterministic), and
// ends after max frames. Info.Live is false: no frame is dropped.
type scriptCam struct {
	photo  gocv.Mat
	centre [2]float64 // face centre in the photo
	scale  float64    // photo to frame, so the face is a third of the width
	moves  map[challenge.Command][]pose
	max    int
	lead   []pose // shown first, before the idle pose

	mu      sync.Mutex
	pending challenge.Command // issued, not yet answered
	script  []pose
	seq     uint64
	start   time.Time
	closed  bool
}

func newScriptCam(t testing.TB, photo string, moves map[challenge.Command][]pose, max int) *scriptCam {
	t.Helper()
	img := gocv.IMRead(photo, gocv.IMReadColor)
	if img.Empty() {
		t.Fatalf("cannot read %s", photo)
	}
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	faces, err := det.Detect(img, nil)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%s: %d faces, %v", photo, len(faces), err)
	}
	b := faces[0].Box
	c := &scriptCam{
		photo:  img,
		centre: [2]float64{float64(b.X + b.W/2), float64(b.Y + b.H/2)},
		scale:  640.0 / 3 / float64(b.W),
		moves:  moves,
		max:    max,
		start:  time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
	}
	t.Cleanup(func() { img.Close() })
	return c
}

// onEvent is the checker's OnEvent: an issued command is answered next.
func (c *scriptCam) onEvent(e challenge.Event) {
	if e.Kind != challenge.KindIssued {
		return
	}
	c.mu.Lock()
	c.pending = e.Command
	c.mu.Unlock()
}

func (c *scriptCam) Info() devices.Info {
	return devices.Info{Backend: "script", ID: "script", Width: 640, Height: 480, FPS: 15}
}

func (c *scriptCam) Read(ctx context.Context) (*devices.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, devices.ErrClosed
	}
	if int(c.seq) >= c.max {
		return nil, devices.ErrEndOfStream
	}
	if c.pending != "" {
		c.script = append(c.script[:0], c.moves[c.pending]...)
		c.pending = ""
	}
	p := pose{0, 1}
	if len(c.lead) > 0 {
		p, c.lead = c.lead[0], c.lead[1:]
	} else if len(c.script) > 0 {
		p, c.script = c.script[0], c.script[1:]
	}
	m := c.render(p)
	defer m.Close()
	data := append([]byte(nil), m.ToBytes()...)
	f := devices.NewFrame(c.seq, c.start.Add(time.Duration(c.seq)*time.Second/15), "script", devices.BGR24, 640, 480, 640*3, data, nil)
	c.seq++
	return f, nil
}

// render draws the photo so that its face sits at the frame's centre, turned
// and zoomed by p.
func (c *scriptCam) render(p pose) gocv.Mat {
	s := c.scale * p.zoom
	th := p.angle * math.Pi / 180
	a, b := s*math.Cos(th), s*math.Sin(th)
	cx, cy := c.centre[0], c.centre[1]
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	m.SetDoubleAt(0, 0, a)
	m.SetDoubleAt(0, 1, b)
	m.SetDoubleAt(0, 2, 320-(a*cx+b*cy))
	m.SetDoubleAt(1, 0, -b)
	m.SetDoubleAt(1, 1, a)
	m.SetDoubleAt(1, 2, 240-(-b*cx+a*cy))
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(c.photo, &out, m, image.Pt(640, 480), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out
}

func (c *scriptCam) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

var tiltsAndCloser = []challenge.Command{challenge.TiltLeft, challenge.TiltRight, challenge.MoveCloser}

// A camera that answers every randomly drawn command with the movement that
// performs it passes, and the result holds one frame per command.
func TestSessionPassesWhenEveryCommandIsPerformed(t *testing.T) {
	cam := newScriptCam(t, shared(t, "faces/obama.jpg"), answers(false), 900)
	var events []challenge.Event
	chk := newChecker(t, Config{
		Challenge: challenge.Config{Offered: tiltsAndCloser},
		OnEvent:   func(e challenge.Event) { events = append(events, e); cam.onEvent(e) },
	})
	res, err := chk.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Challenge.Passed || !res.Challenge.Random || res.Challenge.Attempts != 1 {
		t.Fatalf("challenge %+v; want passed on the first attempt with random commands\nevents: %v", res.Challenge, kinds(events))
	}
	if res.Verdict != Live {
		t.Errorf("verdict %s %v (passive %+v); want live", res.Verdict, res.Reasons, res.Passive)
	}
	if len(res.Frames) != 3 {
		t.Fatalf("%d command frames, want 3", len(res.Frames))
	}
	seen := map[challenge.Command]bool{}
	for _, f := range res.Frames {
		seen[f.Command] = true
		m, err := gocv.IMDecode(f.JPEG, gocv.IMReadColor)
		if err != nil || m.Empty() || m.Cols() != 640 {
			t.Fatalf("%s frame does not decode", f.Command)
		}
		m.Close()
	}
	if len(seen) != 3 {
		t.Errorf("commands %v not distinct", res.Frames)
	}
	if res.Capture == nil || res.Capture.Best == nil {
		t.Error("no best frame for matching")
	}
}

// A still photo performs nothing: every command times out and the third
// failed attempt is a refusal.
func TestStillPhotoIsRefused(t *testing.T) {
	cam := newScriptCam(t, shared(t, "faces/obama.jpg"), map[challenge.Command][]pose{}, 2000)
	chk := newChecker(t, Config{Challenge: challenge.Config{Offered: tiltsAndCloser}, OnEvent: cam.onEvent})
	res, err := chk.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Challenge.Refused || res.Challenge.Attempts != 3 || res.Verdict != Refused {
		t.Fatalf("verdict %s, challenge %+v; want refused after 3 attempts", res.Verdict, res.Challenge)
	}
	for i, att := range res.Challenge.Commands {
		if last := att[len(att)-1]; last.Reason != challenge.ReasonTimeout {
			t.Errorf("attempt %d ended with %s, want timeout", i+1, last.Reason)
		}
	}
	if len(res.Frames) != 0 {
		t.Errorf("%d command frames kept for a refused session", len(res.Frames))
	}
}

// The opposite movement fails the command, every attempt.
func TestWrongMovementFails(t *testing.T) {
	cam := newScriptCam(t, shared(t, "faces/obama.jpg"), answers(true), 2000)
	chk := newChecker(t, Config{Challenge: challenge.Config{Offered: tiltsAndCloser}, OnEvent: cam.onEvent})
	res, err := chk.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Refused {
		t.Fatalf("verdict %s; want refused", res.Verdict)
	}
	for i, att := range res.Challenge.Commands {
		if last := att[len(att)-1]; last.Reason != challenge.ReasonWrongDirection {
			t.Errorf("attempt %d ended with %s, want wrong_direction", i+1, last.Reason)
		}
	}
}

// The attack segments of the minivision clip are spoofs, whatever the
// challenge did; its live segment is not.
func TestAttackSegmentsAreSpoofs(t *testing.T) {
	clip := shared(t, "video/minivision/minivision_live_replay_print.mp4")
	for _, c := range []struct {
		name     string
		from, to time.Duration
		want     Verdict
	}{
		{"live", 0, 1100 * time.Millisecond, Undecided},
		{"replay", 1130 * time.Millisecond, 2030 * time.Millisecond, Spoof},
		{"print", 2070 * time.Millisecond, 2930 * time.Millisecond, Spoof},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw, err := devices.OpenCamera(context.Background(), "file:"+clip)
			if err != nil {
				t.Fatal(err)
			}
			cam, err := Segment(raw, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			defer cam.Close()
			res, err := newChecker(t, Config{}).Run(context.Background(), cam)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != c.want {
				t.Errorf("verdict %s %v (passive %+v), want %s", res.Verdict, res.Reasons, res.Passive, c.want)
			}
			if c.want == Undecided && res.Passive.Decision != DecisionLive {
				t.Errorf("live segment: passive %s, want live", res.Passive.Decision)
			}
		})
	}
}

func TestSegmentPlaysOnlyItsFrames(t *testing.T) {
	raw, err := devices.OpenCamera(context.Background(), "file:"+shared(t, "video/minivision/minivision_live_replay_print.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	cam, err := Segment(raw, time.Second, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	var seqs []uint64
	for {
		f, err := cam.Read(context.Background())
		if err != nil {
			if err != devices.ErrEndOfStream {
				t.Fatal(err)
			}
			break
		}
		seqs = append(seqs, f.Seq)
		f.Close()
	}
	// 30 fps: frames 30 to 59.
	if len(seqs) < 29 || len(seqs) > 31 || seqs[0] < 29 || seqs[0] > 31 {
		t.Errorf("segment [1s, 2s) gave frames %v", seqs)
	}
	if _, err := Segment(raw, 2*time.Second, time.Second); err == nil {
		t.Error("an empty segment was accepted")
	}
}

func kinds(es []challenge.Event) []string {
	var out []string
	for _, e := range es {
		if e.Kind != challenge.KindProgress {
			out = append(out, string(e.Kind)+":"+string(e.Command)+":"+string(e.Reason))
		}
	}
	return out
}

// A person whose head is tilted when the session starts is told to look
// straight at the camera (turn_to_camera, which the capture quality alone
// does not say at this tilt) and gets no baseline, and so no command, until
// the face is upright; then the commands pass.
func TestTiltedHeadWaitsWithAHint(t *testing.T) {
	cam := newScriptCam(t, shared(t, "faces/obama.jpg"), answers(false), 900)
	for range 45 { // 3 s tilted by 14 degrees on screen: roll about 11
		cam.lead = append(cam.lead, pose{-14, 1})
	}
	var mu sync.Mutex
	var hinted, qualitySaid, hintedUpright int
	var baselineAt uint64
	cfg := Config{Challenge: challenge.Config{Offered: tiltsAndCloser}}
	cfg.OnEvent = func(e challenge.Event) {
		if e.Kind == challenge.KindBaseline && baselineAt == 0 {
			baselineAt = e.Seq
		}
		cam.onEvent(e)
	}
	cfg.Capture.OnFrame = func(r capture.FrameReport) {
		mu.Lock()
		defer mu.Unlock()
		turn := slices.Contains(r.Hints, capture.HintTurnToCamera)
		switch {
		case r.Seq < 45 && turn:
			hinted++
			if r.Quality.Roll.Score < 50 || r.Quality.Yaw.Score < 50 || r.Quality.Pitch.Score < 50 {
				qualitySaid++
			}
		case r.Seq >= 45 && baselineAt == 0 && turn:
			hintedUpright++
		}
	}
	chk := newChecker(t, cfg)
	res, err := chk.Run(context.Background(), cam)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("turn_to_camera on %d of the 45 tilted frames (%d from the quality alone), %d upright ones; baseline at frame %d; verdict %s", hinted, qualitySaid, hintedUpright, baselineAt, res.Verdict)
	// Once upright, the hint stops when the baseline window's median is
	// frontal again: within half the window (0.3 s, 5 frames).
	if hinted < 30 || qualitySaid > 0 || hintedUpright > 5 {
		t.Errorf("turn_to_camera on %d tilted frames (%d from the quality), %d upright ones before the baseline; want it on the tilted ones from the challenge", hinted, qualitySaid, hintedUpright)
	}
	if baselineAt < 45 || !res.Challenge.Passed {
		t.Errorf("baseline at frame %d, challenge %+v; want the baseline once upright, then passed", baselineAt, res.Challenge)
	}
}
