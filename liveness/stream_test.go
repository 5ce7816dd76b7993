package liveness

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
)

// relayed is one relayed frame's times and size.
type relayed struct {
	client, arrival time.Time
	w, h            int
}

// phone makes n frames captured every interval (plus up to jitter) whose
// delay on the way is delay(i) (any queue added by the caller).
func phone(n int, interval, jitter time.Duration, delay func(i int) time.Duration, seed uint64) []relayed {
	r := rand.New(rand.NewPCG(seed, 1))
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	out := make([]relayed, n)
	for i := range out {
		c := t0.Add(time.Duration(i)*interval + time.Duration(r.Int64N(int64(jitter)+1)))
		out[i] = relayed{client: c.Truncate(time.Millisecond), arrival: c.Add(delay(i)), w: 640, h: 480}
	}
	// Arrivals keep the order of sending (one TCP stream).
	for i := 1; i < n; i++ {
		if out[i].arrival.Before(out[i-1].arrival) {
			out[i].arrival = out[i-1].arrival
		}
	}
	return out
}

func streamScore(frames []relayed) (float64, bool) {
	s := streamOf(frames)
	return s.Score()
}

func streamOf(frames []relayed) *Stream {
	s := NewStream()
	for i, f := range frames {
		m := &devices.RelayMeta{ClientTime: f.client, ClientSeq: uint32(i + 1), Arrival: f.arrival}
		s.ObserveFrame(&CueFrame{Relay: m, px: frame{w: f.w, h: f.h}})
	}
	return s
}

// TestStreamCue: real phones' timing, on a good network, on a poor one
// (delays of up to 1.5 s in bursts), after a 2.5 s stall, behind a congested uplink (a fifth of
// the stream's bit rate: the queue grows for the whole session), with one
// clock correction, or turned over once, is never decided (genuine stays
// available, high unless reported odd); an injector's made-up times (a
// recording's 10 fps times sent at 15 fps, a clock running 1.5x, times that
// go backwards) decide injection_suspected; a session too short, or not
// relayed, leaves the cue unavailable.
func TestStreamCue(t *testing.T) {
	const n = 150 // 10 s at 15 fps
	iv := time.Second / 15
	r := rand.New(rand.NewPCG(7, 7))
	good := func(int) time.Duration {
		return 30*time.Millisecond + time.Duration(r.Int64N(int64(50*time.Millisecond)))
	}
	poor := func(i int) time.Duration {
		if i%40 < 12 { // every 40 frames a stall of up to 1.5 s
			return 1500*time.Millisecond - time.Duration(i%40)*iv
		}
		return 80*time.Millisecond + time.Duration(r.Int64N(int64(300*time.Millisecond)))
	}
	stall := func(i int) time.Duration { // nothing gets through for 2.5 s, then the queue drains
		if d := 2500*time.Millisecond - time.Duration(i)*iv; d > 0 {
			return d
		}
		return good(i)
	}
	congested := func(i int) time.Duration { return 50*time.Millisecond + time.Duration(i)*4*iv }
	stepped := phone(n, iv, 10*time.Millisecond, good, 3)
	for i := 80; i < n; i++ {
		stepped[i].client = stepped[i].client.Add(-2 * time.Second) // NTP sets the clock back once
	}
	turned := phone(n, iv, 10*time.Millisecond, good, 4)
	for i := 60; i < n; i++ {
		turned[i].w, turned[i].h = 480, 640
	}
	recording := phone(n, iv, 0, good, 5)
	for i := range recording {
		recording[i].client = recording[0].client.Add(time.Duration(i) * time.Second / 10)
	}
	fast := phone(n, iv, 5*time.Millisecond, good, 6)
	for i := range fast {
		fast[i].client = fast[0].client.Add(fast[i].client.Sub(fast[0].client) * 3 / 2)
	}
	shuffled := phone(n, iv, 5*time.Millisecond, good, 8)
	for i := 10; i < n; i += 30 {
		shuffled[i].client, shuffled[i+1].client = shuffled[i+1].client, shuffled[i].client
	}
	for _, tc := range []struct {
		name   string
		frames []relayed
		min    float64 // lowest score allowed; decided below DecideBelow
		max    float64
	}{
		{"good network", phone(n, iv, 10*time.Millisecond, good, 1), 0.8, 0.8},
		{"poor network, bursts", phone(n, iv, 20*time.Millisecond, poor, 2), 0.8, 0.8},
		{"a 2.5 s stall at the start, drained", phone(n, iv, 10*time.Millisecond, stall, 10), 0.8, 0.8},
		{"congested uplink", phone(n, iv, 10*time.Millisecond, congested, 9), 0.3, 0.3},
		{"one clock correction", stepped, 0.3, 0.3},
		{"turned over once", turned, 0.8, 0.8},
		{"a recording's 10 fps times at 15 fps", recording, 0, 0.02},
		{"client clock 1.5x", fast, 0, 0.02},
		{"times going backwards", shuffled, 0, 0.02},
	} {
		s, ok := streamScore(tc.frames)
		drift, between, _ := streamOf(tc.frames).Drift()
		t.Logf("%-40s drift %6.2f s over %5.2f s: score %v", tc.name, drift.Seconds(), between.Seconds(), s)
		if !ok || s < tc.min || s > tc.max {
			t.Errorf("%s: score %v available %v; want in [%v, %v]", tc.name, s, ok, tc.min, tc.max)
		}
	}
	if s, ok := streamScore(phone(30, iv, 0, good, 1)); ok { // 2 s
		t.Errorf("2 s of frames: available, %v", s)
	}
	s := NewStream()
	for range 50 {
		s.ObserveFrame(&CueFrame{px: frame{w: 640, h: 480}})
	}
	if _, ok := s.Score(); ok {
		t.Error("kiosk frames (no relay metadata): available")
	}
	checkCues([]Cue{NewStream(), NewReplay(nil)})
}
