package usbfp

import (
	"errors"
	"strconv"
	"testing"

	"github.com/google/gousb"

	"github.com/biogate/biogate/devices"
)

func TestBusPath(t *testing.T) {
	for _, c := range []struct {
		bus  int
		path []int
		want string
	}{
		{1, []int{10}, "1-10"},
		{3, []int{1, 4}, "3-1.4"},
		{2, nil, "2-0"},
	} {
		if got := busPath(&gousb.DeviceDesc{Bus: c.bus, Path: c.path}); got != c.want {
			t.Errorf("bus %d path %v: %q, want %q", c.bus, c.path, got, c.want)
		}
	}
}

func TestMatchSpec(t *testing.T) {
	m := &Manager{readers: map[string]*slot{}}
	for _, r := range []struct {
		path     string
		vid, pid uint16
	}{{"3-2", 0x298d, 0x1010}, {"1-10", 0x05ba, 0x000a}, {"1-2", 0x147e, 0x2016}} {
		m.readers[r.path] = &slot{info: devices.FingerprintInfo{BusPath: r.path, VendorID: r.vid, ProductID: r.pid}}
	}
	for _, c := range []struct {
		spec, want string
		err        error
	}{
		{"", "1-10", nil}, // the first by bus path
		{"usb:298d:1010", "3-2", nil},
		{"usb:147E:2016", "1-2", nil},
		{"usb:3-2", "3-2", nil},
		{"1-2", "1-2", nil},
		{"usb:045e:00bd", "", devices.ErrNoDevice},
		{"usb:zz:1010", "", devices.ErrNoDevice},
		{"usb:9-9", "", devices.ErrNoDevice},
	} {
		s, err := m.match(c.spec)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%q: %v, want %v", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || s.info.BusPath != c.want {
			t.Errorf("%q: %v %v, want %s", c.spec, s, err, c.want)
		}
	}
	empty := &Manager{readers: map[string]*slot{}}
	if _, err := empty.match(""); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("no readers: %v, want ErrNoDevice", err)
	}
}

func TestDriverTable(t *testing.T) {
	want := map[string]string{
		"045e:00bb": "uru4000", "045e:00bc": "uru4000", "045e:00bd": "uru4000", "045e:00ca": "uru4000",
		"05ba:0007": "uru4000", "05ba:0008": "uru4000", "05ba:000a": "uru4000",
		"298d:1010": "nb1010", "147e:2016": "upektc_img", "147e:2020": "upektc_img",
	}
	got := Supported()
	if len(got) != len(want) {
		t.Fatalf("supported %v, want %d ids", got, len(want))
	}
	for _, id := range got {
		vid, err1 := strconv.ParseUint(id[:4], 16, 16)
		pid, err2 := strconv.ParseUint(id[5:], 16, 16)
		if err1 != nil || err2 != nil || id[4] != ':' {
			t.Fatalf("id %q is not vvvv:pppp", id)
		}
		m, ok := lookup(uint16(vid), uint16(pid))
		if !ok || m.driver != want[id] {
			t.Errorf("%s: driver %q, want %q", id, m.driver, want[id])
		}
		if m.newDriver == nil || m.ppi != 500 || m.width == 0 || m.height == 0 {
			t.Errorf("%s: incomplete table row %+v", id, m)
		}
	}
	if _, ok := lookup(0x08ff, 0x5731); ok {
		t.Error("aes3500 has no driver here but is in the table")
	}
}

func TestUDFCRC(t *testing.T) {
	// The CRCs libfprint's upektc_img.h carries for its fixed commands.
	for _, cmd := range [][]byte{upekInit1, upekInit2, upekInit3, upekInit4, upekInitCapture, upekAck0028, upekAck08, upekAckFrame} {
		crc := udfCRC(cmd[4 : len(cmd)-2])
		if got := []byte{byte(crc), byte(crc >> 8)}; got[0] != cmd[len(cmd)-2] || got[1] != cmd[len(cmd)-1] {
			t.Errorf("% x: crc % x, header has % x", cmd, got, cmd[len(cmd)-2:])
		}
	}
}

func TestFinishImageFlags(t *testing.T) {
	pix := []byte{1, 2, 3, 4, 5, 6} // 3x2
	img := finishImage(pix, 3, 2, 500, flagHFlipped|flagVFlipped|flagInverted)
	want := []byte{255 - 6, 255 - 5, 255 - 4, 255 - 3, 255 - 2, 255 - 1}
	for i := range want {
		if img.Pix[i] != want[i] {
			t.Fatalf("pixels %v, want %v", img.Pix, want)
		}
	}
}
