package challenge_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/biogate/biogate/liveness/challenge"
)

// person is a simulated person in front of the camera, fed to a Challenge
// at 30 fps. After each issued command it reacts (0.3 s later) with the
// gesture act chooses; perturb may change any sample's pose or drop the
// sample (t is seconds since the start, issued the time of the attempt's
// first issue, or -1).
type person struct {
	act     func(e challenge.Event) (amount float64, ok bool)
	perturb func(t, issued float64, p *pose) (deliver bool)
	tick    bool // call Tick with each sample's time instead of Step when a sample is dropped
	// busy: a sample not delivered was numbered by the source and dropped
	// by the gateway (the next sample's Seq skips it); otherwise the
	// source sent nothing and Seq goes on without a hole.
	busy bool
}

// obedient does every command with a clear movement.
func obedient(challenge.Event) (float64, bool) { return 1.6, true }

// idle never moves.
func idle(challenge.Event) (float64, bool) { return 0, false }

// live runs the person for up to seconds, or until the challenge is done.
func (pr person) live(c *challenge.Challenge, seconds float64) []challenge.Event {
	var evs []challenge.Event
	var move []key
	issued := -1.0
	var seq uint64
	for i := 0; float64(i)/fps <= seconds && !c.Done(); i++ {
		t := float64(i) / fps
		p := neutral
		if len(move) > 0 && t >= move[0].T && t <= move[len(move)-1].T {
			p = toPose(script(move...)[int((t-move[0].T)*fps+0.5)])
		}
		deliver := true
		if pr.perturb != nil {
			deliver = pr.perturb(t, issued, &p)
		}
		n := len(evs)
		if deliver || pr.busy {
			seq++
		}
		s := sampleAt(seq, t, p)
		if deliver {
			evs = c.Step(s, evs)
		} else if pr.tick {
			evs = c.Tick(s.Time, evs)
		}
		for _, e := range evs[n:] {
			switch e.Kind {
			case challenge.KindIssued:
				if e.Index == 0 {
					issued = t
				}
				move = nil
				if amount, ok := pr.act(e); ok {
					move = gesture(t+0.3, e.Command, amount)
				}
			case challenge.KindAttemptFailed:
				move, issued = nil, -1
			}
		}
	}
	return evs
}

// toPose recovers the pose a synthetic sample was built from.
func toPose(s challenge.Sample) pose {
	return pose{Yaw: s.Yaw, Roll: s.Roll, InterEye: s.InterEye, DX: s.BoxX + s.BoxW/2 - 320, Faces: s.Faces}
}

var fixed = []challenge.Command{challenge.TurnLeft, challenge.TiltRight, challenge.MoveCloser}

func newChallenge(t *testing.T, cfg challenge.Config) *challenge.Challenge {
	t.Helper()
	c, err := challenge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChallengeSucceeds(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed})
	evs := person{act: obedient}.live(c, 20)
	want := []string{"baseline",
		"issued:turn_left", "passed:turn_left",
		"issued:tilt_right", "passed:tilt_right",
		"issued:move_closer", "passed:move_closer",
		"succeeded"}
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	if !c.Done() {
		t.Error("not done")
	}
	r := c.Result()
	if !r.Passed || r.Refused || r.Attempts != 1 || r.Random || len(r.Commands) != 1 || len(r.Commands[0]) != 3 {
		t.Fatalf("result %+v", r)
	}
	// Every passed event names a peak frame the caller was told to keep,
	// and the result records the same frame.
	peaks := map[uint64]bool{}
	var i int
	var last float64 // the last progress reported for the current command
	for _, e := range evs {
		switch e.Kind {
		case challenge.KindIssued:
			last = 0
		case challenge.KindProgress:
			if e.Peak {
				peaks[e.Seq] = true
			} else if d := e.Progress - last; d > -0.05 && d < 0.05 {
				t.Errorf("progress event %.3f after %.3f, not a peak", e.Progress, last)
			}
			last = e.Progress
			if e.Attempt != 1 || e.Command != fixed[e.Index] {
				t.Errorf("progress event %+v", e)
			}
		case challenge.KindPassed:
			if !peaks[e.Seq] {
				t.Errorf("passed %s names seq %d, which no progress event marked as a peak", e.Command, e.Seq)
			}
			cr := r.Commands[0][i]
			if cr.Command != e.Command || cr.Outcome != challenge.OutcomePassed || cr.PeakSeq != e.Seq || cr.Peak < 1.5 {
				t.Errorf("command result %+v for %+v", cr, e)
			}
			i++
		}
	}
	// The baseline takes 0.6 s of steady face; each gesture takes 1.3 s
	// from its issue to its return.
	b, _ := find(evs, challenge.KindBaseline)
	if got := secs(b.Time); got < 0.6 || got > 0.7 {
		t.Errorf("baseline at %.2f s, want 0.6", got)
	}
	if n := len(c.Step(sampleAt(9999, 100, neutral), nil)); n != 0 {
		t.Errorf("%d events after done", n)
	}
}

