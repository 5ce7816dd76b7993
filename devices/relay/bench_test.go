package relay_test

import (
	"context"
	"testing"

	"github.com/biogate/biogate/devices/relay"
)

// BenchmarkPushRead is the relay's cost per frame: validating and copying a
// 40 kB JPEG and handing it to the reader.
func BenchmarkPushRead(b *testing.B) {
	cam, err := relay.New(relay.Config{MaxFPS: 1e12})
	if err != nil {
		b.Fatal(err)
	}
	defer cam.Close()
	msg := message(0, 40_000)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	seq := uint32(0)
	for b.Loop() {
		seq++
		msg[7] = byte(seq) // the header's seq, low byte
		msg[6] = byte(seq >> 8)
		msg[5] = byte(seq >> 16)
		msg[4] = byte(seq >> 24)
		if err := cam.Push(msg); err != nil {
			b.Fatal(err)
		}
		f, err := cam.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// TestPushReadAllocs keeps the per-frame path at one allocation, the Frame:
// buffers come from the pool.
func TestPushReadAllocs(t *testing.T) {
	cam := newCamera(t, relay.Config{MaxFPS: 1e12})
	msgs := make([][]byte, 200)
	for i := range msgs {
		msgs[i] = message(uint32(i), 40_000)
	}
	i := 0
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if err := cam.Push(msgs[i]); err != nil {
			t.Fatal(err)
		}
		i++
		f, err := cam.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	})
	if allocs > 1 {
		t.Errorf("%v allocations per frame, want 1 (the Frame)", allocs)
	}
}
