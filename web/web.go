// Package web holds biogated's kiosk page and the protocol client it uses,
// built from the TypeScript in app/src and client/src (npm run build) and
// embedded here, so `go build` needs no npm. hack/web-test.sh checks that
// the committed build equals a fresh one.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed app/public app/dist client/dist
var assets embed.FS

// contentSecurityPolicy lets the page load only its own files and open
// only its own origin's WebSocket: nothing from elsewhere, no inline code.
// Kiosk previews are data: images.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// prefixes are the folders of assets served as they are.
var prefixes = []string{"/app/public/", "/app/dist/", "/client/dist/"}

// Handler serves the page at "/" and its assets under /app/ and /client/;
// every other path is 404. It needs no API key: the page asks the operator
// for one and keeps it in the browser. Safe for concurrent use.
func Handler() http.Handler {
	files := http.FileServerFS(assets)
	index, err := assets.ReadFile("app/public/index.html")
	if err != nil {
		panic("web: index.html is not embedded: " + err.Error()) // a build defect
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(self), microphone=()")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(index)
		case servable(r.URL.Path):
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// servable: a file (not a folder listing) under one of the prefixes.
func servable(p string) bool {
	for _, pre := range prefixes {
		if strings.HasPrefix(p, pre) && !strings.HasSuffix(p, "/") {
			_, err := fs.Stat(assets, strings.TrimPrefix(p, "/"))
			return err == nil
		}
	}
	return false
}
