package challenge_test

import (
	"errors"
	"testing"

	"github.com/biogate/biogate/liveness/challenge"
)

var neutralBase = challenge.Baseline{InterEye: neutral.InterEye}

// feed runs samples through a detector and returns its final state and the
// largest progress seen.
func feed(t *testing.T, d *challenge.Detector, samples []challenge.Sample) (challenge.State, float64) {
	t.Helper()
	var st challenge.State
	var best float64
	for _, s := range samples {
		var p float64
		p, st = d.Update(s)
		if p < 0 || p > 1 {
			t.Fatalf("progress %v out of 0-1", p)
		}
		best = max(best, p)
	}
	return st, best
}

func opposite(c challenge.Command) challenge.Command {
	switch c {
	case challenge.TurnLeft:
		return challenge.TurnRight
	case challenge.TurnRight:
		return challenge.TurnLeft
	case challenge.TiltLeft:
		return challenge.TiltRight
	case challenge.TiltRight:
		return challenge.TiltLeft
	}
	return ""
}

func TestDetectorMovements(t *testing.T) {
	for _, cmd := range challenge.Commands() {
		tests := []struct {
			name     string
			keys     []key
			mirrored bool
			want     challenge.State
		}{
			{"clean movement and return", gesture(0, cmd, 1.6), false, challenge.Passed},
			{"just past the threshold", gesture(0, cmd, 1.05), false, challenge.Passed},
			{"short of the threshold", gesture(0, cmd, 0.9), false, challenge.Armed},
			{"opposite movement", gesture(0, cmd, -1.6), false, challenge.WrongDirection},
			{"out without return", []key{{0, neutral}, {0.5, moved(cmd, 1.6)}, {1.5, moved(cmd, 0.75)}}, false, challenge.Crossed},
			{"mirrored frames, opposite image movement", gesture(0, cmd, -1.6), true, challenge.Passed},
			{"mirrored frames, same image movement", gesture(0, cmd, 1.6), true, challenge.WrongDirection},
		}
		for _, tc := range tests {
			if cmd == challenge.MoveCloser && tc.mirrored {
				// Scale does not mirror: the same movement passes.
				tc.want = map[challenge.State]challenge.State{
					challenge.Passed: challenge.WrongDirection, challenge.WrongDirection: challenge.Passed,
				}[tc.want]
			}
			t.Run(string(cmd)+"/"+tc.name, func(t *testing.T) {
				th := challenge.DefaultThresholds()
				th.Mirrored = tc.mirrored
				d, err := challenge.NewDetector(cmd, neutralBase, th)
				if err != nil {
					t.Fatal(err)
				}
				st, best := feed(t, d, script(tc.keys...))
				if st != tc.want {
					t.Fatalf("state %v, want %v", st, tc.want)
				}
				if st == challenge.Passed || st == challenge.Crossed {
					if best != 1 {
						t.Errorf("best progress %v, want 1", best)
					}
					r, _, ok := d.Peak()
					if !ok || r < 1 {
						t.Errorf("peak %v %v, want >= 1", r, ok)
					}
				}
			})
		}
	}
}

