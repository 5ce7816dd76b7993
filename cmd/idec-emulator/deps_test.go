package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: the emulator knows the contract (gateway/idec and its
// HTTP transport gateway/idec/idechttp), IIN rules (gateway/iin), the
// models and the fingerprint matcher, and nothing else of the gateway, the
// devices or liveness (docs/ARCHITECTURE.md in shared/).
func TestDependencies(t *testing.T) {
	const mod = "github.com/biogate/biogate/"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+"cmd/idec-emulator").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{mod + "gateway/idec": true, mod + "gateway/idec/idechttp": true, mod + "gateway/iin": true,
		// Fingerprint verification: package fingerprint (pure Go, no cgo)
		// with its record codecs and WSQ, the finger names of outcome, and
		// the devices contract for the FingerprintImage type fingerprint
		// takes (pure Go; its backends, gocv and gousb, stay out).
		mod + "devices": true, mod + "fingerprint": true, mod + "fingerprint/record": true, mod + "fingerprint/wsq": true,
		mod + "outcome": true}
	for _, d := range strings.Fields(string(out)) {
		for _, f := range []string{mod + "gateway", mod + "devices", mod + "liveness", mod + "fingerprint", mod + "outcome"} {
			if (d == f || strings.HasPrefix(d, f+"/")) && !allowed[d] {
				t.Errorf("idec-emulator imports %s", d)
			}
		}
	}
}
