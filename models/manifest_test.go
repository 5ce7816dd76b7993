package models

import (
	"errors"
	"strings"
	"testing"
)

func TestManifest(t *testing.T) {
	for _, name := range []string{YuNet, MiniFASNetV2, MiniFASNetV1SE, MobileFaceNet} {
		spec, err := Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
			continue
		}
		if spec.Name != name || !strings.HasPrefix(spec.URL, "https://") || spec.Licence == "" || spec.Input == "" ||
			!strings.HasSuffix(spec.File, ".onnx") || strings.HasPrefix(spec.File, "/") {
			t.Errorf("%s: malformed spec %+v", name, spec)
		}
		// Only the OpenCV 4.6 patched embedder cannot be downloaded as is.
		if (spec.Patch != "") != (name == MobileFaceNet) {
			t.Errorf("%s: Patch = %q", name, spec.Patch)
		}
	}
	if n := len(Manifest()); n != 4 {
		t.Errorf("%d manifest entries, want 4", n)
	}
	m := Manifest()
	m[0].SHA256 = "changed"
	if spec, _ := Lookup(m[0].Name); spec.SHA256 == "changed" {
		t.Error("Manifest returned the package's own slice")
	}
	if _, err := Lookup("yunet-2023mar"); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("unknown name: %v, want ErrUnknownModel", err)
	}
}

func TestParseManifest(t *testing.T) {
	const sha = "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7"
	line := func(fields ...string) string { return strings.Join(fields, "\t") }
	ok := line("m", "m/m.onnx", sha, "10", "https://x/m.onnx", "MIT", "any")
	tests := []struct {
		name, text string
		wantErr    bool
	}{
		{"seven fields, comments, CRLF", "# header\n\n" + ok + "\r\n", false},
		{"eight fields", ok + "\tpatched: ...\n", false},
		{"no entries", "# only a comment\n", true},
		{"too few fields", line("m", "m/m.onnx", sha, "10") + "\n", true},
		{"too many fields", ok + "\tp\textra\n", true},
		{"empty field", line("m", "", sha, "10", "u", "MIT", "any") + "\n", true},
		{"bad size", line("m", "f", sha, "ten", "u", "MIT", "any") + "\n", true},
		{"zero size", line("m", "f", sha, "0", "u", "MIT", "any") + "\n", true},
		{"short sha", line("m", "f", sha[:63], "10", "u", "MIT", "any") + "\n", true},
		{"upper-case sha", line("m", "f", strings.ToUpper(sha), "10", "u", "MIT", "any") + "\n", true},
		{"duplicate", ok + "\n" + ok + "\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := parseManifest(tc.text)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && (len(specs) != 1 || specs[0].Size != 10 || specs[0].Input != "any") {
				t.Errorf("parsed %+v", specs)
			}
		})
	}
}
