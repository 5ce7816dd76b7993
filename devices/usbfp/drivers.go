package usbfp

import (
	"context"
	"time"

	"github.com/biogate/biogate/devices"
)

// driver runs one capture on an opened, claimed device: activation, wait for
// a finger, imaging, wait for the finger to leave, deactivation, exactly in
// the order libfprint's driver does it (the recordings hold that order).
type driver interface {
	capture(ctx context.Context, l *link, opts devices.CaptureOptions) (*devices.FingerprintImage, error)
}

// model is one row of the driver table.
type model struct {
	vendor, product uint16
	// driver is the protocol's name, as libfprint names its driver.
	driver string
	// name is the product name reported in FingerprintInfo.
	name string
	scan devices.ScanType
	// ppi is the nominal resolution (libfprint assumes 500 for these).
	ppi           int
	width, height int
	// iface is the interface number to claim (-1: the first vendor-specific
	// interface, class/subclass/protocol 255).
	iface int
	// controlTimeout bounds each control transfer.
	controlTimeout time.Duration
	// newDriver makes the protocol state for one capture.
	newDriver func(rnd RandomSource) driver
}

// models is the driver table, keyed by vendor:product through lookup.
var models = []model{
	uru4000Model(0x045e, 0x00bb, "Microsoft Keyboard with Fingerprint Reader", msKbd),
	uru4000Model(0x045e, 0x00bc, "Microsoft Wireless IntelliMouse with Fingerprint Reader", msIntellimouse),
	uru4000Model(0x045e, 0x00bd, "Microsoft Fingerprint Reader", msStandalone),
	uru4000Model(0x045e, 0x00ca, "Microsoft Fingerprint Reader v2", msStandaloneV2),
	uru4000Model(0x05ba, 0x0007, "Digital Persona U.are.U 4000", dpURU4000),
	uru4000Model(0x05ba, 0x0008, "Digital Persona U.are.U 4000 (keyboard)", dpURU4000),
	uru4000Model(0x05ba, 0x000a, "Digital Persona U.are.U 4000B/4500", dpURU4000B),
	{
		vendor: 0x298d, product: 0x1010, driver: "nb1010", name: "NEXT Biometrics NB-1010-U",
		scan: devices.ScanPress, ppi: 500, width: nb1010Width, height: nb1010Height, iface: 0,
		controlTimeout: time.Second,
		newDriver:      func(RandomSource) driver { return &nb1010{} },
	},
	upektcModel(0x2016),
	upektcModel(0x2020),
}

// lookup returns the table row for vendor:product.
func lookup(vendor, product uint16) (model, bool) {
	for _, m := range models {
		if m.vendor == vendor && m.product == product {
			return m, true
		}
	}
	return model{}, false
}

// Supported lists the vendor:product pairs the package drives, as
// "vvvv:pppp".
func Supported() []string {
	out := make([]string, 0, len(models))
	for _, m := range models {
		out = append(out, hexID(m.vendor)+":"+hexID(m.product))
	}
	return out
}

func hexID(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}
