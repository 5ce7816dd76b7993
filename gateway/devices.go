package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/biogate/biogate/gateway/protocol"
)

// Device is one entry of GET /v1/devices: what a calling app needs to pick
// a kiosk camera, and never a device path.
type Device struct {
	// ID is the name a start message gives as camera.name.
	ID string `json:"id"`
	// Kind is "camera" or "fingerprint".
	Kind string `json:"kind"`
	// Backend is how the daemon reaches it (v4l2, gst, file, dir, usb).
	Backend string `json:"backend"`
	// Available is false while the device cannot be opened.
	Available bool `json:"available"`
}

// DeviceLister is implemented by Cameras that can list their devices; GET
// /v1/devices serves the list (empty without one).
type DeviceLister interface {
	Devices() []Device
}

// serveDevices answers GET /v1/devices to keys with the admin scope.
func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) {
	k, ok := s.cfg.Keys.lookup(keyFromRequest(r))
	if !ok {
		httpError(w, protocol.CodeUnauthorized, 0)
		return
	}
	if !k.has(ScopeAdmin) {
		httpError(w, protocol.CodeForbiddenScope, 0)
		return
	}
	list := []Device{}
	if l, ok := s.cameras.(DeviceLister); ok {
		list = append(list, l.Devices()...)
	}
	if s.cfg.Devices != nil {
		list = append(list, s.cfg.Devices.Devices()...)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Devices []Device `json:"devices"`
	}{list})
}
