package challenge_test

import (
	"math"
	"os"
	"time"

	"github.com/biogate/biogate/liveness/challenge"
)

// Synthetic samples: a person 60 px between the eyes, face box 150 px wide
// centred in a 640x480 frame, moving through keyframes at 30 fps.

const fps = 30

// pose is what a synthetic sample shows; Faces 0 means no face.
type pose struct {
	Yaw, Roll, InterEye float64
	DX                  float64 // box centre offset in px
	Faces               int
}

var neutral = pose{InterEye: 60, Faces: 1}

// key is a pose reached at T seconds; poses in between are interpolated.
type key struct {
	T float64
	P pose
}

// sampleAt builds the sample at t seconds showing p.
func sampleAt(seq uint64, t float64, p pose) challenge.Sample {
	s := challenge.Sample{Seq: seq, Time: epoch.Add(time.Duration(math.Round(t * float64(time.Second)))), Faces: p.Faces}
	if p.Faces > 0 {
		w := 150 * p.InterEye / 60
		s.BoxX, s.BoxY, s.BoxW, s.BoxH = 320+p.DX-w/2, 240-w*0.65, w, w*1.3
		s.Yaw, s.Roll, s.InterEye = p.Yaw, p.Roll, p.InterEye
	}
	return s
}

// script returns samples at 30 fps from keys[0].T to the last key's T,
// interpolating linearly; Faces is taken from the earlier key.
func script(keys ...key) []challenge.Sample {
	var out []challenge.Sample
	n := int(math.Round((keys[len(keys)-1].T - keys[0].T) * fps))
	k := 0
	for i := 0; i <= n; i++ {
		t := keys[0].T + float64(i)/fps
		for k+1 < len(keys)-1 && t >= keys[k+1].T {
			k++
		}
		a, b := keys[k], keys[min(k+1, len(keys)-1)]
		f := 0.0
		if b.T > a.T {
			f = min(1, max(0, (t-a.T)/(b.T-a.T)))
		}
		p := pose{
			Yaw:      a.P.Yaw + f*(b.P.Yaw-a.P.Yaw),
			Roll:     a.P.Roll + f*(b.P.Roll-a.P.Roll),
			InterEye: a.P.InterEye + f*(b.P.InterEye-a.P.InterEye),
			DX:       a.P.DX + f*(b.P.DX-a.P.DX),
			Faces:    a.P.Faces,
		}
		out = append(out, sampleAt(uint64(i), t, p))
	}
	return out
}

// moved returns neutral moved by amount (in threshold units of the default
// config: 1 is the threshold) in cmd's direction, unmirrored.
func moved(cmd challenge.Command, amount float64) pose {
	p := neutral
	switch cmd {
	case challenge.TurnLeft:
		p.Yaw = amount * challenge.DefaultTurnDegrees
	case challenge.TurnRight:
		p.Yaw = -amount * challenge.DefaultTurnDegrees
	case challenge.TiltLeft:
		p.Roll = amount * challenge.DefaultTiltDegrees
	case challenge.TiltRight:
		p.Roll = -amount * challenge.DefaultTiltDegrees
	case challenge.MoveCloser:
		p.InterEye = neutral.InterEye * math.Pow(challenge.DefaultCloserRatio, amount)
	}
	return p
}

// gesture is a movement of amount in cmd's direction and back, starting at
// t: 0.4 s out, 0.2 s held, 0.4 s back.
func gesture(t float64, cmd challenge.Command, amount float64) []key {
	return []key{{t, neutral}, {t + 0.4, moved(cmd, amount)}, {t + 0.6, moved(cmd, amount)}, {t + 1.0, neutral}}
}

// run feeds samples to c and returns every event.
func run(c *challenge.Challenge, samples []challenge.Sample) []challenge.Event {
	var evs []challenge.Event
	for _, s := range samples {
		evs = c.Step(s, evs)
	}
	return evs
}

// kinds lists the events' kinds without progress events.
func kinds(evs []challenge.Event) []string {
	var out []string
	for _, e := range evs {
		switch e.Kind {
		case challenge.KindProgress:
		case challenge.KindIssued, challenge.KindPassed:
			out = append(out, string(e.Kind)+":"+string(e.Command))
		case challenge.KindFailed, challenge.KindAttemptFailed, challenge.KindRefused:
			out = append(out, string(e.Kind)+":"+string(e.Reason))
		default:
			out = append(out, string(e.Kind))
		}
	}
	return out
}

// find returns the first event of kind k, or false.
func find(evs []challenge.Event, k challenge.Kind) (challenge.Event, bool) {
	for _, e := range evs {
		if e.Kind == k {
			return e, true
		}
	}
	return challenge.Event{}, false
}

// secs is t as seconds since epoch.
func secs(t time.Time) float64 { return t.Sub(epoch).Seconds() }

// getenv is os.Getenv, for tests that print on request.
func getenv(k string) string { return os.Getenv(k) }
