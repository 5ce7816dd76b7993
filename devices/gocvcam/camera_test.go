package gocvcam

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/biogate/biogate/devices"
)

func TestRegistered(t *testing.T) {
	for _, s := range []string{"file", "gst", "v4l2"} {
		if !slices.Contains(devices.CameraBackends(), s) {
			t.Errorf("scheme %q not registered: %v", s, devices.CameraBackends())
		}
	}
}

func readN(t *testing.T, cam devices.Camera, n int) []*devices.Frame {
	t.Helper()
	out := make([]*devices.Frame, 0, n)
	for i := 0; i < n; i++ {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		out = append(out, f)
	}
	return out
}

// TestBufferReuse: a reader that closes each frame gets the same buffer
// back; one that holds frames makes the camera allocate, and the free list
// stays bounded.
func TestBufferReuse(t *testing.T) {
	cam := open(t, "file:"+steadyClip(t).mp4)
	pool := cam.(*camera).pool
	want := func(step string, allocs, reuses uint64) {
		t.Helper()
		if s := pool.Stats(); s.Allocs != allocs || s.Reuses != reuses {
			a, r := s.Allocs, s.Reuses
			t.Fatalf("%s: %d allocs, %d reuses; want %d, %d", step, a, r, allocs, reuses)
		}
	}
	for i := 0; i < 50; i++ {
		readN(t, cam, 1)[0].Close()
	}
	want("closing each", 1, 49)

	held := readN(t, cam, 6) // one from the free list, five new
	want("holding six", 6, 50)
	for _, f := range held {
		f.Close()
		f.Close() // idempotent: the buffer goes back once
	}
	if free := pool.Stats().Free; free != maxFreeBuffers {
		t.Fatalf("free list holds %d, want %d", free, maxFreeBuffers)
	}
	for i := 0; i < 20; i++ {
		readN(t, cam, 1)[0].Close()
	}
	want("closing each again", 6, 70)
}

// TestSteadyStateMemory: reading and closing frames allocates far less than
// a frame's size per frame.
func TestSteadyStateMemory(t *testing.T) {
	c := steadyClip(t)
	cam := open(t, "file:"+c.mp4)
	readN(t, cam, 1)[0].Close() // the first buffer
	frameBytes := uint64(c.summary.Res[0] * c.summary.Res[1] * 3)
	const n = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		readN(t, cam, 1)[0].Close()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > frameBytes/20 {
		t.Errorf("%d bytes allocated per frame of %d bytes", per, frameBytes)
	}
}

func TestReadCancelled(t *testing.T) {
	cam := open(t, "file:"+steadyClip(t).mp4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if f, err := cam.Read(ctx); !errors.Is(err, context.Canceled) || f != nil {
		t.Fatalf("got %v, %v; want context.Canceled", f, err)
	}
	// Nothing was consumed.
	f := readN(t, cam, 1)[0]
	defer f.Close()
	if f.Seq != 0 {
		t.Errorf("first frame after a cancelled read has Seq %d", f.Seq)
	}
}

// TestFramesOutliveCamera: frames handed out stay valid after Close.
func TestFramesOutliveCamera(t *testing.T) {
	cam := open(t, "file:"+steadyClip(t).mp4)
	frames := readN(t, cam, 3)
	copies := make([][]byte, len(frames))
	for i, f := range frames {
		copies[i] = bytes.Clone(f.Data)
	}
	if err := cam.Close(); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := f.Validate(); err != nil || !bytes.Equal(f.Data, copies[i]) {
			t.Errorf("frame %d changed after the camera closed (%v)", i, err)
		}
		f.Close()
	}
	if bytes.Equal(copies[0], copies[2]) {
		t.Error("frames 0 and 2 are identical: the test cannot see a change")
	}
}

// TestCloseDuringRead: Close from another goroutine while one reads; run
// with -race. The reader ends with ErrClosed and never sees a freed Mat.
func TestCloseDuringRead(t *testing.T) {
	for _, spec := range []string{
		"file:" + steadyClip(t).mp4,
		"gst:videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! appsink",
	} {
		t.Run(spec[:4], func(t *testing.T) {
			cam := open(t, spec)
			first := make(chan struct{})
			done := make(chan error)
			go func() {
				for n := 0; ; n++ {
					f, err := cam.Read(context.Background())
					if err != nil {
						done <- err
						return
					}
					if err := f.Validate(); err != nil {
						done <- err
						return
					}
					f.Close()
					if n == 0 {
						close(first)
					}
				}
			}()
			<-first
			if err := cam.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, devices.ErrClosed) {
				t.Errorf("reader ended with %v, want ErrClosed", err)
			}
		})
	}
}
