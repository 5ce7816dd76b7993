package idechttp

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

// openAPI is the part of an OpenAPI 3.0 document this test reads.
type openAPI struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		Schemas    map[string]openAPISchema `json:"schemas"`
		Parameters map[string]struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
	} `json:"components"`
	MutualTLS *struct {
		MinTLSVersion string `json:"minTLSVersion"`
	} `json:"x-mutual-tls"`
}

type openAPIOp struct {
	Parameters []struct {
		Ref string `json:"$ref"`
	} `json:"parameters"`
	Responses map[string]struct {
		Description string   `json:"description"`
		Retryable   *bool    `json:"x-retryable"`
		ErrorCodes  []string `json:"x-error-codes"`
	} `json:"responses"`
}

type openAPISchema struct {
	Ref         string                   `json:"$ref"`
	Type        string                   `json:"type"`
	Format      string                   `json:"format"`
	Description string                   `json:"description"`
	Required    []string                 `json:"required"`
	Enum        []string                 `json:"enum"`
	Properties  map[string]openAPISchema `json:"properties"`
}

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIDescribesEveryField: every JSON field of the wire types is a
// described property of the schema of the same name, with a type and
// format matching the Go type, and required unless omitempty.
func TestOpenAPIDescribesEveryField(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, v := range []any{VerifyRequest{}, FingerVerifyRequest{}, FingerSample{}, VerifyResponse{}, ErrorResponse{}, EnrollRequest{}, FingerEnrollRequest{}, CaptureMeta{}} {
		typ := reflect.TypeOf(v)
		schema, ok := doc.Components.Schemas[typ.Name()]
		if !ok {
			t.Errorf("no schema %s", typ.Name())
			continue
		}
		if schema.Description == "" {
			t.Errorf("schema %s has no description", typ.Name())
		}
		var names []string
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				t.Errorf("%s.%s has no JSON name", typ.Name(), f.Name)
				continue
			}
			names = append(names, name)
			prop, ok := schema.Properties[name]
			if !ok {
				t.Errorf("%s: property %q missing", typ.Name(), name)
				continue
			}
			if prop.Ref != "" {
				if want := "#/components/schemas/" + f.Type.Name(); prop.Ref != want {
					t.Errorf("%s.%s: $ref %s, want %s", typ.Name(), name, prop.Ref, want)
				}
			} else {
				if prop.Description == "" {
					t.Errorf("%s.%s: no description", typ.Name(), name)
				}
				wantType, wantFormat := jsonType(f.Type)
				if prop.Type != wantType || (wantFormat != "" && prop.Format != wantFormat) {
					t.Errorf("%s.%s: type %s format %q, want %s %q", typ.Name(), name, prop.Type, prop.Format, wantType, wantFormat)
				}
			}
			if required := slices.Contains(schema.Required, name); required == strings.Contains(opts, "omitempty") {
				t.Errorf("%s.%s: required = %v but the tag is %q", typ.Name(), name, required, tag)
			}
		}
		for name := range schema.Properties {
			if !slices.Contains(names, name) {
				t.Errorf("%s: schema property %q is not a field of the Go type", typ.Name(), name)
			}
		}
	}
}

func jsonType(t reflect.Type) (typ, format string) {
	switch {
	case t == reflect.TypeOf(time.Time{}):
		return "string", "date-time"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "string", "byte"
	case t.Kind() == reflect.String:
		return "string", ""
	case t.Kind() == reflect.Float64:
		return "number", "double"
	case t.Kind() == reflect.Int:
		return "integer", "int32"
	case t.Kind() == reflect.Struct:
		return "object", ""
	}
	return t.Kind().String(), ""
}

// contractCodes reads the Code* constants of wire.go with the HTTP
// status their comment gives ("// 400: ..."), so a new code cannot be
// added without this test noticing.
func contractCodes(t *testing.T) map[string]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "wire.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Code") || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || vs.Comment == nil {
				t.Fatalf("%s: want a string literal with a // <status>: comment", vs.Names[0].Name)
			}
			code, _ := strconv.Unquote(lit.Value)
			statusText, _, _ := strings.Cut(strings.TrimSpace(vs.Comment.Text()), ":")
			status, err := strconv.Atoi(statusText)
			if err != nil {
				t.Fatalf("%s: comment %q does not start with a status", vs.Names[0].Name, vs.Comment.Text())
			}
			codes[code] = status
		}
	}
	if len(codes) < 7 {
		t.Fatalf("found only %d Code constants", len(codes))
	}
	return codes
}

