package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/biogate/biogate/gateway/protocol"
)

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
