package arch

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// pkg is one package of the module as go list describes it.
type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

// rel is the path inside the module ("" for a path outside it).
func rel(path string) string {
	r, ok := strings.CutPrefix(path, mod)
	if !ok {
		return ""
	}
	return r
}

// all imports of p, its tests' included, by path inside the module.
func (p pkg) all() []string {
	var out []string
	for _, list := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
		for _, imp := range list {
			if r := rel(imp); r != "" && imp != p.ImportPath {
				out = append(out, r)
			}
		}
	}
	return out
}

// packages lists every package of the module (go list ./...).
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", mod+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// TestLayout enforces where the assembly, the pipeline and the emulator
// may be imported from (docs/ARCHITECTURE.md in shared/): commands are
// leaves, the pipeline is wired only by the daemon's assembly, and the
// gateway knows neither.
func TestLayout(t *testing.T) {
	pkgs := packages(t)
	for _, p := range pkgs {
		self := rel(p.ImportPath)
		for _, imp := range p.all() {
			if problem := layoutViolation(self, imp); problem != "" {
				t.Errorf("%s imports %s: %s", self, imp, problem)
			}
		}
	}
	// What the pipeline itself may import, outside its tests.
	for _, p := range pkgs {
		if rel(p.ImportPath) != "pipeline" {
			continue
		}
		for _, imp := range p.Imports {
			if r := rel(imp); r != "" && !pipelineMayImport(r) {
				t.Errorf("pipeline imports %s: only the vision packages, devices and gateway (with gateway/protocol)", r)
			}
		}
	}
	// The gateway and everything it depends on, not only what it names.
	for _, g := range []string{"gateway", "gateway/..."} {
		for _, d := range depsOf(t, g) {
			if bad, ok := gatewayMustNotReach(rel(d)); ok {
				t.Errorf("%s depends on %s", g, bad)
			}
		}
	}
}

// layoutViolation says why package self may not import imp ("" if it may).
func layoutViolation(self, imp string) string {
	switch {
	case under(imp, "cmd") && !under(self, "cmd"):
		return "nothing outside cmd/ imports a command's package"
	case imp == "pipeline" && !under(self, "cmd") && self != "internal/daemon" && self != "internal/gatewaytest":
		return "the pipeline is wired only by internal/daemon (and internal/gatewaytest, cmd/)"
	case under(imp, "internal/daemon") && !under(self, "cmd") && self != "internal/gatewaytest" && !under(self, "internal/daemon"):
		return "the daemon's assembly is run only by cmd/ and internal/gatewaytest"
	case under(self, "gateway"):
		if bad, ok := gatewayMustNotReach(imp); ok {
			return "the gateway never knows " + bad
		}
	}
	return ""
}

// gatewayMustNotReach reports whether the gateway may not depend on path.
func gatewayMustNotReach(path string) (string, bool) {
	for _, dir := range []string{"pipeline", "internal/daemon", "internal/idecemu"} {
		if under(path, dir) {
			return path, true
		}
	}
	return "", false
}

// pipelineMayImport lists the pipeline's allowed imports inside the module
// (the vision packages, the devices contract, the gateway's contract and
// the outcome vocabulary).
func pipelineMayImport(path string) bool {
	for _, dir := range []string{"capture", "liveness", "models", "fingerprint"} { // the vision packages
		if under(path, dir) {
			return true
		}
	}
	return slices.Contains([]string{"devices", "gateway", "gateway/protocol", "outcome"}, path)
}

// depsOf lists the non-test dependencies of the packages pattern matches.
func depsOf(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+pattern).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	return strings.Fields(string(out))
}

// The rules themselves, on imports that break them and imports that keep
// them: a rule that cannot fail protects nothing.
func TestLayoutRules(t *testing.T) {
	for _, tc := range []struct {
		self, imp string
		bad       bool
	}{
		{"internal/gatewaytest", "cmd/biogated", true},
		{"gateway", "cmd/idec-emulator", true},
		{"cmd/biogate", "cmd/biogated/whatever", false},
		{"cmd/biogated", "pipeline", false},
		{"internal/daemon", "pipeline", false},
		{"internal/gatewaytest", "pipeline", false},
		{"gateway", "pipeline", true},
		{"liveness", "pipeline", true},
		{"internal/daemon", "internal/daemon", false},
		{"cmd/biogated", "internal/daemon", false},
		{"internal/gatewaytest", "internal/daemon", false},
		{"pipeline", "internal/daemon", true},
		{"devices/relay", "internal/daemon", true},
		{"gateway/idec", "internal/idecemu", true},
		{"gateway", "internal/idecemu/idecemutest", true},
		{"gateway", "internal/testenv", false},
		{"internal/gatewaytest", "internal/idecemu/idecemutest", false},
		{"pipeline", "gateway", false},
	} {
		if got := layoutViolation(tc.self, tc.imp) != ""; got != tc.bad {
			t.Errorf("%s importing %s: violation %v, want %v", tc.self, tc.imp, got, tc.bad)
		}
	}
	for path, ok := range map[string]bool{"capture": true, "liveness/challenge": true, "models": true, "fingerprint": true,
		"devices": true, "gateway": true, "gateway/protocol": true, "outcome": true,
		"devices/gocvcam": false, "gateway/evidence": false, "internal/daemon": false, "cmd/biogated": false} {
		if pipelineMayImport(path) != ok {
			t.Errorf("pipeline importing %s allowed: %v, want %v", path, !ok, ok)
		}
	}
}
