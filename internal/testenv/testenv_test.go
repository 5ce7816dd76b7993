package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB whose Skipf and Fatalf record instead of
// stopping the goroutine, so the helpers' failure paths can be observed.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestResolve(t *testing.T) {
	tmp := t.TempDir()
	shared := filepath.Join(tmp, "shared")
	if err := os.MkdirAll(filepath.Join(shared, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(tmp, "absent")

	tests := []struct {
		name           string
		shared, models string // env values; "" unsets
		ci             string
		fn             func(testing.TB) string
		want           string
		skip, fail     bool
	}{
		{name: "shared from env", shared: shared, fn: Shared, want: shared},
		{name: "models under shared", shared: shared, fn: Models, want: filepath.Join(shared, "models")},
		{name: "models env wins", shared: shared, models: other, fn: Models, want: other},
		{name: "models env alone", shared: absent, models: other, fn: Models, want: other},
		{name: "shared missing skips", shared: absent, fn: Shared, skip: true},
		{name: "shared missing fails in CI", shared: absent, ci: "true", fn: Shared, fail: true},
		{name: "models missing skips", shared: tmp, fn: Models, skip: true},
		{name: "models missing fails in CI", models: absent, ci: "true", fn: Models, fail: true},
		{name: "a file is not a folder", shared: filepath.Join(tmp, "file"), fn: Shared, skip: true},
	}
	if err := os.WriteFile(filepath.Join(tmp, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BIOGATE_SHARED", tc.shared)
			t.Setenv("BIOGATE_MODELS", tc.models)
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			got := tc.fn(r)
			if r.skipped != tc.skip || r.failed != tc.fail {
				t.Fatalf("skipped=%v failed=%v (%q), want skipped=%v failed=%v", r.skipped, r.failed, r.msg, tc.skip, tc.fail)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if (tc.skip || tc.fail) && !containsAll(r.msg, "BIOGATE_", "beside the checkout") {
				t.Errorf("message %q does not say how to get the data", r.msg)
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
