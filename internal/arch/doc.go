// Package arch holds no code: its test checks that the packages' imports
// follow the one-way dependencies of docs/ARCHITECTURE.md (in shared/).
package arch