// TestOpenAPIListsEveryCode: every Code* constant is in the ErrorResponse
// enum and under its status in the responses of a verify path (face or
// finger), the client classifies it as a sentinel, and x-retryable agrees
// with the client's retry rule on both paths.
func TestOpenAPIListsEveryCode(t *testing.T) {
	doc := loadOpenAPI(t)
	codes := contractCodes(t)
	enum := doc.Components.Schemas["ErrorResponse"].Properties["code"].Enum
	verifies := []openAPIOp{doc.Paths[PathVerify]["post"], doc.Paths[PathVerifyFinger]["post"]}
	for code, status := range codes {
		if !slices.Contains(enum, code) {
			t.Errorf("code %s not in the ErrorResponse enum", code)
		}
		listed := false
		for _, verify := range verifies {
			resp, ok := verify.Responses[strconv.Itoa(status)]
			listed = listed || ok && slices.Contains(resp.ErrorCodes, code)
		}
		if !listed {
			t.Errorf("code %s not listed under a verify response %d", code, status)
		}
		if kind := classifyStatus(status, code); kind == idec.ErrBadResponse {
			t.Errorf("the client does not classify code %s", code)
		}
		if kind := classifyStatus(0, code); kind == idec.ErrBadResponse {
			t.Errorf("the client classifies code %s by status only", code)
		}
	}
	for _, code := range enum {
		if _, ok := codes[code]; !ok {
			t.Errorf("enum code %s is not a Code constant", code)
		}
	}
	for _, verify := range verifies {
		if len(verify.Responses) == 0 {
			t.Fatal("a verify path has no responses")
		}
		for status, resp := range verify.Responses {
			n, err := strconv.Atoi(status)
			if err != nil {
				t.Fatalf("response %q", status)
			}
			if resp.Retryable == nil || *resp.Retryable != retryableStatus(n) {
				t.Errorf("verify response %d: x-retryable missing or not %v, as the client retries", n, retryableStatus(n))
			}
			for _, code := range resp.ErrorCodes {
				if codes[code] != n {
					t.Errorf("verify response %d lists code %s, which wire.go gives status %d", n, code, codes[code])
				}
			}
			if resp.Description == "" {
				t.Errorf("verify response %d: no description", n)
			}
		}
	}
}

func TestOpenAPIPaths(t *testing.T) {
	doc := loadOpenAPI(t)
	paths := map[string]string{PathVerify: "post", PathVerifyFinger: "post", PathEnroll: "post", PathEnrollFinger: "post", PathHealth: "get"}
	for path, method := range paths {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("no %s %s", method, path)
		}
	}
	if len(doc.Paths) != len(paths) {
		t.Errorf("%d paths, want %d", len(doc.Paths), len(paths))
	}
	if _, ok := doc.Paths[PathVerify]["post"].Responses["200"]; !ok {
		t.Error("verify has no 200")
	}
	if _, ok := doc.Paths[PathEnroll]["post"].Responses["204"]; !ok {
		t.Error("enroll has no 204")
	}
	p := doc.Components.Parameters["RequestID"]
	if p.Name != HeaderRequestID || p.In != "header" || !p.Required {
		t.Errorf("request id parameter = %+v", p)
	}
	for _, path := range []string{PathVerify, PathVerifyFinger} {
		if refs := doc.Paths[path]["post"].Parameters; len(refs) != 1 || refs[0].Ref != "#/components/parameters/RequestID" {
			t.Errorf("%s parameters = %+v", path, refs)
		}
	}
	if doc.MutualTLS == nil || doc.MutualTLS.MinTLSVersion != "1.2" {
		t.Error("x-mutual-tls missing or not TLS 1.2+")
	}
	dec := doc.Components.Schemas["VerifyResponse"].Properties["decision"].Enum
	if !slices.Equal(dec, []string{DecisionMatch, DecisionNoMatch}) {
		t.Errorf("decision enum = %v", dec)
	}
}
