package document

import (
	"os/exec"
	"strings"
	"testing"
)

// The document package is part of the gateway (never gocv or gousb,
// ARCHITECTURE.md) and goes further: the standard library, go-jose,
// gateway/iin and the outcome vocabulary (a leaf) only, so a loan system's
// verifier can import it alone.
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
		switch {
		case p == "github.com/biogate/biogate/gateway/document", p == "github.com/biogate/biogate/gateway/iin",
			p == "github.com/biogate/biogate/outcome",
			strings.HasPrefix(p, "github.com/go-jose/go-jose/v4"):
		default:
			t.Errorf("gateway/document depends on %s", p)
		}
	}
}
