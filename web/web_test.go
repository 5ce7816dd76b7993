package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

// TestPageAndItsAssets: the page loads, and every script, style and module
// it refers to is served with a fitting type.
func TestPageAndItsAssets(t *testing.T) {
	h := Handler()
	resp, page := get(t, h, "/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("page refers to %d assets", len(refs))
	}
	todo := []string{}
	for _, m := range refs {
		todo = append(todo, "/"+m[1])
	}
	seen := map[string]bool{}
	importRe := regexp.MustCompile(`(?m)^(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"`)
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		resp, body := get(t, h, p)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
			continue
		}
		ct := resp.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(p, ".js"):
			if !strings.Contains(ct, "javascript") {
				t.Errorf("%s: Content-Type %q", p, ct)
			}
			// Follow the module's relative imports, as the browser would.
			dir := p[:strings.LastIndex(p, "/")+1]
			for _, m := range importRe.FindAllStringSubmatch(body, -1) {
				todo = append(todo, resolve(dir, m[1]))
			}
		case strings.HasSuffix(p, ".css"):
			if !strings.Contains(ct, "text/css") {
				t.Errorf("%s: Content-Type %q", p, ct)
			}
		}
	}
	if !seen["/client/dist/index.js"] || !seen["/client/dist/session.js"] {
		t.Errorf("the page's modules do not reach the client library: %v", seen)
	}
}

// resolve joins a relative module path to dir, as a URL would.
func resolve(dir, rel string) string {
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	for _, s := range strings.Split(rel, "/") {
		switch s {
		case ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, s)
		}
	}
	return "/" + strings.Join(parts, "/")
}

func TestOnlyAssetsServed(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/web.go", "/app/src/main.ts", "/app/dist/", "/client/", "/app/public/../../web.go", "/nothing"} {
		if resp, _ := get(t, h, p); resp.StatusCode == 200 {
			t.Errorf("GET %s: 200, want an error", p)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", rec.Code)
	}
}
