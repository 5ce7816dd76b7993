package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/devices/usbfp/usbfptest"
	"github.com/biogate/biogate/gateway"
)

// With --fingerprint the daemon finds the USB readers and lists them in
// /v1/devices: here a real NEXT NB-1010-U, replayed from libfprint's
// recording under umockdev (the daemon runs as a child process under
// umockdev-run, through real libusb).
func TestDaemonListsFingerprintReaders(t *testing.T) {
	dir := usbfptest.Dir(t, "nb1010")
	keys := filepath.Join(t.TempDir(), "keys")
	const adminKey = "admin-key-for-tests-0123456789"
	if err := os.WriteFile(keys, []byte(adminKey+" admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(daemonArgs(t), "--api-keys", keys, "--fingerprint")
	addr, _ := daemonProcess(t, args, append(append([]string{"umockdev-run"}, usbfptest.Args(t, dir)...), "--")...)

	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/devices", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Devices []gateway.Device }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var readers []gateway.Device
	for _, d := range body.Devices {
		if d.Kind == "fingerprint" {
			readers = append(readers, d)
		}
	}
	if len(readers) != 1 || readers[0].Backend != "usb" || !readers[0].Available || readers[0].ID == "usb:" {
		t.Errorf("/v1/devices %+v; want the one NB-1010-U reader", body.Devices)
	}
}
