package daemon

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/biogate/biogate/devices/usbfp"
	"github.com/biogate/biogate/gateway"
)

// readers are the kiosk's USB fingerprint readers: a usbfp.Manager that
// polls the bus, so a reader unplugged and plugged back is found again
// without a restart.
type readers struct {
	m    *usbfp.Manager
	done chan struct{}
	stop context.CancelFunc
}

// startReaders opens libusb and starts polling for supported readers. A
// machine where libusb cannot start gets an error, not a crash.
func startReaders(log *slog.Logger) (r *readers, err error) {
	defer func() { // gousb panics when libusb cannot initialise
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("libusb: %v", p)
		}
	}()
	m, err := usbfp.New(usbfp.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := m.Scan(); err != nil {
		m.Close()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	r = &readers{m: m, done: make(chan struct{}), stop: stop}
	go func() {
		defer close(r.done)
		m.Run(ctx)
	}()
	return r, nil
}

// close stops polling, waits for it, and releases libusb.
func (r *readers) close() {
	r.stop()
	<-r.done
	r.m.Close()
}

// Devices lists the readers for GET /v1/devices, by the spec that names
// them (their bus path).
func (r *readers) Devices() []gateway.Device {
	var out []gateway.Device
	for _, info := range r.m.Readers() {
		out = append(out, gateway.Device{ID: "usb:" + info.BusPath, Kind: "fingerprint", Backend: "usb", Available: true})
	}
	return out
}

// quietStdLog sends the standard logger (gousb logs every failed event poll
// there while a device is stuck) to slog at debug level.
func quietStdLog(l *slog.Logger) {
	log.SetFlags(0)
	log.SetOutput(slog.NewLogLogger(l.Handler(), slog.LevelDebug).Writer())
}
