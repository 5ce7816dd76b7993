package fingerprint

import "testing"

// BenchmarkExtract: one 388x374 500 ppi image (FVC2002 DB1) to a template,
// on the library's one-worker setting.
func BenchmarkExtract(b *testing.B) {
	img, err := ReadImage(fvcImage(b, "DB1_B", "101_1.png"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractEnhanced: one 300x300 print of quality under
// EnhanceBelowQuality (FVC2002 DB3, quality 50), enhanced then extracted:
// the cost of the prints that need it.
func BenchmarkExtractEnhanced(b *testing.B) {
	img, err := ReadImage(fvcImage(b, "DB3_B", "101_1.png"))
	if err != nil {
		b.Fatal(err)
	}
	if q, _ := Assess(img, QualityConfig{}); q.Score >= EnhanceBelowQuality {
		b.Fatalf("quality %d: not a print that is enhanced", q.Score)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare: one symmetric 1:1 comparison (two matcher runs) of two
// impressions of one finger, the probe tables already built, as a gateway
// or IDEC compares against an enrolled template.
func BenchmarkCompare(b *testing.B) {
	x, y := benchTemplate(b, "101_1.png"), benchTemplate(b, "101_2.png")
	if _, err := Compare(x, y); err != nil { // builds both probes' tables
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTemplate(b *testing.B, name string) *Template {
	img, err := ReadImage(fvcImage(b, "DB1_B", name))
	if err != nil {
		b.Fatal(err)
	}
	t, err := Extract(img)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkEnhance: contextual enhancement of one 388x374 500 ppi image
// (FVC2002 DB1), segmentation included.
func BenchmarkEnhance(b *testing.B) {
	img, err := ReadImage(fvcImage(b, "DB1_B", "101_1.png"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Enhance(img); err != nil {
			b.Fatal(err)
		}
	}
}
