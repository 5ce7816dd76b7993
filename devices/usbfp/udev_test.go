package usbfp

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestUdevRuleCoversSupported checks that the Debian package's udev rule
// gives group biogate exactly the readers the package drives.
func TestUdevRuleCoversSupported(t *testing.T) {
	b, err := os.ReadFile("../../deploy/debian/60-biogate-fingerprint.rules")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})", GROUP="biogate", MODE="0660"`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1]+":"+m[2])
	}
	want := Supported()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("udev rule has %v, usbfp drives %v", got, want)
	}
}
