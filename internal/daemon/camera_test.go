package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/internal/testenv"
)

func TestKioskCameraDevices(t *testing.T) {
	clip := filepath.Join(testenv.Shared(t), "data", "video", "minivision", "minivision_live_replay_print.mp4")
	for _, tc := range []struct {
		spec    string
		backend string
		avail   bool
	}{
		{"file:" + clip, "file", true},
		{"file:" + clip + ".missing", "file", false},
		{"dir:" + filepath.Dir(clip), "dir", true},
		{"v4l2:/dev/nonexistent-video9", "v4l2", false},
		{"v4l2:0", "v4l2", true}, // an index, not a path: cannot be checked
		{"nosuchbackend:x", "nosuchbackend", false},
		{"no-scheme", "", false},
	} {
		got := kioskCamera{spec: tc.spec}.Devices()
		want := gateway.Device{ID: "default", Kind: "camera", Backend: tc.backend, Available: tc.avail}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %+v, want %+v", tc.spec, got, want)
		}
	}
}

// The kiosk camera opens the real clip under its one name, and no other.
func TestKioskCameraOpen(t *testing.T) {
	clip := filepath.Join(testenv.Shared(t), "data", "video", "minivision", "minivision_live_replay_print.mp4")
	k := kioskCamera{spec: "file:" + clip}
	if _, err := k.Open(context.Background(), "side"); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("camera %q: %v, want ErrNoDevice", "side", err)
	}
	for _, name := range []string{"", "default"} {
		cam, err := k.Open(context.Background(), name)
		if err != nil {
			t.Fatalf("camera %q: %v", name, err)
		}
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Errorf("camera %q: first frame: %v", name, err)
		} else {
			f.Close()
		}
		cam.Close()
	}
}
