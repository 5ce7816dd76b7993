package arch

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/biogate/biogate/"

// deps lists the non-test dependencies of a package, as go list sees them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestDependenciesPointOneWay(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string // prefixes
	}{
		// The contract and the outcome vocabulary import only the standard
		// library: every package may spell its words from them.
		{"devices", []string{""}},
		{"outcome", []string{""}},
		// Capture knows the contract and the models, never a backend.
		{"capture", []string{mod + "devices/", mod + "liveness", mod + "gateway", "github.com/google/gousb"}},
		{"models", []string{mod + "devices", mod + "capture", mod + "liveness", mod + "gateway", "github.com/google/gousb"}},
		// The relay camera is fed by the gateway but knows only the contract.
		{"devices/relay", []string{"gocv.io/", mod + "capture", mod + "liveness", mod + "gateway", mod + "models"}},
		// Backends never reach up.
		{"devices/gocvcam", []string{mod + "capture", mod + "liveness", mod + "gateway", mod + "models"}},
		{"devices/imagedir", []string{mod + "capture", mod + "liveness", mod + "gateway", mod + "models"}},
		// The challenge state machine knows nothing of cameras or pixels.
		{"liveness/challenge", []string{"gocv.io/", mod + "devices", mod + "capture", mod + "models", mod + "gateway"}},
		// The gateway talks to hardware and models only through interfaces.
		{"gateway/idec", []string{"gocv.io/", "github.com/google/gousb", mod + "devices", mod + "capture", mod + "models", mod + "liveness"}},
		{"gateway/idec/idechttp", []string{"gocv.io/", "github.com/google/gousb", mod + "devices", mod + "capture", mod + "models", mod + "liveness"}},
		{"gateway/iin", []string{""}},
		{"gateway", []string{"gocv.io/", "github.com/google/gousb", mod + "devices/gocvcam", mod + "devices/imagedir", mod + "devices/relay", mod + "capture", mod + "models", mod + "liveness"}},
		{"gateway/protocol", []string{"gocv.io/", "github.com/google/gousb", mod + "devices", mod + "capture", mod + "models", mod + "liveness"}},
		// Documents and evidence are records: no hardware, no models, no
		// sessions (a loan system may import the document package alone).
		{"gateway/document", []string{"gocv.io/", "github.com/google/gousb", mod + "devices", mod + "capture", mod + "models", mod + "liveness", mod + "gateway/evidence", mod + "gateway/protocol", mod + "gateway/idec"}},
		{"gateway/evidence", []string{"gocv.io/", "github.com/google/gousb", mod + "devices", mod + "capture", mod + "models", mod + "liveness", mod + "gateway/document", mod + "gateway/protocol", mod + "gateway/idec"}},
		// USB readers: libusb through gousb and the contract, nothing above.
		{"devices/usbfp", []string{"gocv.io/", mod + "capture", mod + "liveness", mod + "gateway", mod + "models", mod + "devices/gocvcam", mod + "devices/relay"}},
		// Fingerprints: the devices contract, the standard library and
		// the matcher library (SourceAFIS's Go port, which brings
		// golang.org/x/exp); image formats beyond the standard library's
		// are the programs' choice.
		{"fingerprint", []string{"gocv.io/", "github.com/google/", "golang.org/x/image", "golang.org/x/net", "golang.org/x/sys", mod + "devices/", mod + "capture", mod + "models", mod + "liveness", mod + "gateway", mod + "pipeline", mod + "internal", mod + "cmd"}},
		// Liveness builds on capture and the models, never on a backend.
		{"liveness", []string{mod + "devices/", mod + "gateway", "github.com/google/gousb"}},
		// The attack generator is a client: it knows the protocol and the
		// relay framing, never the gateway's, the daemon's or the
		// pipeline's insides.
		{"attack", []string{mod + "gateway/idec", mod + "gateway/document", mod + "gateway/evidence",
			mod + "internal/daemon", mod + "internal/idecemu", mod + "internal/relaycam", mod + "internal/gatewaytest",
			mod + "pipeline", mod + "liveness", mod + "capture", mod + "cmd", "github.com/google/gousb"}},
	}
	for _, r := range rules {
		ds := deps(t, r.pkg)
		if r.pkg == "attack" && slices.Contains(ds, mod+"gateway") {
			t.Errorf("attack imports %s: only gateway/protocol of the gateway", mod+"gateway")
		}
		for _, d := range ds {
			if d == mod+r.pkg {
				continue
			}
			for _, f := range r.forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s imports %s", r.pkg, d)
				}
			}
		}
	}
}