func TestChallengeFailures(t *testing.T) {
	// perturb helpers: times are seconds after the first command's issue.
	during := func(from, to float64, f func(p *pose)) func(t, issued float64, p *pose) bool {
		return func(t, issued float64, p *pose) bool {
			if issued >= 0 && t >= issued+from && t < issued+to {
				f(p)
			}
			return true
		}
	}
	gap := func(from, to float64) func(t, issued float64, p *pose) bool {
		return func(t, issued float64, p *pose) bool {
			return !(issued >= 0 && t >= issued+from && t < issued+to)
		}
	}
	noFace := func(p *pose) { *p = pose{} }
	tests := []struct {
		name   string
		person person
		want   challenge.Reason // "" = the attempt passes
		at     float64          // seconds after the issue the failure is expected (0: don't check)
	}{
		{"no movement: timeout", person{act: idle}, challenge.ReasonTimeout, 6},
		{"no frames: timeout by Tick", person{act: idle, perturb: gap(1, 100), tick: true}, challenge.ReasonTimeout, 6},
		{"opposite movement", person{act: func(challenge.Event) (float64, bool) { return -1.6, true }}, challenge.ReasonWrongDirection, 0},
		{"movement too small", person{act: func(challenge.Event) (float64, bool) { return 0.8, true }}, challenge.ReasonTimeout, 6},
		{"face lost 0.8 s", person{act: obedient, perturb: during(0.2, 1.0, noFace)}, challenge.ReasonFaceLost, 0.2 + 0.6},
		{"face lost one frame", person{act: obedient, perturb: during(0.5, 0.5+1.0/fps, noFace)}, "", 0},
		{"face lost 0.5 s", person{act: obedient, perturb: during(0.5, 1.0, noFace)}, "", 0},
		{"no frames for 0.8 s", person{act: obedient, perturb: gap(0.2, 1.0)}, challenge.ReasonFaceLost, 1.0},
		{"frames not analysed for 0.8 s", person{act: obedient, perturb: gap(0.2, 1.0), busy: true}, "", 0},
		{"second face one frame", person{act: obedient, perturb: during(0.5, 0.5+1.0/fps, func(p *pose) { p.Faces = 2 })}, challenge.ReasonMultipleFaces, 0.5},
		{"box jumps 0.7 widths", person{act: obedient, perturb: during(0.5, 100, func(p *pose) { p.DX = 0.7 * 150 })}, challenge.ReasonFaceJump, 0.5},
		{"box moves 0.4 widths once", person{act: obedient, perturb: during(0.5, 100, func(p *pose) { p.DX = 0.4 * 150 })}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChallenge(t, challenge.Config{Fixed: fixed, Attempts: 1})
			evs := tc.person.live(c, 15)
			issued, _ := find(evs, challenge.KindIssued)
			failed, isFailed := find(evs, challenge.KindFailed)
			if tc.want == "" {
				if isFailed {
					t.Fatalf("failed: %+v; events %v", failed, kinds(evs))
				}
				if !c.Result().Passed {
					t.Fatalf("did not pass; events %v", kinds(evs))
				}
				return
			}
			if !isFailed || failed.Reason != tc.want {
				t.Fatalf("events %v, want a failure %s", kinds(evs), tc.want)
			}
			if got := kinds(evs)[len(kinds(evs))-3:]; !slices.Equal(got, []string{"failed:" + string(tc.want), "attempt_failed:" + string(tc.want), "refused:" + string(tc.want)}) {
				t.Errorf("last events %v", got)
			}
			if d := secs(failed.Time) - secs(issued.Time); tc.at > 0 && (d < tc.at-0.01 || d > tc.at+2.0/fps) {
				t.Errorf("failed %.3f s after the issue, want %.3f", d, tc.at)
			}
			r := c.Result()
			if r.Passed || !r.Refused || r.Commands[0][failed.Index].Reason != tc.want || r.Commands[0][failed.Index].Outcome != challenge.OutcomeFailed {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// A face that keeps moving across the frame, 0.2 box widths a frame, is
// followed.
func TestChallengeFollowsMovingFace(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed, Attempts: 1})
	evs := person{act: obedient, perturb: func(t, issued float64, p *pose) bool {
		p.DX = 30 * math.Abs(float64(int(t*fps+0.5)%20-10)) // 0.2 widths a frame, back and forth
		return true
	}}.live(c, 20)
	if !c.Result().Passed {
		t.Fatalf("events %v", kinds(evs))
	}
}

func TestChallengeRefusesAfterThreeFailures(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed, CommandTimeout: 2 * time.Second})
	evs := person{act: idle}.live(c, 60)
	var want []string
	for range 3 {
		want = append(want, "baseline", "issued:turn_left", "failed:timeout", "attempt_failed:timeout")
	}
	want = append(want, "refused:timeout")
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	if !c.Done() {
		t.Fatal("not done")
	}
	r := c.Result()
	if r.Passed || !r.Refused || r.Attempts != 3 || len(r.Commands) != 3 {
		t.Fatalf("result %+v", r)
	}
	for i, e := range evs {
		if e.Kind == challenge.KindBaseline && i > 0 && evs[i-1].Kind == challenge.KindAttemptFailed && e.Attempt != evs[i-1].Attempt+1 {
			t.Errorf("attempt %d follows attempt %d", e.Attempt, evs[i-1].Attempt)
		}
	}
	if n := len(c.Step(sampleAt(1e6, 1000, neutral), nil)); n != 0 {
		t.Errorf("%d events after refusal", n)
	}
	if n := len(c.Tick(epoch.Add(time.Hour), nil)); n != 0 {
		t.Errorf("%d events from Tick after refusal", n)
	}
}

