package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// constsOfType parses the package's non-test sources and returns the values
// of the string constants declared with the named type, so that a constant
// added without a table entry or a line in the document fails the tests.
func constsOfType(t *testing.T, typeName string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var vals []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != typeName {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: a %s constant that is not a string literal", fset.Position(v.Pos()), typeName)
					}
					s, _ := strconv.Unquote(lit.Value)
					vals = append(vals, s)
				}
			}
		}
	}
	if len(vals) == 0 {
		t.Fatalf("no constants of type %s found", typeName)
	}
	return vals
}

func TestEveryErrorCodeHasAnEntry(t *testing.T) {
	declared := constsOfType(t, "ErrorCode")
	listed := ErrorCodes()
	if len(listed) != len(declared) || len(errorTable) != len(declared) {
		t.Errorf("%d codes declared, %d in ErrorCodes, %d in the table", len(declared), len(listed), len(errorTable))
	}
	for _, c := range declared {
		code := ErrorCode(c)
		if !slices.Contains(listed, code) {
			t.Errorf("%s missing from ErrorCodes", c)
		}
		info, ok := code.Info()
		if !ok {
			t.Errorf("%s has no table entry", c)
			continue
		}
		if info.Message == "" || !strings.HasSuffix(info.Message, ".") {
			t.Errorf("%s: message %q: want a sentence", c, info.Message)
		}
		if info.PreUpgrade() {
			if !info.Fatal || info.CloseStatus != 0 {
				t.Errorf("%s: pre-upgrade codes are fatal and have no close status: %+v", c, info)
			}
			if info.HTTPStatus < 400 || info.HTTPStatus > 499 {
				t.Errorf("%s: HTTP status %d, want a 4xx", c, info.HTTPStatus)
			}
		} else if info.Fatal != (info.CloseStatus != 0) {
			t.Errorf("%s: fatal %v with close status %d", c, info.Fatal, info.CloseStatus)
		}
	}
}

func TestNewError(t *testing.T) {
	m := NewError(CodeBusy)
	if m.Code != CodeBusy || !m.Fatal || m.Message == "" {
		t.Errorf("NewError(busy) = %+v", m)
	}
	m = NewError(CodeFrameTooFast)
	if m.Fatal {
		t.Errorf("NewError(frame_too_fast) is fatal")
	}
	m = NewError("made_up")
	if m.Code != CodeInternal || !m.Fatal {
		t.Errorf("NewError(unknown) = %+v, want internal", m)
	}
}

func TestEveryTypeIsListed(t *testing.T) {
	declared := constsOfType(t, "Type")
	listed := append(ClientTypes(), ServerTypes()...)
	if len(declared) != len(listed) {
		t.Errorf("%d types declared, %d listed", len(declared), len(listed))
	}
	for _, d := range declared {
		if !slices.Contains(listed, Type(d)) {
			t.Errorf("type %s is in neither ClientTypes nor ServerTypes", d)
		}
	}
	for _, ty := range ClientTypes() {
		if _, ok := clientTypes[ty]; !ok {
			t.Errorf("client type %s cannot be decoded", ty)
		}
	}
	for _, ty := range ServerTypes() {
		if _, ok := serverTypes[ty]; !ok {
			t.Errorf("server type %s cannot be decoded", ty)
		}
	}
}

// The package's sources must not name the liveness, capture or devices
// packages: the protocol carries their values as plain strings, or as the
// words of package outcome.
func TestNoEngineImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/biogate/biogate/") && p != "github.com/biogate/biogate/gateway/iin" && p != "github.com/biogate/biogate/outcome" {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
