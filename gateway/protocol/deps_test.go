package protocol

import (
	"os/exec"
	"strings"
	"testing"
)

// The gateway never imports gocv or gousb (ARCHITECTURE.md); the protocol
// package goes further: the standard library, gateway/iin and the outcome
// vocabulary (a leaf) only.
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
	allowed := map[string]bool{
		"github.com/biogate/biogate/gateway/protocol": true,
		"github.com/biogate/biogate/gateway/iin":      true,
		"github.com/biogate/biogate/outcome":          true,
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("gateway/protocol depends on %s", p)
		}
	}
}
