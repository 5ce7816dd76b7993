package relay_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
)

func TestNewValidates(t *testing.T) {
	for _, cfg := range []relay.Config{
		{MaxFrameBytes: -1},
		{MaxFrameBytes: 4},
		{MaxFPS: -1},
		{MaxFPS: math.NaN()},
		{MaxFPS: math.Inf(1)},
		{Queue: -1},
		{IdleTimeout: -time.Second},
	} {
		if cam, err := relay.New(cfg); err == nil {
			cam.Close()
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	cam := newCamera(t, relay.Config{ID: "session-42"})
	if got, want := cam.Info(), (devices.Info{Backend: "relay", ID: "session-42", Name: "mobile relay", Live: true}); got != want {
		t.Errorf("Info %+v, want %+v", got, want)
	}
	if got := cam.MaxMessageBytes(); got != 16+2<<20 {
		t.Errorf("MaxMessageBytes %d", got)
	}
}

func TestFrame(t *testing.T) {
	clock := newManualClock()
	cam := newCamera(t, relay.Config{ID: "s1", Clock: clock.Now})
	jpeg := fakeJPEG(300, 7)
	msg := relay.AppendMessage(nil, relay.Header{Seq: 41, CaptureMillis: clock.Now().Add(-150 * time.Millisecond).UnixMilli()}, jpeg)
	if err := cam.Push(msg); err != nil {
		t.Fatal(err)
	}
	clear(msg) // Push copied the JPEG
	arrival := clock.Now()
	clock.Advance(time.Second)
	f, err := cam.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Seq != 41 || !f.Time.Equal(arrival) || f.Source != "s1" || f.Format != devices.JPEG || f.Width != 0 || f.Height != 0 {
		t.Errorf("frame seq %d time %v source %q format %v %dx%d", f.Seq, f.Time, f.Source, f.Format, f.Width, f.Height)
	}
	if !bytes.Equal(f.Data, jpeg) {
		t.Error("frame data differs from the pushed JPEG")
	}
	if err := f.Validate(); err != nil {
		t.Error(err)
	}
	s := cam.Stats()
	if s.ClientLag != 150*time.Millisecond || !s.ClientTime.Equal(arrival.Add(-150*time.Millisecond)) {
		t.Errorf("client time %v lag %v", s.ClientTime, s.ClientLag)
	}
}

func TestQueueKeepsFreshest(t *testing.T) {
	cam := newCamera(t, relay.Config{Queue: 2, MaxFPS: 1000})
	const n = 20
	for i := range uint32(n) {
		if err := cam.Push(message(i, 1000+int(i))); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	s := cam.Stats()
	if s.Accepted != n || s.Dropped != n-2 || s.Queued != 2 {
		t.Fatalf("stats %+v", s)
	}
	// The dropped frames were closed: only the queued two hold a buffer,
	// and the dropped ones' buffers were reused.
	allocs, inUse := cam.PoolStats()
	if inUse != 2 {
		t.Errorf("%d buffers in use with 2 frames queued", inUse)
	}
	if allocs > 3 {
		t.Errorf("%d buffers allocated for %d frames through a queue of 2", allocs, n)
	}
	for _, want := range []uint32{n - 2, n - 1} {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != uint64(want) || !bytes.Equal(f.Data, fakeJPEG(1000+int(want), byte(want))) {
			t.Errorf("read seq %d (%d bytes), want %d", f.Seq, len(f.Data), want)
		}
		f.Close()
	}
	if _, inUse := cam.PoolStats(); inUse != 0 {
		t.Errorf("%d buffers in use after closing every frame", inUse)
	}
}

func TestSequence(t *testing.T) {
	cam := newCamera(t, relay.Config{Queue: 4})
	for _, p := range []struct {
		seq  uint32
		want error
	}{{5, nil}, {6, nil}, {6, relay.ErrSequence}, {4, relay.ErrSequence}, {10, nil}, {9, relay.ErrSequence}} {
		if err := cam.Push(message(p.seq, 50)); !errors.Is(err, p.want) {
			t.Errorf("push seq %d: %v, want %v", p.seq, err, p.want)
		}
	}
	if got := cam.Stats().Rejected.Sequence; got != 3 {
		t.Errorf("%d sequence rejections, want 3", got)
	}
	for _, want := range []uint64{5, 6, 10} {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != want {
			t.Errorf("seq %d, want %d", f.Seq, want)
		}
		f.Close()
	}
}

func TestMaxFrameBytes(t *testing.T) {
	cam := newCamera(t, relay.Config{MaxFrameBytes: 100})
	if err := cam.Push(message(1, 100)); err != nil {
		t.Errorf("100 bytes at a limit of 100: %v", err)
	}
	if err := cam.Push(message(2, 101)); !errors.Is(err, relay.ErrTooLarge) {
		t.Errorf("101 bytes at a limit of 100: %v", err)
	}
	if cam.MaxMessageBytes() != 116 {
		t.Errorf("MaxMessageBytes %d", cam.MaxMessageBytes())
	}
	if s := cam.Stats(); s.Accepted != 1 || s.Rejected.TooLarge != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestMaxFPS(t *testing.T) {
	clock := newManualClock()
	cam := newCamera(t, relay.Config{MaxFPS: 10, Clock: clock.Now})
	seq := uint32(0)
	push := func() error { seq++; return cam.Push(message(seq, 20)) }

	// A full bucket: a second's worth at once, then nothing.
	for i := range 10 {
		if err := push(); err != nil {
			t.Fatalf("burst frame %d: %v", i, err)
		}
	}
	if err := push(); !errors.Is(err, relay.ErrTooFast) {
		t.Fatalf("11th frame at once: %v", err)
	}
	// A rejected frame took no token, but its seq was seen.
	if err := cam.Push(message(seq, 20)); !errors.Is(err, relay.ErrSequence) {
		t.Errorf("resending a frame rejected as too fast: %v", err)
	}
	// A tenth of a second brings one token back.
	clock.Advance(100 * time.Millisecond)
	if err := push(); err != nil {
		t.Errorf("after 100 ms: %v", err)
	}
	if err := push(); !errors.Is(err, relay.ErrTooFast) {
		t.Errorf("second frame after 100 ms: %v", err)
	}
	// A clock stepping back gives nothing.
	clock.Advance(-time.Hour)
	if err := push(); !errors.Is(err, relay.ErrTooFast) {
		t.Errorf("after the clock stepped back: %v", err)
	}
	// A long pause refills to a second's worth, no more.
	clock.Advance(2 * time.Hour)
	accepted := 0
	for range 20 {
		if push() == nil {
			accepted++
		}
	}
	if accepted != 10 {
		t.Errorf("%d frames accepted after a long pause, want 10", accepted)
	}

	// Sending steadily at 30 frames/s for 10 s: the bucket, empty now,
	// lets 10 a second through.
	accepted = 0
	for range 300 {
		clock.Advance(time.Second / 30)
		if err := push(); err == nil {
			accepted++
		} else if !errors.Is(err, relay.ErrTooFast) {
			t.Fatal(err)
		}
	}
	if accepted < 99 || accepted > 100 {
		t.Errorf("%d of 300 frames at 30 fps accepted over 10 s at MaxFPS 10, want 100", accepted)
	}
	checkInvariants(t, cam.Stats())
}

func TestEnd(t *testing.T) {
	cam := newCamera(t, relay.Config{Queue: 3})
	for i := range uint32(3) {
		if err := cam.Push(message(i, 50)); err != nil {
			t.Fatal(err)
		}
	}
	cam.End()
	cam.End()
	cam.Disconnect() // the socket closes after the client said it was done
	if err := cam.Push(message(9, 50)); !errors.Is(err, relay.ErrStopped) {
		t.Errorf("push after End: %v", err)
	}
	for want := range uint64(3) {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatalf("read %d after End: %v", want, err)
		}
		if f.Seq != want {
			t.Errorf("seq %d, want %d", f.Seq, want)
		}
		f.Close()
	}
	for range 2 {
		if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
			t.Errorf("read after the queue drained: %v, want end of stream", err)
		}
	}
	if s := cam.Stats(); s.Delivered != 3 || s.Rejected.Stopped != 1 {
		t.Errorf("stats %+v", s)
	}
	cam.Close()
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

func TestDisconnect(t *testing.T) {
	cam := newCamera(t, relay.Config{})
	for i := range uint32(2) {
		if err := cam.Push(message(i, 50)); err != nil {
			t.Fatal(err)
		}
	}
	cam.Disconnect()
	cam.End()
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrDisconnected) {
		t.Errorf("read after Disconnect: %v", err)
	}
	if err := cam.Push(message(5, 50)); !errors.Is(err, relay.ErrStopped) {
		t.Errorf("push after Disconnect: %v", err)
	}
	if s := cam.Stats(); s.Discarded != 2 || s.Queued != 0 {
		t.Errorf("stats %+v", s)
	}
	if _, inUse := cam.PoolStats(); inUse != 0 {
		t.Errorf("%d buffers held after Disconnect", inUse)
	}
}

func TestCloseReleasesQueued(t *testing.T) {
	cam := newCamera(t, relay.Config{})
	cam.Push(message(1, 50))
	f, err := cam.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cam.Push(message(2, 50))
	cam.Push(message(3, 50))
	if err := cam.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cam.Close(); err != nil {
		t.Fatal(err)
	}
	if _, inUse := cam.PoolStats(); inUse != 1 {
		t.Errorf("%d buffers held after Close with one frame out, want 1", inUse)
	}
	// A frame read before Close stays valid.
	if !bytes.Equal(f.Data, fakeJPEG(50, 1)) {
		t.Error("frame changed by Close")
	}
	f.Close()
	if s := cam.Stats(); s.Discarded != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := newCamera(t, relay.Config{IdleTimeout: 5 * time.Second})
		start := time.Now()
		_, err := cam.Read(context.Background())
		if !errors.Is(err, devices.ErrTimeout) {
			t.Fatalf("read with no frame: %v", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("timed out after %v, want 5s", d)
		}
		// A frame arriving within the timeout is read, and the camera stays
		// usable after a timeout.
		go func() {
			time.Sleep(4 * time.Second)
			cam.Push(message(1, 50))
		}()
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatalf("read of a frame 4s later: %v", err)
		}
		f.Close()
		if d := time.Since(start); d != 9*time.Second {
			t.Errorf("frame read at %v, want 9s", d)
		}
	})
}

func TestCloseUnblocksRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := newCamera(t, relay.Config{})
		done := make(chan error)
		go func() {
			_, err := cam.Read(context.Background())
			done <- err
		}()
		synctest.Wait() // the reader waits
		cam.Close()
		if err := <-done; !errors.Is(err, devices.ErrClosed) {
			t.Errorf("pending read after Close: %v", err)
		}
	})
}

func TestEndAndDisconnectUnblockRead(t *testing.T) {
	for _, tt := range []struct {
		name string
		stop func(*relay.Camera)
		want error
	}{
		{"end", (*relay.Camera).End, devices.ErrEndOfStream},
		{"disconnect", (*relay.Camera).Disconnect, devices.ErrDisconnected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cam := newCamera(t, relay.Config{})
				done := make(chan error)
				go func() {
					_, err := cam.Read(context.Background())
					done <- err
				}()
				synctest.Wait()
				tt.stop(cam)
				if err := <-done; !errors.Is(err, tt.want) {
					t.Errorf("pending read: %v, want %v", err, tt.want)
				}
			})
		})
	}
}

func TestReadContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := newCamera(t, relay.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := cam.Read(ctx)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("pending read after cancel: %v", err)
		}
		// A done context wins over a queued frame, so a reader told to stop
		// stops even while frames keep coming.
		cam.Push(message(1, 50))
		if _, err := cam.Read(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("read with a cancelled context: %v", err)
		}
		dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
		defer dcancel()
		cam.Close()
		cam2 := newCamera(t, relay.Config{IdleTimeout: time.Minute})
		if _, err := cam2.Read(dctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("read past the context's deadline: %v", err)
		}
	})
}

