package models

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// manifestTSV is the manifest's one source of truth; hack/fetch-models.sh
// reads the same file, so a model changes in exactly one place.
//
//go:embed manifest.tsv
var manifestTSV string

// Spec describes one model file: where it lives under the models folder, how
// to recognise it and where it came from.
type Spec struct {
	// Name is the stable identifier passed to Lookup and Path, e.g. "yunet".
	Name string
	// File is the path relative to the models folder, slash-separated,
	// e.g. "yunet/face_detection_yunet_2022mar.onnx".
	File string
	// SHA256 is the lower-case hex digest of the exact bytes loaded.
	SHA256 string
	// Size is the file's length in bytes.
	Size int64
	// URL is the upstream download address at a pinned commit. When Patch is
	// not empty the file there is the unpatched original, not File's bytes.
	URL string
	// Licence is the SPDX identifier of the weights' licence, with any caveat.
	Licence string
	// Input is a one-line description of the model's input and output.
	Input string
	// Patch is empty when URL serves File byte for byte; otherwise it says how
	// File was derived from the file at URL, and the file can only be
	// obtained from a mirror.
	Patch string
}

// manifest is parsed once at start-up; a malformed manifest.tsv is a build
// defect, so it panics (and the package's tests catch it first).
var manifest = mustParseManifest(manifestTSV)

// Manifest returns a copy of every model in the manifest, in manifest order.
func Manifest() []Spec { return slices.Clone(manifest) }

// Lookup returns the manifest entry called name. The error wraps
// ErrUnknownModel when there is none.
func Lookup(name string) (Spec, error) {
	for _, s := range manifest {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("%w: %q (known: %s)", ErrUnknownModel, name, strings.Join(names(), ", "))
}

func names() []string {
	out := make([]string, len(manifest))
	for i, s := range manifest {
		out[i] = s.Name
	}
	return out
}

func mustParseManifest(text string) []Spec {
	specs, err := parseManifest(text)
	if err != nil {
		panic("models: manifest.tsv: " + err.Error())
	}
	return specs
}

// parseManifest reads the TSV format documented at the top of manifest.tsv.
func parseManifest(text string) ([]Spec, error) {
	var specs []Spec
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) == 7 { // the empty trailing patch field may have lost its tab
			f = append(f, "")
		}
		if len(f) != 8 {
			return nil, fmt.Errorf("line %d: %d fields, want 8", i+1, len(f))
		}
		for j, v := range f[:7] {
			if v == "" {
				return nil, fmt.Errorf("line %d: field %d is empty", i+1, j+1)
			}
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || size <= 0 {
			return nil, fmt.Errorf("line %d: size %q is not a positive integer", i+1, f[3])
		}
		if !isSHA256(f[2]) {
			return nil, fmt.Errorf("line %d: sha256 %q is not 64 lower-case hex digits", i+1, f[2])
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("line %d: duplicate name %q", i+1, f[0])
		}
		seen[f[0]] = true
		specs = append(specs, Spec{
			Name: f[0], File: f[1], SHA256: f[2], Size: size,
			URL: f[4], Licence: f[5], Input: f[6], Patch: f[7],
		})
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	return specs, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