// A failed attempt is followed by a fresh baseline, and a later attempt can
// pass.
func TestChallengeSecondAttemptPasses(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed})
	evs := person{act: func(e challenge.Event) (float64, bool) {
		if e.Attempt == 1 && e.Index == 1 {
			return -1.6, true
		}
		return 1.6, true
	}}.live(c, 30)
	want := []string{"baseline", "issued:turn_left", "passed:turn_left", "issued:tilt_right", "failed:wrong_direction", "attempt_failed:wrong_direction",
		"baseline", "issued:turn_left", "passed:turn_left", "issued:tilt_right", "passed:tilt_right", "issued:move_closer", "passed:move_closer", "succeeded"}
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	r := c.Result()
	if !r.Passed || r.Attempts != 2 || len(r.Commands[0]) != 2 || len(r.Commands[1]) != 3 {
		t.Fatalf("result %+v", r)
	}
}

// Before the first command nothing costs an attempt: the challenge waits
// for one steady face.
func TestChallengeBaselineWaits(t *testing.T) {
	tests := []struct {
		name    string
		perturb func(t, issued float64, p *pose) bool
		from    float64 // earliest expected baseline, seconds
	}{
		{"steady from the start", nil, 0.6},
		{"no face for 2 s", func(t, _ float64, p *pose) bool {
			if t < 2 {
				*p = pose{}
			}
			return true
		}, 2.6},
		{"two faces for 2 s", func(t, _ float64, p *pose) bool {
			if t < 2 {
				p.Faces = 2
			}
			return true
		}, 2.6},
		{"face lost at 0.5 s for 0.7 s", func(t, _ float64, p *pose) bool {
			if t >= 0.5 && t < 1.2 {
				*p = pose{}
			}
			return true
		}, 1.2 + 0.6},
		{"head sweeping for 2 s", func(t, _ float64, p *pose) bool {
			if t < 2 {
				p.Yaw = 40 * (t - 1)
			}
			return true
		}, 2.6 - 12.5/40},
		// The eye distance grows by CloserRatio in 0.6 s until 1.6 s.
		{"walking closer for 2 s", func(t, _ float64, p *pose) bool {
			if t < 2 {
				p.InterEye = 30 + 15*t
			}
			return true
		}, 1.6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChallenge(t, challenge.Config{Fixed: fixed})
			evs := person{act: idle, perturb: tc.perturb}.live(c, 4)
			b, ok := find(evs, challenge.KindBaseline)
			if !ok {
				t.Fatalf("no baseline; events %v", kinds(evs))
			}
			if got := secs(b.Time); got < tc.from-0.01 || got > tc.from+0.6 {
				t.Errorf("baseline at %.2f s, want from %.2f", got, tc.from)
			}
			if b.Attempt != 1 || c.Result().Attempts != 1 {
				t.Errorf("attempt %d, result %+v", b.Attempt, c.Result())
			}
		})
	}
}

