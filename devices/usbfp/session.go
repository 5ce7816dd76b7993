package usbfp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/gousb"

	"github.com/biogate/biogate/devices"
)

// Session is exclusive use of one reader, from Manager.Acquire to Close. It
// implements devices.FingerprintReader.
type Session struct {
	m    *Manager
	slot *slot
	info devices.FingerprintInfo

	// mu is held by Capture, so Close waits for a capture to finish.
	mu   sync.Mutex
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	link *link

	// closeCtx is cancelled by Close; it ends a pending capture.
	closeCtx    context.Context
	closeCancel context.CancelFunc
	// lostCtx is cancelled when the manager finds the device gone.
	lostCtx    context.Context
	lostCancel context.CancelFunc
	closeOnce  sync.Once
	closeErr   error
}

var _ devices.FingerprintReader = (*Session)(nil)

// open opens the device at the slot's bus address and claims its interface.
func (s *Session) open() error {
	sl := s.slot
	devs, err := s.m.usb.OpenDevices(func(d *gousb.DeviceDesc) bool {
		return d.Bus == sl.bus && d.Address == sl.address
	})
	for i := 1; i < len(devs); i++ {
		devs[i].Close()
	}
	if len(devs) == 0 {
		if err == nil {
			err = errNotFound
		}
		return fmt.Errorf("usbfp: open %s: %w (%v)", sl.info.BusPath, devices.ErrNoDevice, err)
	}
	dev := devs[0]
	dev.ControlTimeout = sl.model.controlTimeout
	fail := func(what string, err error) error {
		dev.Close()
		if errors.Is(err, gousb.ErrorBusy) || errors.Is(err, gousb.ErrorAccess) {
			return fmt.Errorf("usbfp: %s %s: %w (%v)", what, sl.info.BusPath, devices.ErrBusy, err)
		}
		if errors.Is(err, gousb.ErrorNoDevice) {
			return fmt.Errorf("usbfp: %s %s: %w (%v)", what, sl.info.BusPath, devices.ErrDisconnected, err)
		}
		return fmt.Errorf("usbfp: %s %s: %w", what, sl.info.BusPath, err)
	}
	cfgNum, ifNum, err := pickInterface(dev.Desc, sl.model.iface)
	if err != nil {
		return fail("open", err)
	}
	cfg, err := dev.Config(cfgNum)
	if err != nil {
		return fail("configure", err)
	}
	intf, err := cfg.Interface(ifNum, 0)
	if err != nil {
		cfg.Close()
		return fail("claim", err)
	}
	s.dev, s.cfg, s.intf = dev, cfg, intf
	s.link = &link{
		dev: dev, intf: intf, closed: s.closeCtx.Done(), lost: s.lostCtx.Done(),
		gone: func() bool { return !s.m.stillAttached(sl) },
	}
	return nil
}

// pickInterface returns the configuration and interface to claim: iface,
// or (iface < 0) the first vendor-specific interface, as uru4000 looks for.
func pickInterface(desc *gousb.DeviceDesc, iface int) (int, int, error) {
	cfgNums := make([]int, 0, len(desc.Configs))
	for n := range desc.Configs {
		cfgNums = append(cfgNums, n)
	}
	if len(cfgNums) == 0 {
		return 0, 0, fmt.Errorf("%w: no configuration", ErrProtocol)
	}
	first := cfgNums[0]
	for _, n := range cfgNums {
		first = min(first, n)
	}
	if iface >= 0 {
		return first, iface, nil
	}
	for _, in := range desc.Configs[first].Interfaces {
		for _, alt := range in.AltSettings {
			if alt.Class == gousb.ClassVendorSpec && alt.SubClass == gousb.ClassVendorSpec && alt.Protocol == 255 {
				return first, in.Number, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%w: no vendor-specific interface", ErrProtocol)
}

// Info describes the reader.
func (s *Session) Info() devices.FingerprintInfo { return s.info }

// Capture runs one capture (see devices.FingerprintReader). It blocks until
// the finger was imaged and lifted, ctx is done, Close is called, or the
// device fails.
func (s *Session) Capture(ctx context.Context, opts ...devices.CaptureOption) (*devices.FingerprintImage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeCtx.Err() != nil {
		return nil, fmt.Errorf("usbfp: capture: %w", devices.ErrClosed)
	}
	s.m.mu.Lock()
	gone := s.slot.gone
	s.m.mu.Unlock()
	if gone {
		return nil, fmt.Errorf("usbfp: capture %s: %w", s.info.BusPath, devices.ErrDisconnected)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closeCtx, cancel)
	defer stop()
	stopLost := context.AfterFunc(s.lostCtx, cancel)
	defer stopLost()

	drv := s.slot.model.newDriver(lockedRandom{s.m})
	img, err := drv.capture(ctx, s.link, devices.NewCaptureOptions(opts...))
	if err != nil {
		return nil, fmt.Errorf("usbfp: %s: %w", s.info.BusPath, err)
	}
	return img, nil
}

// Close stops a pending capture (it returns ErrClosed once its current
// transfer ends), releases the interface and the device, and makes the
// reader available to the next Acquire. It is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closeCancel()
		s.mu.Lock()
		s.lostCancel()
		if s.intf != nil {
			s.intf.Close()
		}
		if s.cfg != nil {
			if err := s.cfg.Close(); err != nil {
				s.closeErr = fmt.Errorf("usbfp: release %s: %w", s.info.BusPath, err)
			}
		}
		if s.dev != nil {
			if err := s.dev.Close(); err != nil && s.closeErr == nil {
				s.closeErr = fmt.Errorf("usbfp: close %s: %w", s.info.BusPath, err)
			}
		}
		s.mu.Unlock()
		s.m.mu.Lock()
		if s.slot.held == s {
			s.slot.held = nil
		}
		s.m.mu.Unlock()
	})
	return s.closeErr
}
