// Package relaycam gives the gateway its relay cameras: a
// gateway.RelayCameras over devices/relay. It maps devices/relay's
// configuration, rejections and counters to the gateway's, so the gateway
// knows only the devices contract and devices/relay knows nothing of the
// gateway.
package relaycam

import (
	"errors"
	"fmt"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway"
)

// Cameras makes devices/relay cameras. The zero value is ready to use and
// safe for concurrent use.
type Cameras struct{}

// New returns the gateway's relay cameras: set it as gateway.Config.Relay.
func New() gateway.RelayCameras { return Cameras{} }

var _ gateway.RelayCameras = Cameras{}

// NewCamera returns a devices/relay camera configured from cfg (its other
// settings take devices/relay's defaults). The caller closes it.
func (Cameras) NewCamera(cfg gateway.RelayConfig) (gateway.RelayCamera, error) {
	c, err := relay.New(relay.Config{
		MaxFrameBytes:  cfg.MaxFrameBytes,
		MaxFramePixels: cfg.MaxFramePixels,
		MaxFPS:         cfg.MaxFPS,
		IdleTimeout:    cfg.IdleTimeout,
		ID:             cfg.ID,
		Clock:          cfg.Clock,
	})
	if err != nil {
		return nil, err
	}
	return camera{c}, nil
}

// MessageBytes is a frame of maxFrameBytes with its relay header.
func (Cameras) MessageBytes(maxFrameBytes int) int { return relay.HeaderLen + maxFrameBytes }

// camera is a *relay.Camera with the gateway's errors and counters.
type camera struct{ *relay.Camera }

// Push implements gateway.RelayCamera: devices/relay's rejection wrapped
// with the gateway's reason.
func (c camera) Push(msg []byte) error {
	err := c.Camera.Push(msg)
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", reason(err), err)
}

// reason maps a devices/relay rejection to the gateway's sentinel: any
// other (short, magic, version, sequence) is a bad header.
func reason(err error) error {
	switch {
	case errors.Is(err, relay.ErrNotJPEG):
		return gateway.ErrFrameNotJPEG
	case errors.Is(err, relay.ErrTooLarge):
		return gateway.ErrFrameTooLarge
	case errors.Is(err, relay.ErrTooFast):
		return gateway.ErrFrameTooFast
	case errors.Is(err, relay.ErrStopped):
		return gateway.ErrFrameStopped
	}
	return gateway.ErrFrameBadHeader
}

// Stats implements gateway.RelayCamera.
func (c camera) Stats() gateway.RelayStats {
	s := c.Camera.Stats()
	r := s.Rejected
	return gateway.RelayStats{
		Received:  s.Received,
		BadHeader: r.Short + r.BadMagic + r.Version + r.Sequence,
		NotJPEG:   r.NotJPEG, TooLarge: r.TooLarge, TooFast: r.TooFast, Stopped: r.Stopped,
		QueueFull: s.Dropped, Discarded: s.Discarded,
	}
}