// A sample whose time is not after the previous one is ignored.
func TestChallengeIgnoresStaleSamples(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed, Attempts: 1})
	evs := run(c, script(key{0, neutral}, key{1, neutral}))
	if _, ok := find(evs, challenge.KindIssued); !ok {
		t.Fatalf("not issued: %v", kinds(evs))
	}
	two := sampleAt(1000, 0.5, neutral)
	two.Faces = 2
	if got := c.Step(two, nil); len(got) != 0 {
		t.Errorf("stale sample caused %v", kinds(got))
	}
	same := sampleAt(1001, 1, neutral)
	same.Faces = 2
	if got := c.Step(same, nil); len(got) != 0 {
		t.Errorf("sample at the same time caused %v", kinds(got))
	}
}

// Step appends to the slice it is given.
func TestChallengeAppends(t *testing.T) {
	c := newChallenge(t, challenge.Config{Fixed: fixed})
	evs := []challenge.Event{{Kind: "marker"}}
	for _, s := range script(key{0, neutral}, key{1, neutral}) {
		evs = c.Step(s, evs)
	}
	if evs[0].Kind != "marker" || len(evs) != 3 {
		t.Fatalf("events %v", kinds(evs))
	}
}

func TestChallengeMirrored(t *testing.T) {
	for _, mirrored := range []bool{false, true} {
		t.Run(fmt.Sprint("mirrored=", mirrored), func(t *testing.T) {
			c := newChallenge(t, challenge.Config{Fixed: fixed, Mirrored: mirrored, Attempts: 1})
			// The person moves the image's way: right for unmirrored
			// frames, the other way for mirrored ones (scale is the same).
			evs := person{act: func(e challenge.Event) (float64, bool) {
				if mirrored && e.Command != challenge.MoveCloser {
					return -1.6, true
				}
				return 1.6, true
			}}.live(c, 20)
			if !c.Result().Passed {
				t.Fatalf("events %v", kinds(evs))
			}
			c = newChallenge(t, challenge.Config{Fixed: fixed, Mirrored: !mirrored, Attempts: 1})
			evs = person{act: func(e challenge.Event) (float64, bool) {
				if mirrored {
					return -1.6, true
				}
				return 1.6, true
			}}.live(c, 20)
			if f, _ := find(evs, challenge.KindFailed); f.Reason != challenge.ReasonWrongDirection || f.Command != challenge.TurnLeft {
				t.Fatalf("events %v, want turn_left to fail wrong_direction", kinds(evs))
			}
		})
	}
}

