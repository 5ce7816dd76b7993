//go:build tools

// Package tools pins the build tools kept out of the main module: nfpm,
// which hack/package.sh runs with `go run` from this module.
package tools

import (
	_ "github.com/goreleaser/nfpm/v2/cmd/nfpm"
)
