package relay_test

import (
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/devices/relay"
)

// fakeSOF is SOI and a frame header for one 64x48 grey component.
var fakeSOF = []byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 48, 0x00, 64, 0x01, 0x01, 0x11, 0x00}

// fakeJPEG returns n >= 17 bytes framed as a JPEG (SOI, a 64x48 frame
// header, EOI) with the middle filled with fill. It does not decode; the
// relay does not decode.
func fakeJPEG(n int, fill byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = fill
	}
	copy(b, fakeSOF)
	b[n-2], b[n-1] = 0xFF, 0xD9
	return b
}

// message returns a frame message for seq with a fake JPEG of n bytes.
func message(seq uint32, n int) []byte {
	return relay.AppendMessage(nil, relay.Header{Seq: seq, CaptureMillis: 1_700_000_000_000 + int64(seq)*33}, fakeJPEG(n, byte(seq)))
}

// manualClock is a Config.Clock that moves only when told.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newCamera makes a camera closed at the end of the test, which then checks
// that every buffer the camera handed out was released.
func newCamera(t testing.TB, cfg relay.Config) *relay.Camera {
	t.Helper()
	cam, err := relay.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		cam.Close()
		if _, inUse := cam.PoolStats(); inUse != 0 {
			t.Errorf("%d frame buffers not released after Close", inUse)
		}
		checkInvariants(t, cam.Stats())
	})
	return cam
}

// checkInvariants checks that the counters account for every message and
// every frame.
func checkInvariants(t testing.TB, s relay.Stats) {
	t.Helper()
	if s.Received != s.Rejected.Total()+s.Accepted {
		t.Errorf("received %d != rejected %d + accepted %d", s.Received, s.Rejected.Total(), s.Accepted)
	}
	if s.Accepted != s.Delivered+s.Dropped+s.Discarded+uint64(s.Queued) {
		t.Errorf("accepted %d != delivered %d + dropped %d + discarded %d + queued %d", s.Accepted, s.Delivered, s.Dropped, s.Discarded, s.Queued)
	}
}