// On a slow source the person may have turned well past the threshold by
// the first frame after the command: that counts, because the detector
// starts from the frame the command was issued on (frontal). A pose held
// from before the command still does not.
func TestChallengeMovementOnTheFirstFrameAfterTheIssue(t *testing.T) {
	const dt = 1.0 / 6
	var samples []challenge.Sample
	add := func(p pose, n int) {
		for range n {
			samples = append(samples, sampleAt(uint64(len(samples)), float64(len(samples))*dt, p))
		}
	}
	add(neutral, 5) // the baseline, 0.67 s; turn_left issued on the last
	add(moved(challenge.TurnLeft, 1.4), 2)
	add(neutral, 2)
	c := newChallenge(t, challenge.Config{Fixed: []challenge.Command{challenge.TurnLeft}, Attempts: 1})
	if evs := run(c, samples); !slices.Equal(kinds(evs), []string{"baseline", "issued:turn_left", "passed:turn_left", "succeeded"}) {
		t.Errorf("turn on the first frame after the issue: events %v", kinds(evs))
	}
	// turn_right after turn_left: the head is still turned left when
	// turn_left passes at 0.7 of the threshold; turn_right is then issued on
	// that frame, and the swing back counts only once past neutral.
	samples = samples[:0]
	add(neutral, 5)
	add(moved(challenge.TurnLeft, 1.4), 2)
	add(moved(challenge.TurnLeft, 0.6), 2) // turn_left passes; turn_right issued
	add(moved(challenge.TurnRight, 1.3), 2)
	add(neutral, 2)
	c = newChallenge(t, challenge.Config{Fixed: []challenge.Command{challenge.TurnLeft, challenge.TurnRight}, Attempts: 1})
	if evs := run(c, samples); !c.Result().Passed {
		t.Errorf("turn_left then turn_right at 6 fps: events %v", kinds(evs))
	}
}

// A person holding a turn when the attempt starts gets no baseline: the
// challenge waits (Waiting, for the turn_to_camera hint) until the face is
// frontal, so the return to frontal cannot read as a movement. Before, the
// held turn became the baseline: the return passed turn_left unasked and
// failed turn_right wrong_direction.
func TestChallengeWaitsForAFrontalBaseline(t *testing.T) {
	for _, held := range []pose{moved(challenge.TurnRight, 0.6), moved(challenge.TurnLeft, 0.8), moved(challenge.TiltLeft, 0.8)} {
		keys := []key{{0, held}, {1.5, held}, {1.7, neutral}, {2.5, neutral}}
		keys = append(keys, gesture(2.6, challenge.TurnRight, 1.5)...)
		keys = append(keys, key{4, neutral})
		samples := script(keys...)
		c := newChallenge(t, challenge.Config{Fixed: []challenge.Command{challenge.TurnRight}, Attempts: 1})
		var evs []challenge.Event
		var waited, waitedFrontal bool
		for _, s := range samples {
			evs = c.Step(s, evs)
			if secs(s.Time) < 1.5 {
				waited = waited || c.Waiting()
			} else if secs(s.Time) > 2.3 {
				waitedFrontal = waitedFrontal || c.Waiting()
			}
		}
		b, ok := find(evs, challenge.KindBaseline)
		if !ok || secs(b.Time) < 1.7 || !c.Result().Passed {
			t.Errorf("held yaw %+.0f roll %+.0f: events %v (baseline at %.2f s), want the baseline once frontal and turn_right passed", held.Yaw, held.Roll, kinds(evs), secs(b.Time))
		}
		if !waited || waitedFrontal {
			t.Errorf("held yaw %+.0f roll %+.0f: Waiting %v while turned, %v once frontal", held.Yaw, held.Roll, waited, waitedFrontal)
		}
	}
}
