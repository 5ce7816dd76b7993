package devices

import "time"

// RelayMeta is what the relay socket knows about a frame beyond its pixels:
// the client's own account of it (untrusted: the client's clock and
// counter) and the gateway's (trusted: measured on arrival). Cues that look
// for injected or replayed streams compare the two.
//
// A backend attaches it with Frame.SetRelay before handing the frame on
// and never changes it afterwards, so consumers may read it from any
// goroutine and keep the pointer beyond the frame's Close.
type RelayMeta struct {
	// ClientTime is when the client says it captured the frame (its
	// clock, millisecond resolution).
	ClientTime time.Time
	// ClientSeq is the client's frame number from the message header.
	// Frame.Seq holds the same number widened; it is kept here as the
	// client sent it.
	ClientSeq uint32
	// Arrival is when the gateway accepted the message (the relay
	// camera's clock). Frame.Time is the same instant for relayed frames.
	Arrival time.Time
	// MessageBytes is the size of the whole binary message, header
	// included, in bytes.
	MessageBytes int
}

// SetRelay attaches m to f: f.Relay then points to a copy of m held in f
// itself, so relayed frames cost no extra allocation. Call it once, before
// the frame is handed on.
func (f *Frame) SetRelay(m RelayMeta) {
	f.relay = m
	f.Relay = &f.relay
}
