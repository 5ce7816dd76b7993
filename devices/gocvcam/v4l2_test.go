//go:build linux

package gocvcam

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/devices"
)

func TestV4L2BadTargets(t *testing.T) {
	link := filepath.Join(t.TempDir(), "usb-Fake_Camera-video-index0")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	regular := writeFile(t, "video0", []byte("not a device"))
	tests := []struct {
		target   string
		noDevice bool
		msg      string
	}{
		{"/dev/video99", true, "/dev/video99: no such device node"},
		{"99", true, "/dev/video99: no such device node"},
		{"/dev/null", true, "not a video4linux device"},
		{link, true, link + ": not a video4linux device"}, // names the link given
		{regular, true, "not a character device"},
		{"/dev/video99?width=wide", false, "want a positive integer"},
		{"/dev/video99?fourcc=MJPEG", false, "want four characters"},
		{"/dev/video99?zoom=2", false, `unknown option "zoom"`},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			cam, err := devices.OpenCamera(context.Background(), "v4l2:"+tc.target)
			if err == nil {
				cam.Close()
				t.Fatal("opened")
			}
			if errors.Is(err, devices.ErrNoDevice) != tc.noDevice || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q, want ErrNoDevice=%v with %q", err, tc.noDevice, tc.msg)
			}
		})
	}
}

// TestV4L2ReadFailure: a failed read is a disconnect once the node is gone,
// a timeout while it is there.
func TestV4L2ReadFailure(t *testing.T) {
	dir := t.TempDir()
	node := filepath.Join(dir, "video0")
	link := filepath.Join(dir, "by-id-link")
	if err := os.WriteFile(node, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(node, link); err != nil {
		t.Fatal(err)
	}
	if err := v4l2ReadFailure(link, node); !errors.Is(err, devices.ErrTimeout) {
		t.Errorf("node present: got %v, want ErrTimeout", err)
	}
	if err := os.Remove(node); err != nil {
		t.Fatal(err)
	}
	if err := v4l2ReadFailure(link, node); !errors.Is(err, devices.ErrDisconnected) || !strings.Contains(err.Error(), link) {
		t.Errorf("node removed: got %v, want ErrDisconnected naming %s", err, link)
	}
}

func TestDevMajor(t *testing.T) {
	// makedev(81, 0) and makedev(259, 3) in glibc's encoding.
	if got := devMajor(81 << 8); got != 81 {
		t.Errorf("devMajor(81:0) = %d", got)
	}
	if got := devMajor(uint64(259&0xfff)<<8 | uint64(259&^0xfff)<<32 | 3); got != 259 {
		t.Errorf("devMajor(259:3) = %d", got)
	}
}

// TestV4L2Live reads from a real camera when BIOGATE_TEST_V4L2 names one
// (a device path, by-id link or index); there is none in CI.
func TestV4L2Live(t *testing.T) {
	target := os.Getenv("BIOGATE_TEST_V4L2")
	if target == "" {
		t.Skip("set BIOGATE_TEST_V4L2=/dev/video0 to test a real camera")
	}
	cam := open(t, "v4l2:"+target)
	info := cam.Info()
	if !info.Live || info.Width <= 0 || info.Height <= 0 {
		t.Errorf("Info = %+v", info)
	}
	for i := 0; i < 5; i++ {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != uint64(i) || f.Width != info.Width || f.Height != info.Height || f.Validate() != nil {
			t.Errorf("frame %d: seq %d %dx%d", i, f.Seq, f.Width, f.Height)
		}
		f.Close()
	}
}
