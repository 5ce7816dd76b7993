package token

import (
	"os/exec"
	"strings"
	"testing"
)

// The token package is the only cgo PKCS#11 user: it depends on the
// standard library, gateway/document (and what that allows), go-jose and
// miekg/pkcs11, never on the gateway, so a verifier or a key tool can
// import it alone; and gateway/document never imports it.
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
		case p == "github.com/biogate/biogate/gateway/document/token", p == "github.com/biogate/biogate/gateway/document",
			p == "github.com/biogate/biogate/gateway/iin", p == "github.com/biogate/biogate/outcome",
			p == "github.com/miekg/pkcs11", strings.HasPrefix(p, "github.com/go-jose/go-jose/v4"):
		default:
			t.Errorf("gateway/document/token depends on %s", p)
		}
	}
}
