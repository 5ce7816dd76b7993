package usbfp

import (
	"context"
	"log/slog"
	"os"

	"github.com/biogate/biogate/devices"
)

// EmulationEnv is libfprint's switch for its umockdev recordings: when it is
// "1", readers opened through the registry draw their random numbers from
// EmulationRandom, so that the recorded challenges replay.
const EmulationEnv = "FP_DEVICE_EMULATION"

// EmulationRandom returns the random source libfprint uses under emulation
// (GLib's generator seeded with GLibEmulationSeed) when EmulationEnv is
// "1", and nil (Config's default, CryptoRandom) otherwise.
func EmulationRandom() RandomSource {
	if os.Getenv(EmulationEnv) == "1" {
		return NewGLibRand(GLibEmulationSeed)
	}
	return nil
}

func init() { devices.RegisterFingerprintReader("usb", openReader) }

// openReader opens "usb:TARGET" for devices.OpenFingerprintReader: TARGET is
// a bus path ("1-10", as Readers reports it and sysfs names the port), USB
// ids ("05ba:000a", the first reader with them) or empty (the first
// supported reader by bus path). The reader gets a Manager of its own,
// which lives as long as it: one process, one reader, no polling and no
// arrival log lines. A daemon that shares readers between sessions makes one
// Manager and calls Acquire instead.
func openReader(ctx context.Context, target string) (devices.FingerprintReader, error) {
	m, err := New(Config{Random: EmulationRandom(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	s, err := m.Acquire(ctx, target)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &ownedSession{Session: s, m: m}, nil
}

// ownedSession is a Session that closes its private Manager after itself.
type ownedSession struct {
	*Session
	m *Manager
}

// Close closes the session, then its Manager. It is idempotent, as both
// are.
func (o *ownedSession) Close() error {
	err := o.Session.Close()
	if merr := o.m.Close(); err == nil {
		err = merr
	}
	return err
}
