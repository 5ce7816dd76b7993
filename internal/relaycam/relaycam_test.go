package relaycam

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway"
)

// photo reads a real JPEG of the shared data.
func photo(t *testing.T, name string) []byte {
	t.Helper()
	root := os.Getenv("BIOGATE_SHARED")
	if root == "" {
		t.Skip("BIOGATE_SHARED is not set")
	}
	b, err := os.ReadFile(filepath.Join(root, "data", "pad", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCamera(t *testing.T) {
	jpg := photo(t, "image_T1.jpg")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cams := New()
	if got, want := cams.MessageBytes(len(jpg)), relay.HeaderLen+len(jpg); got != want {
		t.Errorf("MessageBytes = %d, want %d", got, want)
	}
	cam, err := cams.NewCamera(gateway.RelayConfig{ID: "session-1", MaxFrameBytes: len(jpg), MaxFPS: 2, IdleTimeout: time.Second, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	msg := func(seq uint32, b []byte) []byte {
		return relay.AppendMessage(nil, relay.Header{Seq: seq, CaptureMillis: now.UnixMilli()}, b)
	}
	notJPEG := append([]byte{0x89, 'P', 'N', 'G'}, jpg[4:]...)
	for _, c := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"frame", msg(1, jpg), nil},
		{"short", []byte("BG"), gateway.ErrFrameBadHeader},
		{"magic", append([]byte("XX"), msg(2, jpg)[2:]...), gateway.ErrFrameBadHeader},
		{"sequence", msg(1, jpg), gateway.ErrFrameBadHeader},
		{"not jpeg", msg(3, notJPEG), gateway.ErrFrameNotJPEG},
		{"too large", msg(4, append(jpg[:len(jpg)-2:len(jpg)-2], append(make([]byte, 8), 0xff, 0xd9)...)), gateway.ErrFrameTooLarge},
		{"frame", msg(5, jpg), nil},
		{"too fast", msg(6, jpg), gateway.ErrFrameTooFast},
	} {
		err := cam.Push(c.msg)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Push = %v, want %v", c.name, err, c.want)
		}
	}
	cam.End()
	for _, seq := range []uint64{1, 5} { // queued before the end: still read
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != seq || f.Source != "session-1" || string(f.Data) != string(jpg) {
			t.Errorf("frame %d from %q, %d bytes; want %d from session-1, the photo", f.Seq, f.Source, len(f.Data), seq)
		}
		f.Close()
	}
	if err := cam.Push(msg(7, jpg)); !errors.Is(err, gateway.ErrFrameStopped) || !errors.Is(err, relay.ErrStopped) {
		t.Errorf("after End: Push = %v, want ErrFrameStopped wrapping relay.ErrStopped", err)
	}
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
		t.Errorf("after End and the queued frames: Read = %v, want ErrEndOfStream", err)
	}
	want := gateway.RelayStats{Received: 9, BadHeader: 3, NotJPEG: 1, TooLarge: 1, TooFast: 1, Stopped: 1}
	if got := cam.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestNewCameraRejectsBadConfig(t *testing.T) {
	if _, err := New().NewCamera(gateway.RelayConfig{MaxFPS: -1}); err == nil {
		t.Error("NewCamera accepted a negative MaxFPS")
	}
}
