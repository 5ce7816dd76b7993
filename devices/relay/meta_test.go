package relay_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
)

// TestFrameRelayMeta sends real frames of the steady clip with client times
// that drift from the gateway's clock and sequence numbers with gaps, and
// checks that each frame read carries its own message's metadata, intact:
// the client's capture time and number as sent, the gateway's arrival time
// and the size of the whole message. The metadata outlives the frame's
// Close (the buffer is recycled, the metadata is not).
func TestFrameRelayMeta(t *testing.T) {
	jpegs := clipJPEGs(t, 4)
	clock := newManualClock()
	cam := newCamera(t, relay.Config{ID: "phone", Clock: clock.Now, Queue: 4})
	type sent struct {
		seq     uint32
		client  time.Time
		arrival time.Time
		size    int
		jpeg    []byte
	}
	var want []sent
	client := time.UnixMilli(1_700_000_000_123) // the phone's clock, years behind
	for i, seq := range []uint32{7, 8, 11, 4_000_000_000} {
		client = client.Add(time.Duration(30+i*7) * time.Millisecond)
		msg := relay.AppendMessage(nil, relay.Header{Seq: seq, CaptureMillis: client.UnixMilli()}, jpegs[i])
		want = append(want, sent{seq, client, clock.Now(), len(msg), jpegs[i]})
		if err := cam.Push(msg); err != nil {
			t.Fatalf("push %d: %v", seq, err)
		}
		clear(msg)
		clock.Advance(time.Duration(40+i*11) * time.Millisecond)
	}
	var metas []*devices.RelayMeta
	for _, w := range want {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m := f.Relay
		if m == nil {
			t.Fatalf("frame %d has no relay metadata", f.Seq)
		}
		if !bytes.Equal(f.Data, w.jpeg) {
			t.Errorf("frame %d: data differs from the JPEG sent", w.seq)
		}
		if m.ClientSeq != w.seq || f.Seq != uint64(w.seq) || !m.ClientTime.Equal(w.client) || !m.Arrival.Equal(w.arrival) ||
			!f.Time.Equal(w.arrival) || m.MessageBytes != w.size || m.MessageBytes != relay.HeaderLen+len(w.jpeg) {
			t.Errorf("frame %d: meta %+v (frame seq %d time %v), want seq %d client %v arrival %v size %d",
				w.seq, *m, f.Seq, f.Time, w.seq, w.client, w.arrival, w.size)
		}
		f.Close()
		metas = append(metas, m)
	}
	// Buffers are reused by later frames; the metadata stays each frame's.
	for i, seq := range []uint32{4_000_000_001, 4_000_000_002} {
		msg := relay.AppendMessage(nil, relay.Header{Seq: seq, CaptureMillis: 1}, jpegs[i])
		if err := cam.Push(msg); err != nil {
			t.Fatal(err)
		}
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Relay == metas[i] || f.Relay.ClientSeq != seq || f.Relay.ClientTime.UnixMilli() != 1 {
			t.Errorf("frame %d shares or garbles metadata: %+v", seq, *f.Relay)
		}
		f.Close()
	}
	for i, w := range want {
		if m := metas[i]; m.ClientSeq != w.seq || !m.ClientTime.Equal(w.client) || m.MessageBytes != w.size {
			t.Errorf("metadata of frame %d changed after Close: %+v", w.seq, *m)
		}
	}
}
