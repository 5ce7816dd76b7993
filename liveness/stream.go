package liveness

import (
	"time"

	"github.com/biogate/biogate/outcome"
)

// CueStream is the stream cue's name (Stream).
const CueStream = "stream"

// Stream cue parameters: chosen generous to a real phone on a poor network
// (see Stream).
const (
	// StreamMinFrames relayed frames, spanning StreamMinSpan of arrivals,
	// make the cue available.
	StreamMinFrames = 10
	StreamMinSpan   = 3 * time.Second
	// StreamAheadSlack and StreamAheadShare bound how much more time the
	// client's clock may say passed than the gateway saw between the
	// first and the last third of a session: slack plus share of the
	// time between them.
	StreamAheadSlack = 1500 * time.Millisecond
	StreamAheadShare = 0.2
	// StreamBehindSlack and StreamBehindShare: the same for the client's
	// clock falling behind the arrivals (reported, not decided: a
	// congested uplink does that).
	StreamBehindSlack = 5 * time.Second
	StreamBehindShare = 0.5
	// StreamMaxBackward client capture times going backwards between
	// frames are tolerated (one clock correction); more decide.
	StreamMaxBackward = 1
)

// Scores of the stream cue.
const (
	streamConsistent = 0.8  // the client's times agree with the arrivals
	streamOdd        = 0.3  // something a real phone does rarely: reported
	streamForged     = 0.02 // impossible for a real client: decides
)

// Stream is the stream cue, a Decider (injection_suspected): it compares a
// relayed session's client capture times with the gateway's arrival times,
// and follows the frame size. Only relayed frames count (CueFrame.Relay);
// a kiosk session leaves it unavailable.
//
// Let o = arrival - client time for each frame: the client's clock offset
// plus the frame's delay on the way. Delays only add, so the least o of a
// stretch of frames is the offset plus the least delay. A session decides
// injection_suspected when
//
//   - the client's time goes backwards more than StreamMaxBackward times
//     (its sequence numbers increase: the relay enforces it), or
//   - the least o of the last third of the frames is below that of the
//     first third by more than StreamAheadSlack + StreamAheadShare of the
//     time between them: the client says more time passed between its
//     frames than passed between their arrivals. A queue that drains does
//     that only by the least delay it had over the whole first third (at
//     least 3 s of frames, each over 1.5 s late: a stall that long while
//     commands are followed live, then a network fast enough to catch
//     up); a client clock running at its own rate (1.5x is caught over
//     a 10 s session), or times made up for a recording, do it readily.
//
// The opposite, client time falling behind arrivals, is what a congested
// uplink does (the web app's frames queue in the socket; a 3G uplink at 1
// Mbit/s carries a fifth of a 640x480 stream at 15 fps), so beyond
// StreamBehindSlack + StreamBehindShare it is reported (score 0.3), not
// decided; so are evenly spaced client times that arrive in bursts (the
// network's doing) and a frame size that changes more than once (a phone
// turned over changes it once). The cue does nothing against an injector
// that stamps its frames with its real clock: it catches made-up
// timestamps, not injection in general (app attestation is for that).
//
// No temporal-noise cue: the idea that a photo warped anew each frame lacks
// a camera's frame-to-frame sensor noise does not hold on the data we have.
// The high-pass residual between consecutive frames in flat background,
// after global motion compensation (hack/temporal-noise.py), is 0.05-0.36
// grey levels (median per clip) on five of the six shared genuine clips and
// 2.05 on the sixth (codecs flatten static backgrounds), while a still photo
// warped each frame shows 1.4-1.6 with no noise added at all (resampling
// and JPEG make their own residual) and 1.6-3.5 with the generator's noise
// (1-4 levels). An injected stream looks more like a camera than the genuine
// clips do: no threshold would refuse it without refusing them, so no cue
// is built on it.
//
// Weight 0: it decides or reports, it is not fused. Score 0.8 when the
// times agree, 0.3 for the reported oddities, 0.02 when it decides.
type Stream struct {
	offsets  []time.Duration // arrival - client, per relayed frame
	arrivals []time.Time
	lastC    time.Time
	backward int
	w, h     int
	resized  int
}

// NewStream returns a stream cue for one session.
func NewStream() *Stream { return &Stream{} }

// Name is CueStream.
func (s *Stream) Name() string { return CueStream }

// Weight is 0: the cue decides or reports, it is not fused.
func (s *Stream) Weight() float64 { return 0 }

// Reason is injection_suspected.
func (s *Stream) Reason() outcome.Reason { return outcome.ReasonInjectionSuspected }

// DecideBelow is 0.1: made-up times score 0.02.
func (s *Stream) DecideBelow() float64 { return 0.1 }

// SkipFrame does nothing: times are compared across the session.
func (s *Stream) SkipFrame() {}

// Reset forgets the session.
func (s *Stream) Reset() { *s = Stream{} }

// ObserveFrame notes a relayed frame's times and size.
func (s *Stream) ObserveFrame(f *CueFrame) {
	m := f.Relay
	if m == nil || m.ClientTime.IsZero() || m.Arrival.IsZero() {
		return
	}
	if len(s.offsets) > 0 && m.ClientTime.Before(s.lastC) {
		s.backward++
	}
	s.lastC = m.ClientTime
	s.offsets = append(s.offsets, m.Arrival.Sub(m.ClientTime))
	s.arrivals = append(s.arrivals, m.Arrival)
	w, h := f.px.w, f.px.h
	if w == 0 && !f.Image.Empty() {
		w, h = f.Image.Cols(), f.Image.Rows()
	}
	if len(s.offsets) > 1 && (w != s.w || h != s.h) {
		s.resized++
	}
	s.w, s.h = w, h
}

// Drift returns how much the least offset moved from the first third of
// the frames to the last (positive: client time fell behind the arrivals)
// and the arrival time between the thirds' middles; ok is false before the
// cue is available.
func (s *Stream) Drift() (drift, between time.Duration, ok bool) {
	n := len(s.offsets)
	if n < StreamMinFrames || s.arrivals[n-1].Sub(s.arrivals[0]) < StreamMinSpan {
		return 0, 0, false
	}
	k := n / 3
	first, last := minDuration(s.offsets[:k]), minDuration(s.offsets[n-k:])
	return last - first, s.arrivals[n-1-k/2].Sub(s.arrivals[k/2]), true
}

// Score is the session's stream score (see Stream).
func (s *Stream) Score() (float64, bool) {
	drift, between, ok := s.Drift()
	if !ok {
		return 0.5, false
	}
	switch {
	case s.backward > StreamMaxBackward,
		-drift > StreamAheadSlack+time.Duration(StreamAheadShare*float64(between)):
		return streamForged, true
	case drift > StreamBehindSlack+time.Duration(StreamBehindShare*float64(between)), s.resized > 1, s.backward > 0:
		return streamOdd, true
	}
	return streamConsistent, true
}

func minDuration(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}
