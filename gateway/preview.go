package gateway

import (
	"bytes"
	"time"

	"github.com/biogate/biogate/gateway/protocol"
)

// Preview implements PipelineEvents: in kiosk mode only, at most
// protocol.PreviewMaxPerSecond, and only while the send queue is less than
// a quarter full, so a preview never delays or displaces the session's own
// messages. Dropped previews are counted, never reported to the client.
func (e *events) Preview(jpeg []byte, width, height int) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !e.preview || s.ended || len(jpeg) == 0 {
		return
	}
	now := time.Now()
	if now.Sub(e.previewAt) < time.Second/protocol.PreviewMaxPerSecond {
		s.srv.m.messagesDrop.WithLabelValues("preview_throttled").Inc()
		return
	}
	if len(s.c.out) > cap(s.c.out)/4 {
		s.srv.m.messagesDrop.WithLabelValues("preview_backpressure").Inc()
		return
	}
	e.previewAt = now
	s.c.send(&protocol.Preview{JPEG: bytes.Clone(jpeg), Width: width, Height: height}, true)
}
