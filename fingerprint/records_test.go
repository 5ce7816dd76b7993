package fingerprint

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/internal/testenv"
)

func fvcImage(t testing.TB, db, name string) string {
	t.Helper()
	return filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", db, name)
}

func mustExtract(t *testing.T, path string, ppi int) *Template {
	t.Helper()
	img, err := ReadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	img.PPI = ppi
	tp, err := Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// TestMinutiaeRecordRoundTrip: a template written as an ISO/IEC 19794-2 or
// ANSI 378 record reads back with the same minutiae (angles within the
// format's step) and still matches its finger's other impression.
func TestMinutiaeRecordRoundTrip(t *testing.T) {
	a := mustExtract(t, fvcImage(t, "DB1_B", "101_1.png"), 500)
	b := mustExtract(t, fvcImage(t, "DB1_B", "101_2.png"), 500)
	direct, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []record.Format{record.ISO19794_2_2005, record.ANSI378_2004} {
		rec, err := a.MinutiaeRecord(f, 2, 70)
		if err != nil {
			t.Fatal(err)
		}
		back, err := TemplateFromRecord(rec)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if back.Width != a.Width || back.Height != a.Height || len(back.Minutiae) != len(a.Minutiae) {
			t.Fatalf("%v: %dx%d with %d minutiae, want %dx%d with %d", f, back.Width, back.Height, len(back.Minutiae), a.Width, a.Height, len(a.Minutiae))
		}
		for i, m := range back.Minutiae {
			o := a.Minutiae[i]
			if m.X != o.X || m.Y != o.Y || m.Kind != o.Kind || math.Abs(math.Remainder(m.Angle-o.Angle, 2*math.Pi)) > f.AngleStep()*math.Pi/180/2+1e-9 {
				t.Fatalf("%v: minutia %d %+v, want %+v", f, i, m, o)
			}
		}
		s, err := Compare(back, b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %d bytes; score %.1f against impression 2 (%.1f before the record)", f, len(rec), s, direct)
		if s < DefaultThreshold {
			t.Errorf("%v: the template read back scores %.1f against the same finger", f, s)
		}
	}
}

// TestSharedTemplatesAgree reads every shared commercial ISO template and
// measures how many of its minutiae our extractor finds on the same image
// within 10 pixels and 30 degrees (the agreement issue 17 asks for). The
// templates declare 300x400 whatever the image size: they were extracted
// from the image scaled to that (see helpers_test.go), so positions are
// mapped back by that scale, then to PPI.
func TestSharedTemplatesAgree(t *testing.T) {
	evs := evaluated(t) // the templates of every shared image
	for _, db := range fvcDBs {
		ev := evs[db]
		found, total, ours := 0, 0, 0
		for i, imp := range ev.Impressions {
			b, err := os.ReadFile(imp.Path[:len(imp.Path)-len(".png")] + ".iso")
			if err != nil {
				t.Fatal(err)
			}
			ref, err := TemplateFromRecord(b)
			if err != nil {
				t.Fatalf("%s: %v", imp.Path, err)
			}
			img, err := ReadImage(imp.Path)
			if err != nil {
				t.Fatal(err)
			}
			img.PPI = fvcPPI[db]
			tp := ev.Templates[i]
			ours += len(tp.Minutiae)
			sx := float64(img.Width) / float64(ref.Width) * PPI / float64(img.PPI)
			sy := float64(img.Height) / float64(ref.Height) * PPI / float64(img.PPI)
			for _, m := range ref.Minutiae {
				total++
				x, y := float64(m.X)*sx, float64(m.Y)*sy
				for _, o := range tp.Minutiae {
					if math.Hypot(float64(o.X)-x, float64(o.Y)-y) <= 10 && math.Abs(math.Remainder(o.Angle-m.Angle, 2*math.Pi)) <= math.Pi/6 {
						found++
						break
					}
				}
			}
		}
		share := float64(found) / float64(total)
		t.Logf("%s: %d reference minutiae, %.1f%% found by ours within 10 px and 30°; ours %d, the reference %d", db, total, 100*share, ours, total)
		// A wrong angle convention or scale finds under 20 %.
		if share < 0.5 {
			t.Errorf("%s: only %.1f%% of the reference minutiae found", db, 100*share)
		}
	}
}

// TestImageRecords: an image written as an ISO/IEC 19794-4 record, PNG
// (lossless) or WSQ (0.75 bpp), reads back at its size and resolution, and
// the WSQ one still matches the finger's other impression.
func TestImageRecords(t *testing.T) {
	img, err := ReadImage(fvcImage(t, "DB2_B", "103_1.png"))
	if err != nil {
		t.Fatal(err)
	}
	img.PPI = 569
	other := mustExtract(t, fvcImage(t, "DB2_B", "103_2.png"), 569)
	for _, c := range []record.Compression{record.PNG, record.WSQ} {
		rec, err := ImageRecord(img, 3, 60, c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		back, err := DecodeImageRecord(rec)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if back.Width != img.Width || back.Height != img.Height || back.PPI != 569 {
			t.Fatalf("%v: %dx%d at %d ppi, want %dx%d at 569", c, back.Width, back.Height, back.PPI, img.Width, img.Height)
		}
		var se float64
		for i := range img.Pix {
			d := float64(img.Pix[i]) - float64(back.Pix[i])
			se += d * d
		}
		rmse := math.Sqrt(se / float64(len(img.Pix)))
		tp, err := Extract(back)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Compare(tp, other)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %d bytes (%.2f bpp), RMSE %.2f, score against impression 2: %.1f", c, len(rec), 8*float64(len(rec))/float64(len(img.Pix)), rmse, s)
		if c == record.PNG && rmse != 0 {
			t.Errorf("PNG: RMSE %.2f, want lossless", rmse)
		}
		if s < DefaultThreshold {
			t.Errorf("%v: the decoded image scores %.1f against the same finger", c, s)
		}
	}
	for _, bad := range [][]byte{nil, []byte("FIR\x00"), []byte("FMR\x00 20\x00"), bytes.Repeat([]byte{0xff}, 64)} {
		if _, err := DecodeImageRecord(bad); !errors.Is(err, ErrInvalidImage) {
			t.Errorf("DecodeImageRecord(%q) = %v, want ErrInvalidImage", bad, err)
		}
		if _, err := TemplateFromRecord(bad); !errors.Is(err, ErrTemplate) {
			t.Errorf("TemplateFromRecord(%q) = %v, want ErrTemplate", bad, err)
		}
	}
}
