package outcome

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// tables maps each type's name to its All* list.
func tables() map[string][]string {
	return map[string][]string{
		"Decision":       strs(Decisions()),
		"Reason":         strs(Reasons()),
		"Liveness":       strs(Livenesses()),
		"Command":        strs(Commands()),
		"CommandStatus":  strs(CommandStatuses()),
		"CommandOutcome": strs(CommandOutcomes()),
		"CommandReason":  strs(CommandReasons()),
		"Departure":      strs(Departures()),
		"IDEC":           strs(IDECs()),
		"Finger":         strs(Fingers()),
		"Modality":       strs(Modalities()),
	}
}

// Every typed constant declared in the package is in its type's table, so
// the tables the other layers' tests iterate over are exhaustive.
func TestTablesListEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "outcome.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	tabs, n := tables(), 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok {
				t.Errorf("%s: constant without a type of this package", vs.Names[0])
				continue
			}
			tab, ok := tabs[typ.Name]
			if !ok {
				t.Errorf("%s: type %s has no table in this test", vs.Names[0], typ.Name)
				continue
			}
			for _, v := range vs.Values {
				s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				n++
				if !slices.Contains(tab, s) {
					t.Errorf("%s %q (%s) is missing from its All* list", typ.Name, s, vs.Names[0])
				}
			}
		}
	}
	total := 0
	for _, tab := range tabs {
		total += len(tab)
	}
	if n != total {
		t.Errorf("%d constants declared, %d listed", n, total)
	}
}

// Every word is a stable snake_case identifier, listed once in its table.
func TestWordsAreStableIdentifiers(t *testing.T) {
	word := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for name, words := range tables() {
		if len(words) == 0 {
			t.Errorf("%s: empty table", name)
		}
		seen := map[string]bool{}
		for _, w := range words {
			if !word.MatchString(w) {
				t.Errorf("%s %q is not a snake_case identifier", name, w)
			}
			if seen[w] {
				t.Errorf("%s %q listed twice", name, w)
			}
			seen[w] = true
		}
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
