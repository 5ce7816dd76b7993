// Package usbfp drives USB fingerprint readers through libusb (gousb): the
// DigitalPersona U.are.U 4000/4000B/4500 and Microsoft Fingerprint Reader
// family, the NEXT Biometrics NB-1010-U and the UPEK TouchChip 147e:2016 and
// 147e:2020. The drivers are Go ports of libfprint's (LGPL-2.1-or-later, as
// is this package: see LICENSE here; the rest of biogate keeps its own
// licence) and send exactly libfprint's transfers, so libfprint's own
// umockdev recordings replay against them bit for bit.
//
// A Manager enumerates the supported readers from its driver table, polls
// the device list to notice removal and arrival (gousb has no hotplug),
// replaces a reader whose handle went stale after a replug, and gives one
// session at a time exclusive use of a reader (devices.ErrBusy to the next).
//
// The package also registers the scheme "usb" with devices at init, so a
// program that wants one reader opens it like a camera:
// devices.OpenFingerprintReader(ctx, "usb:1-10") by bus path, "usb:VVVV:PPPP"
// by USB ids, "usb:" for the first supported reader (see open.go).
package usbfp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/gousb"

	"github.com/biogate/biogate/devices"
)

// Config configures a Manager. The zero value is usable.
type Config struct {
	// PollInterval is how often Run re-reads the USB device list to notice
	// arrivals and removals. Default 1s.
	PollInterval time.Duration
	// Random supplies the drivers' random numbers. Default CryptoRandom;
	// replay tests pass NewGLibRand(GLibEmulationSeed).
	Random RandomSource
	// Logger receives one line per reader arrival and removal (USB ids and
	// bus paths, never images). Default slog.Default().
	Logger *slog.Logger
}

// Manager owns the libusb context and the set of attached readers. Its
// methods are safe for concurrent use.
type Manager struct {
	cfg Config
	usb *gousb.Context
	// list enumerates the bus; tests filter it to simulate unplugging.
	list func() ([]*gousb.DeviceDesc, error)

	mu      sync.Mutex
	readers map[string]*slot // by bus path
	closed  bool

	randMu sync.Mutex
}

// slot is one attached reader as last seen on the bus.
type slot struct {
	info    devices.FingerprintInfo
	model   model
	bus     int
	address int  // changes when the device is re-plugged
	gone    bool // the device left the bus (or was replaced by a replug)
	held    *Session
}

