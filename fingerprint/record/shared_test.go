package record

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// template is one shared ISO/IEC 19794-2:2005 file.
type template struct {
	name string // DB1_B/101_1.iso
	b    []byte
}

// sharedISO reads every shared FVC2002 template (320: 4 sets of 80).
func sharedISO(t testing.TB) []template {
	t.Helper()
	dir := filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002")
	paths, err := filepath.Glob(filepath.Join(dir, "DB*_B", "*.iso"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 320 {
		t.Fatalf("%s: %d templates, want 320", dir, len(paths))
	}
	sort.Strings(paths)
	out := make([]template, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, template{name: filepath.Base(filepath.Dir(p)) + "/" + filepath.Base(p), b: b})
	}
	return out
}

// sharedFile reads one file under the shared fingerprints folder.
func sharedFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "fingerprints", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
