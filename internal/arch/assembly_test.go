package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// assembled are the constructors of the daemon's parts that only its
// assembly calls: the gateway and the pipeline are wired in one function
// (internal/daemon), which cmd/biogated and internal/gatewaytest both run.
var assembled = []string{"gateway.New", "pipeline.New"}

// TestWiredOnce: outside tests, each of assembled is called exactly once,
// and in the same function of internal/daemon.
func TestWiredOnce(t *testing.T) {
	calls := constructorCalls(t)
	var where string
	for _, c := range assembled {
		sites := calls[c]
		if len(sites) != 1 {
			t.Errorf("%s is called at %v; want exactly one call, in internal/daemon", c, sites)
			continue
		}
		if !strings.HasPrefix(sites[0], "internal/daemon/") {
			t.Errorf("%s is called at %s; want it in internal/daemon", c, sites[0])
		}
		if where == "" {
			where = sites[0]
		} else if fn := strings.SplitN(sites[0], " ", 2)[1]; fn != strings.SplitN(where, " ", 2)[1] {
			t.Errorf("%s is called in %s, the gateway in %s: the parts are wired in one function", c, sites[0], where)
		}
	}
}

// constructorCalls finds, in the module's non-test Go files, every call
// PKG.New where PKG is a module package named in assembled, as
// "file func" by "pkg.New".
func constructorCalls(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	wanted := map[string]string{} // import path -> "pkg.New"
	for _, c := range assembled {
		pkg, _, _ := strings.Cut(c, ".")
		wanted[mod+pkg] = c
	}
	calls := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		names := map[string]string{} // local name -> "pkg.New"
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			c, ok := wanted[p]
			if !ok {
				continue
			}
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = c
		}
		if len(names) == 0 {
			return nil
		}
		file, _ := filepath.Rel(root, path)
		for _, decl := range f.Decls {
			fn := "(package level)"
			if fd, ok := decl.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "New" {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok {
					if c, ok := names[id.Name]; ok {
						calls[c] = append(calls[c], filepath.ToSlash(file)+" "+fn)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return calls
}