// New opens a libusb context. Call Close when done.
func New(cfg Config) (*Manager, error) {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.PollInterval < 10*time.Millisecond {
		return nil, fmt.Errorf("usbfp: poll interval %v is below 10ms", cfg.PollInterval)
	}
	if cfg.Random == nil {
		cfg.Random = CryptoRandom{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Manager{cfg: cfg, usb: gousb.NewContext(), readers: map[string]*slot{}}
	m.list = m.enumerate
	return m, nil
}

// enumerate lists every USB device without opening any.
func (m *Manager) enumerate() ([]*gousb.DeviceDesc, error) {
	var descs []*gousb.DeviceDesc
	_, err := m.usb.OpenDevices(func(d *gousb.DeviceDesc) bool {
		descs = append(descs, d)
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("usbfp: list devices: %w", err)
	}
	return descs, nil
}

// busPath names a device's physical position as sysfs does: "1-10", "3-1.4".
func busPath(d *gousb.DeviceDesc) string {
	if len(d.Path) == 0 {
		return fmt.Sprintf("%d-0", d.Bus)
	}
	ports := make([]string, len(d.Path))
	for i, p := range d.Path {
		ports[i] = strconv.Itoa(p)
	}
	return fmt.Sprintf("%d-%s", d.Bus, strings.Join(ports, "."))
}

// Scan reads the device list once and updates the set of readers: new
// readers are added, removed ones dropped, and a reader whose address
// changed (a replug) is replaced, so a stale handle is never reused.
func (m *Manager) Scan() error {
	descs, err := m.list()
	if err != nil {
		return err
	}
	seen := map[string]*gousb.DeviceDesc{}
	for _, d := range descs {
		if _, ok := lookup(uint16(d.Vendor), uint16(d.Product)); ok {
			seen[busPath(d)] = d
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for path, s := range m.readers {
		d, ok := seen[path]
		if ok && d.Address == s.address && uint16(d.Vendor) == s.info.VendorID && uint16(d.Product) == s.info.ProductID {
			continue
		}
		s.gone = true
		if s.held != nil {
			// A capture in progress ends with ErrDisconnected now rather
			// than waiting on a transfer that will never complete.
			s.held.lostCancel()
		}
		delete(m.readers, path)
		m.cfg.Logger.Info("fingerprint reader removed", "driver", s.model.driver, "bus_path", path)
	}
	for path, d := range seen {
		if _, ok := m.readers[path]; ok {
			continue
		}
		mo, _ := lookup(uint16(d.Vendor), uint16(d.Product))
		m.readers[path] = &slot{
			model: mo, bus: d.Bus, address: d.Address,
			info: devices.FingerprintInfo{
				Backend: "usb", Driver: mo.driver,
				VendorID: mo.vendor, ProductID: mo.product, Product: mo.name,
				Serial: sysfsSerial(path), BusPath: path,
				Scan: mo.scan, PPI: mo.ppi, Width: mo.width, Height: mo.height,
			},
		}
		m.cfg.Logger.Info("fingerprint reader attached", "driver", mo.driver, "bus_path", path)
	}
	return nil
}

// sysfsSerial reads the serial number the kernel cached, avoiding a string
// descriptor request on the wire ("" when unavailable).
func sysfsSerial(path string) string {
	b, err := os.ReadFile(filepath.Join("/sys/bus/usb/devices", path, "serial"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Run polls the device list every PollInterval until ctx is done, then
// returns ctx's error. It runs in the caller's goroutine and starts none.
// A failed poll is logged and retried at the next tick.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := m.Scan(); err != nil {
			m.cfg.Logger.Warn("fingerprint reader poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Readers returns the readers found by the last Scan (or Run's last poll),
// ordered by bus path.
func (m *Manager) Readers() []devices.FingerprintInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]devices.FingerprintInfo, 0, len(m.readers))
	for _, s := range m.readers {
		out = append(out, s.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BusPath < out[j].BusPath })
	return out
}

// match finds the reader a spec names: "" (the first by bus path),
// "usb:VVVV:PPPP" (the first with those ids), or a bus path ("usb:1-10",
// "1-10").
func (m *Manager) match(spec string) (*slot, error) {
	paths := make([]string, 0, len(m.readers))
	for p := range m.readers {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	rest := strings.TrimPrefix(spec, "usb:")
	var vid, pid uint64
	ids := false
	if v, p, ok := strings.Cut(rest, ":"); ok {
		var err1, err2 error
		vid, err1 = strconv.ParseUint(v, 16, 16)
		pid, err2 = strconv.ParseUint(p, 16, 16)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("usbfp: bad device spec %q (want usb:VVVV:PPPP or a bus path): %w", spec, devices.ErrNoDevice)
		}
		ids = true
	}
	for _, p := range paths {
		s := m.readers[p]
		switch {
		case spec == "":
		case ids:
			if uint64(s.info.VendorID) != vid || uint64(s.info.ProductID) != pid {
				continue
			}
		case p != rest:
			continue
		}
		return s, nil
	}
	if spec == "" {
		return nil, fmt.Errorf("usbfp: no supported fingerprint reader attached: %w", devices.ErrNoDevice)
	}
	return nil, fmt.Errorf("usbfp: no supported fingerprint reader matches %q: %w", spec, devices.ErrNoDevice)
}

// Acquire opens and claims the reader spec names (see match; "" is the
// first reader) for the caller's exclusive use. A reader already held by
// another session gives an error wrapping devices.ErrBusy; no match gives
// devices.ErrNoDevice. The device list is read afresh first, so a reader
// unplugged and plugged back is opened through its new handle. The caller
// must Close the session.
func (m *Manager) Acquire(ctx context.Context, spec string) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxErr(err)
	}
	if err := m.Scan(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("usbfp: manager: %w", devices.ErrClosed)
	}
	s, err := m.match(spec)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	if s.held != nil {
		m.mu.Unlock()
		return nil, fmt.Errorf("usbfp: reader %s: %w", s.info.BusPath, devices.ErrBusy)
	}
	sess := &Session{m: m, slot: s, info: s.info}
	sess.closeCtx, sess.closeCancel = context.WithCancel(context.Background())
	sess.lostCtx, sess.lostCancel = context.WithCancel(context.Background())
	s.held = sess // reserved while opening, so a second caller gets ErrBusy
	m.mu.Unlock()

	if err := sess.open(); err != nil {
		sess.closeCancel()
		sess.lostCancel()
		m.mu.Lock()
		s.held = nil
		m.mu.Unlock()
		return nil, err
	}
	return sess, nil
}

// stillAttached reports whether slot s is on the bus with the same address,
// reading the device list afresh.
func (m *Manager) stillAttached(s *slot) bool {
	if err := m.Scan(); err != nil {
		return true // cannot tell; do not claim a disconnection
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !s.gone
}

// Close closes the libusb context. Sessions must be closed first; Close
// reports an error wrapping devices.ErrBusy while one is open.
func (m *Manager) Close() error {
	m.mu.Lock()
	for _, s := range m.readers {
		if s.held != nil {
			m.mu.Unlock()
			return fmt.Errorf("usbfp: close manager: a session is open: %w", devices.ErrBusy)
		}
	}
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	return m.usb.Close()
}

// lockedRandom serialises draws from the manager's source across sessions.
type lockedRandom struct{ m *Manager }

func (r lockedRandom) Uint32() uint32 {
	r.m.randMu.Lock()
	defer r.m.randMu.Unlock()
	return r.m.cfg.Random.Uint32()
}

// errNotFound is returned by open when the device vanished before opening.
var errNotFound = errors.New("device not found on the bus")
