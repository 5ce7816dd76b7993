package attest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The attest package depends on the standard library only (no gocv, no
// gousb, nothing of the gateway), so any verifier may import it.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/biogate/biogate/gateway/attest" {
			t.Errorf("gateway/attest depends on %s", p)
		}
	}
}