func TestDetectorPeakIsLargestResponse(t *testing.T) {
	samples := script(key{0, neutral}, key{0.3, moved(challenge.TurnLeft, 1.2)}, key{0.5, moved(challenge.TurnLeft, 1.7)},
		key{0.7, moved(challenge.TurnLeft, 1.4)}, key{1.2, neutral})
	d, err := challenge.NewDetector(challenge.TurnLeft, neutralBase, challenge.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := feed(t, d, samples); st != challenge.Passed {
		t.Fatalf("state %v", st)
	}
	_, seq, _ := d.Peak()
	var maxYaw float64
	var maxSeq uint64
	for _, s := range samples {
		if s.Yaw > maxYaw {
			maxYaw, maxSeq = s.Yaw, s.Seq
		}
	}
	if seq != maxSeq {
		t.Errorf("peak seq %d, want %d (yaw %.1f)", seq, maxSeq, maxYaw)
	}
}

// A pose already past a threshold when the command is issued does not
// count: the detector arms only once the signal is back inside.
func TestDetectorHeldPoseDoesNotCount(t *testing.T) {
	held := moved(challenge.TiltLeft, 1.5)
	tests := []struct {
		name string
		keys []key
		want challenge.State
	}{
		{"held and released", []key{{0, held}, {0.5, held}, {1, neutral}}, challenge.Armed},
		{"held, released, done again", append([]key{{0, held}, {0.5, held}}, gesture(1, challenge.TiltLeft, 1.5)...), challenge.Passed},
		{"held opposite, released", []key{{0, moved(challenge.TiltLeft, -1.5)}, {1, neutral}}, challenge.Armed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := challenge.NewDetector(challenge.TiltLeft, neutralBase, challenge.DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			samples := script(tc.keys...)
			if _, st := d.Update(samples[0]); st != challenge.Idle {
				t.Fatalf("first sample: %v, want idle", st)
			}
			if st, _ := feed(t, d, samples); st != tc.want {
				t.Fatalf("state %v, want %v", st, tc.want)
			}
		})
	}
}

// Roll and scale are not read on a head turned past TurnDegrees.
func TestDetectorGatesRollAndScaleOnTurnedHead(t *testing.T) {
	for _, cmd := range []challenge.Command{challenge.TiltLeft, challenge.TiltRight, challenge.MoveCloser} {
		t.Run(string(cmd), func(t *testing.T) {
			d, err := challenge.NewDetector(cmd, neutralBase, challenge.DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			p := moved(cmd, 2)
			p.Yaw = 1.2 * challenge.DefaultTurnDegrees
			if _, ok := d.Response(sampleAt(0, 0, p)); ok {
				t.Errorf("response read on a head turned %.0f degrees", p.Yaw)
			}
			p.Yaw = 0.8 * challenge.DefaultTurnDegrees
			if r, ok := d.Response(sampleAt(0, 0, p)); !ok || r < 1.5 {
				t.Errorf("response %v %v on a head turned %.0f degrees, want about 2", r, ok, p.Yaw)
			}
		})
	}
}

// Turning shortens the eye line by about cos(yaw); move_closer corrects for
// it, so a 20-degree turn at the same distance is not "moving away".
func TestDetectorScaleCorrectsForYaw(t *testing.T) {
	d, err := challenge.NewDetector(challenge.MoveCloser, neutralBase, challenge.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	p := neutral
	p.Yaw = 20
	p.InterEye = neutral.InterEye * 0.9397 // cos 20
	if r, ok := d.Response(sampleAt(0, 0, p)); !ok || r < -0.01 || r > 0.01 {
		t.Errorf("response %v %v, want 0", r, ok)
	}
}

func TestNewDetectorRejects(t *testing.T) {
	bad := challenge.DefaultThresholds()
	bad.ReturnFraction = 1
	tests := []struct {
		name string
		cmd  challenge.Command
		base challenge.Baseline
		th   challenge.Thresholds
	}{
		{"unknown command", "blink", neutralBase, challenge.DefaultThresholds()},
		{"no inter-eye distance", challenge.TurnLeft, challenge.Baseline{}, challenge.DefaultThresholds()},
		{"zero thresholds", challenge.TurnLeft, neutralBase, challenge.Thresholds{}},
		{"return fraction 1", challenge.TurnLeft, neutralBase, bad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := challenge.NewDetector(tc.cmd, tc.base, tc.th); !errors.Is(err, challenge.ErrInvalidDetector) {
				t.Fatalf("err %v, want ErrInvalidDetector", err)
			}
		})
	}
}

// Hysteresis: one sample past the opposite threshold (a misread frame) does
// not fail the command, at any rate; the opposite movement held does, at
// every rate phones send, even when a slow source shows it on two frames.
func TestDetectorWrongDirectionNeedsAHeldMovement(t *testing.T) {
	for _, rate := range rates {
		dt := 1 / rate
		at := func(i int, p pose) challenge.Sample { return sampleAt(uint64(i), float64(i)*dt, p) }
		for _, cmd := range challenge.Commands() {
			// Neutral, one frame misread far the other way, then the
			// movement and its return.
			d, err := challenge.NewDetector(cmd, neutralBase, challenge.DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			seq := []pose{neutral, neutral, moved(cmd, -2), neutral, moved(cmd, 0.6), moved(cmd, 1.3), moved(cmd, 0.4), neutral}
			var st challenge.State
			for i, p := range seq {
				_, st = d.Update(at(i, p))
			}
			if st != challenge.Passed {
				t.Errorf("%s at %.0f fps, one frame misread the other way: %v, want passed", cmd, rate, st)
			}
			// The opposite movement, on as few frames as the rate gives it
			// in 0.2 s (2 at 6 fps).
			d, _ = challenge.NewDetector(cmd, neutralBase, challenge.DefaultThresholds())
			seq = []pose{neutral, neutral}
			for range max(2, int(0.2*rate)) {
				seq = append(seq, moved(cmd, -1.3))
			}
			seq = append(seq, neutral)
			for i, p := range seq {
				_, st = d.Update(at(i, p))
			}
			if st != challenge.WrongDirection {
				t.Errorf("%s at %.0f fps, opposite movement held 0.2 s: %v, want wrong_direction", cmd, rate, st)
			}
		}
	}
}
