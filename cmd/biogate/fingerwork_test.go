package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/internal/testenv"
)

func fvc(t *testing.T, db, name string) string {
	return filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", db, name)
}

// runCmd runs biogate with args and returns its exit code and output.
func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestFingerQualityCommand(t *testing.T) {
	blank := filepath.Join(t.TempDir(), "blank.png")
	writeBlankPNG(t, blank)
	code, out, stderr := runCmd("finger", "quality", fvc(t, "DB1_B", "101_1.png"), blank, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var reps []fingerQualityReport
	if err := json.Unmarshal([]byte(out), &reps); err != nil || len(reps) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if reps[0].Score < 40 || reps[0].Hint != "" || reps[1].Score != 0 || reps[1].Hint != "no_finger" {
		t.Errorf("reports %+v", reps)
	}
	if code, _, _ := runCmd("finger", "quality", filepath.Join(t.TempDir(), "missing.png")); code != exitFailure {
		t.Errorf("a missing file: exit %d", code)
	}
	if code, _, _ := runCmd("finger", "quality"); code != exitUsage {
		t.Errorf("no image: exit %d", code)
	}
}

// Templates written by `finger template` (both formats) are read back by
// `finger match`: the same finger matches (exit 0), another does not
// (exit 3), and an image matches a template.
func TestFingerTemplateAndMatchCommands(t *testing.T) {
	dir := t.TempDir()
	iso, ansi := filepath.Join(dir, "a.iso"), filepath.Join(dir, "b.ansi")
	if code, _, stderr := runCmd("finger", "template", fvc(t, "DB1_B", "101_1.png"), "--out", iso, "--finger", "right_index"); code != exitOK {
		t.Fatalf("template: exit %d: %s", code, stderr)
	}
	code, out, stderr := runCmd("finger", "template", fvc(t, "DB1_B", "101_2.png"), "--out", ansi, "--format", "ansi378", "--json")
	if code != exitOK {
		t.Fatalf("template: exit %d: %s", code, stderr)
	}
	var rep fingerTemplateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Minutiae < 12 || len(rep.SHA256) != 64 {
		t.Fatalf("template report %+v (%v)", rep, err)
	}
	b, _ := os.ReadFile(ansi)
	if _, err := fingerprint.TemplateFromRecord(b); err != nil || !bytes.HasPrefix(b, []byte("FMR\x00")) {
		t.Fatalf("the ANSI record: %v", err)
	}
	if fi, _ := os.Stat(ansi); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("template file mode %v: biometric data readable by others", fi.Mode())
	}
	code, out, _ = runCmd("finger", "match", iso, ansi, "--json")
	var m fingerMatchReport
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != exitOK || m.Decision != "match" {
		t.Errorf("same finger, two templates: exit %d, %+v", code, m)
	}
	if code, out, _ := runCmd("finger", "match", iso, fvc(t, "DB1_B", "101_3.png")); code != exitOK || !strings.HasPrefix(out, "match") {
		t.Errorf("template against image: exit %d, %q", code, out)
	}
	if code, out, _ := runCmd("finger", "match", iso, fvc(t, "DB1_B", "102_1.png")); code != exitNoResult || !strings.HasPrefix(out, "no_match") {
		t.Errorf("another finger: exit %d, %q", code, out)
	}
	if code, _, _ := runCmd("finger", "template", fvc(t, "DB1_B", "101_1.png"), "--out", iso, "--format", "iso19794-4"); code != exitUsage {
		t.Errorf("a bad format: exit %d", code)
	}
	if code, _, _ := runCmd("finger", "template", fvc(t, "DB1_B", "101_1.png"), "--out", iso, "--finger", "toe"); code != exitUsage {
		t.Errorf("a bad finger: exit %d", code)
	}
	garbage := filepath.Join(dir, "garbage.iso")
	os.WriteFile(garbage, []byte("FMR\x00 20\x00garbage"), 0o600)
	if code, _, stderr := runCmd("finger", "match", iso, garbage); code != exitFailure || !strings.Contains(stderr, "garbage.iso") {
		t.Errorf("a malformed record: exit %d, %q", code, stderr)
	}
}

// `finger eval` on one shared set reports the FVC protocol's counts and
// rates in JSON, the same figures TestEvaluateFVC checks in package
// fingerprint.
func TestFingerEvalCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 80 images")
	}
	plot := filepath.Join(t.TempDir(), "eval.svg")
	code, out, stderr := runCmd("finger", "eval", "--db", filepath.Dir(fvc(t, "DB2_B", "101_1.png"))+"=569", "--json", "--plot", plot)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Databases []struct {
			Genuine  int     `json:"genuine_comparisons"`
			Impostor int     `json:"impostor_comparisons"`
			PPI      int     `json:"ppi"`
			EER      float64 `json:"eer"`
			ERC      []struct{ Rejected, FNMR float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Databases) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	d := rep.Databases[0]
	if d.Genuine != 280 || d.Impostor != 45 || d.PPI != 569 || d.EER > 0.05 || len(d.ERC) != 5 {
		t.Errorf("report %+v", d)
	}
	svg, err := os.ReadFile(plot)
	if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Count(svg, []byte("<circle")) != 280 || bytes.Count(svg, []byte("<polyline")) != 1 {
		t.Errorf("the plot: %d bytes, %d points, %d curves (%v); want 280 genuine points and one curve", len(svg), bytes.Count(svg, []byte("<circle")), bytes.Count(svg, []byte("<polyline")), err)
	}
	if code, _, _ := runCmd("finger", "eval", "--db", t.TempDir()); code != exitFailure {
		t.Errorf("an empty folder: exit %d", code)
	}
}

// writeBlankPNG writes a white 300x300 grey PNG: a reader with no finger.
func writeBlankPNG(t *testing.T, path string) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