// TestConcurrent runs a pusher, a reader and Close at once, for the race
// detector and the counters.
func TestConcurrent(t *testing.T) {
	cam := newCamera(t, relay.Config{MaxFPS: 1e6, Queue: 3})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cam.End() // if the reader is slower than the pusher
		for i := range uint32(2000) {
			err := cam.Push(message(i, 100+int(i%50)))
			if errors.Is(err, relay.ErrStopped) {
				return
			}
			if err != nil {
				t.Errorf("push %d: %v", i, err)
				return
			}
		}
	})
	var read int
	wg.Go(func() {
		last := int64(-1)
		for {
			f, err := cam.Read(context.Background())
			if err != nil {
				if !errors.Is(err, devices.ErrClosed) && !errors.Is(err, devices.ErrEndOfStream) {
					t.Errorf("read: %v", err)
				}
				return
			}
			if int64(f.Seq) <= last {
				t.Errorf("seq %d after %d", f.Seq, last)
			}
			last = int64(f.Seq)
			if !bytes.Equal(f.Data, fakeJPEG(100+int(f.Seq%50), byte(f.Seq))) {
				t.Errorf("frame %d corrupt", f.Seq)
			}
			read++
			f.Close()
			if read == 200 {
				cam.Close()
			}
		}
	})
	wg.Wait()
	if s := cam.Stats(); s.Delivered != uint64(read) {
		t.Errorf("delivered %d, read %d", s.Delivered, read)
	}
}

// TestImports keeps the package free of gocv and WebSocket libraries: the
// gateway imports it.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/biogate/biogate/devices/relay").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if d != "github.com/biogate/biogate/devices" && d != "github.com/biogate/biogate/devices/relay" {
			t.Errorf("devices/relay imports %s", d)
		}
	}
}
