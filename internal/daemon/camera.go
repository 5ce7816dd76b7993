package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"  // v4l2:, gst:, file:
	_ "github.com/biogate/biogate/devices/imagedir" // dir:
	"github.com/biogate/biogate/gateway"
)

// kioskCamera opens the daemon's one kiosk camera, by the spec it was
// configured with; its name in sessions is "" or "default". The session
// that opens it closes it.
type kioskCamera struct{ spec string }

func (k kioskCamera) Open(ctx context.Context, name string) (devices.Camera, error) {
	if name != "" && name != "default" {
		return nil, fmt.Errorf("%w: no camera named %q", devices.ErrNoDevice, name)
	}
	return devices.OpenCamera(ctx, k.spec)
}

// Devices lists the kiosk camera for GET /v1/devices, available when its
// spec's backend is registered and, for paths, the file or node exists.
func (k kioskCamera) Devices() []gateway.Device {
	scheme, target, err := devices.ParseSpec(k.spec)
	avail := err == nil
	if avail && scheme != "gst" {
		path := target
		if i := strings.IndexByte(path, '?'); i >= 0 && scheme == "v4l2" {
			path = path[:i]
		}
		_, statErr := os.Stat(path)
		avail = statErr == nil || (scheme == "v4l2" && !strings.HasPrefix(path, "/"))
	}
	return []gateway.Device{{ID: "default", Kind: "camera", Backend: scheme, Available: avail}}
}
