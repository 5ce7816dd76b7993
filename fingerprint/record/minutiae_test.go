package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestSharedISORoundTrip(t *testing.T) {
	views, minutiae, areas := 0, 0, 0
	minN, maxN := math.MaxInt, 0
	for _, tp := range sharedISO(t) {
		r, f, err := Decode(tp.b)
		if err != nil {
			t.Fatalf("%s: %v", tp.name, err)
		}
		if f != ISO19794_2_2005 || r.Format != ISO19794_2_2005 {
			t.Fatalf("%s: detected %v (record says %v), want ISO", tp.name, f, r.Format)
		}
		// The extractor declares 300x400 at 197 ppcm for every set.
		if r.Width != 300 || r.Height != 400 || r.XResolution != 197 || r.YResolution != 197 {
			t.Errorf("%s: header %dx%d at %dx%d ppcm, want 300x400 at 197", tp.name, r.Width, r.Height, r.XResolution, r.YResolution)
		}
		n := 0
		for _, v := range r.Views {
			n += len(v.Minutiae)
			areas += len(v.Extended)
			for _, m := range v.Minutiae {
				if m.X >= r.Width || m.Y >= r.Height {
					t.Errorf("%s: minutia at (%d, %d) outside %dx%d", tp.name, m.X, m.Y, r.Width, r.Height)
				}
			}
		}
		views += len(r.Views)
		minutiae += n
		minN, maxN = min(minN, n), max(maxN, n)
		out, err := r.Encode(ISO19794_2_2005)
		if err != nil {
			t.Fatalf("%s: encode: %v", tp.name, err)
		}
		if !bytes.Equal(out, tp.b) {
			t.Fatalf("%s: re-encoded record differs (%d bytes, was %d)", tp.name, len(out), len(tp.b))
		}
		// The explicit decoder agrees, and the ANSI one refuses.
		r2, err := DecodeISO19794_2(tp.b)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("%s: DecodeISO19794_2 = %v, differs from Decode", tp.name, err)
		}
		if _, err := DecodeANSI378(tp.b); !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: DecodeANSI378 of an ISO record: %v, want ErrFormat", tp.name, err)
		}
	}
	t.Logf("320 records: %d views, %d minutiae (%d to %d per record, mean %.1f), %d extended areas; all re-encode byte for byte",
		views, minutiae, minN, maxN, float64(minutiae)/320, areas)
	if views < 320 || minutiae == 0 {
		t.Fatalf("%d views and %d minutiae: the templates were not read", views, minutiae)
	}
}

// circularDiff is the distance between two angles in degrees, 0-180.
func circularDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return min(d, 360-d)
}

// ISO → ANSI → ISO keeps positions, types and qualities exactly. Angles are
// rounded to the nearest step of the target (halves up, see ConvertAngle):
// ISO→ANSI errs by at most half an ANSI step (1°); back to ISO the nearest
// ISO step lies within 0.703125° of the ANSI angle, so the result is the
// original or one ISO step (1.40625°) away from it.
func TestISOToANSIToISO(t *testing.T) {
	changed, total := 0, 0
	worstANSI, worstBack := 0.0, 0.0
	for _, tp := range sharedISO(t) {
		iso, _, err := Decode(tp.b)
		if err != nil {
			t.Fatal(err)
		}
		ab, err := iso.Encode(ANSI378_2004)
		if err != nil {
			t.Fatalf("%s: to ANSI: %v", tp.name, err)
		}
		ansi, f, err := Decode(ab)
		if err != nil || f != ANSI378_2004 {
			t.Fatalf("%s: ANSI record detected as %v: %v", tp.name, f, err)
		}
		if len(ab) != len(tp.b)+2 { // ANSI header: +4 product, -2 length
			t.Errorf("%s: ANSI record of %d bytes, ISO %d", tp.name, len(ab), len(tp.b))
		}
		ib, err := ansi.Encode(ISO19794_2_2005)
		if err != nil {
			t.Fatalf("%s: back to ISO: %v", tp.name, err)
		}
		back, f, err := Decode(ib)
		if err != nil || f != ISO19794_2_2005 {
			t.Fatalf("%s: ISO record detected as %v: %v", tp.name, f, err)
		}
		if back.Width != iso.Width || back.Height != iso.Height || back.XResolution != iso.XResolution || len(back.Views) != len(iso.Views) {
			t.Fatalf("%s: header changed", tp.name)
		}
		for i, v := range iso.Views {
			for j, m := range v.Minutiae {
				a, b := ansi.Views[i].Minutiae[j], back.Views[i].Minutiae[j]
				for _, o := range []Minutia{a, b} {
					if o.X != m.X || o.Y != m.Y || o.Type != m.Type || o.Quality != m.Quality {
						t.Fatalf("%s view %d minutia %d: %+v became %+v", tp.name, i, j, m, o)
					}
				}
				d0 := m.AngleDegrees(ISO19794_2_2005)
				da := circularDiff(d0, a.AngleDegrees(ANSI378_2004))
				db := circularDiff(d0, b.AngleDegrees(ISO19794_2_2005))
				worstANSI, worstBack = max(worstANSI, da), max(worstBack, db)
				if da > 1 || db > 1.40625 {
					t.Fatalf("%s view %d minutia %d: %v° → ANSI %v° → ISO %v°", tp.name, i, j, d0, a.AngleDegrees(ANSI378_2004), b.AngleDegrees(ISO19794_2_2005))
				}
				total++
				if b.Angle != m.Angle {
					changed++
				}
			}
		}
	}
	t.Logf("%d minutiae: worst angle error ISO→ANSI %.4f°, after ISO→ANSI→ISO %.4f°; %d ISO angles moved by one step", total, worstANSI, worstBack, changed)
}

func TestAngleConversion(t *testing.T) {
	// ANSI → ISO → ANSI is the identity: ISO's step is finer.
	for a := range 180 {
		i, err := ConvertAngle(ANSI378_2004, ISO19794_2_2005, uint8(a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := ConvertAngle(ISO19794_2_2005, ANSI378_2004, i)
		if err != nil || int(b) != a {
			t.Fatalf("ANSI %d → ISO %d → ANSI %d (%v)", a, i, b, err)
		}
		if d := circularDiff(float64(a)*2, ISO19794_2_2005.AngleDegrees(i)); d > 0.703125 {
			t.Fatalf("ANSI %d → ISO %d: off by %v°", a, i, d)
		}
	}
	for _, c := range []struct {
		from, to Format
		in, want uint8
	}{
		{ISO19794_2_2005, ANSI378_2004, 32, 23},   // 45° = 22.5 ANSI steps: half rounds up
		{ISO19794_2_2005, ANSI378_2004, 31, 22},   // 43.59° → 44°
		{ISO19794_2_2005, ANSI378_2004, 255, 179}, // 358.59° → 358°
		{ANSI378_2004, ISO19794_2_2005, 179, 255}, // 358° → 358.59°
		{ANSI378_2004, ISO19794_2_2005, 45, 64},   // 90° exactly
		{ISO19794_2_2005, ISO19794_2_2005, 200, 200},
	} {
		got, err := ConvertAngle(c.from, c.to, c.in)
		if err != nil || got != c.want {
			t.Errorf("ConvertAngle(%v, %v, %d) = %d, %v; want %d", c.from, c.to, c.in, got, err, c.want)
		}
	}
	if _, err := ConvertAngle(ANSI378_2004, ISO19794_2_2005, 180); !errors.Is(err, ErrInvalid) {
		t.Errorf("ANSI angle 180: %v, want ErrInvalid", err)
	}
	for _, c := range []struct {
		f    Format
		deg  float64
		want uint8
	}{
		{ISO19794_2_2005, 0, 0},
		{ISO19794_2_2005, 1.40625, 1},
		{ISO19794_2_2005, 0.703125, 1}, // half a step rounds up
		{ISO19794_2_2005, 0.7, 0},
		{ISO19794_2_2005, 359.5, 0}, // nearest is a full turn
		{ISO19794_2_2005, -1.40625, 255},
		{ISO19794_2_2005, 720 + 90, 64},
		{ANSI378_2004, 90, 45},
		{ANSI378_2004, 3, 2}, // 1.5 steps rounds up
		{ANSI378_2004, 2.9, 1},
		{ANSI378_2004, 359.2, 0},
	} {
		got, err := c.f.AngleFromDegrees(c.deg)
		if err != nil || got != c.want {
			t.Errorf("%v.AngleFromDegrees(%v) = %d, %v; want %d", c.f, c.deg, got, err, c.want)
		}
	}
	// Every unit survives degrees and back exactly.
	for _, f := range []Format{ISO19794_2_2005, ANSI378_2004} {
		for a := range f.angleSteps() {
			if got, _ := f.AngleFromDegrees(f.AngleDegrees(uint8(a))); int(got) != a {
				t.Fatalf("%v: %d → %v° → %d", f, a, f.AngleDegrees(uint8(a)), got)
			}
		}
	}
	if _, err := ISO19794_2_2005.AngleFromDegrees(math.NaN()); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN degrees: %v, want ErrInvalid", err)
	}
	if _, err := Format(0).AngleFromDegrees(10); !errors.Is(err, ErrInvalid) {
		t.Errorf("format 0: %v, want ErrInvalid", err)
	}
}

// ansiGolden is an ANSI INCITS 378-2004 record written by hand from the
// standard's layout: one view, three minutiae and a core/delta area.
var ansiGolden = []byte{
	'F', 'M', 'R', 0, // format identifier
	' ', '2', '0', 0, // version
	0x00, 0x41, // record length: 65 bytes (2-byte form)
	0x00, 0x33, // CBEFF product identifier owner: 0x0033
	0x00, 0x01, // CBEFF product identifier type: 1
	0x80, 0x2a, // equipment: compliance 0x8 (top 4 bits), ID 0x02a (12 bits)
	0x01, 0x2c, // image width: 300
	0x01, 0x90, // image height: 400
	0x00, 0xc5, // x resolution: 197 ppcm
	0x00, 0xc5, // y resolution: 197 ppcm
	0x01, // number of finger views: 1
	0x00, // reserved
	// Finger view header.
	0x07, // finger position: 7, left index
	0x10, // view number 1 (high nibble), impression type 0, live-scan plain
	0x50, // finger quality: 80
	0x03, // number of minutiae: 3
	// Minutia 0: type 01 ending, x 100; y 200; angle 45 (90°); quality 70.
	0x40, 0x64, 0x00, 0xc8, 0x2d, 0x46,
	// Minutia 1: type 10 bifurcation, x 16383 (14-bit max); y 1; angle 179
	// (358°); quality 100.
	0xbf, 0xff, 0x00, 0x01, 0xb3, 0x64,
	// Minutia 2: type 00 other, x 0; y 399; angle 0; quality 0.
	0x00, 0x00, 0x01, 0x8f, 0x00, 0x00,
	0x00, 0x0f, // extended data block length: 15
	0x00, 0x02, // area type: core and delta
	0x00, 0x0f, // area length: 15, its 4-byte header included
	0x41,                         // core type 01 (with angles), 1 core
	0x00, 0x96, 0x00, 0xb4, 0x5a, // core x 150, y 180, angle 90 (180°)
	0x01,                   // delta type 00 (no angles), 1 delta
	0x00, 0x64, 0x01, 0x2c, // delta x 100, y 300
}

func TestANSIGolden(t *testing.T) {
	r, f, err := Decode(ansiGolden)
	if err != nil {
		t.Fatal(err)
	}
	if f != ANSI378_2004 {
		t.Fatalf("detected %v, want ANSI", f)
	}
	want := &MinutiaeRecord{
		Format:       ANSI378_2004,
		ProductOwner: 0x33, ProductType: 1,
		EquipmentCertification: 8, EquipmentID: 0x2a,
		Width: 300, Height: 400, XResolution: 197, YResolution: 197,
		Views: []FingerView{{
			Position: LeftIndex, ViewNumber: 1, Impression: LiveScanPlain, Quality: 80,
			Minutiae: []Minutia{
				{Type: RidgeEnding, X: 100, Y: 200, Angle: 45, Quality: 70},
				{Type: Bifurcation, X: 16383, Y: 1, Angle: 179, Quality: 100},
				{Type: OtherMinutia, X: 0, Y: 399, Angle: 0, Quality: 0},
			},
			Extended: []ExtendedArea{{Type: AreaCoreDelta, Data: ansiGolden[len(ansiGolden)-11:]}},
		}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", r, want)
	}
	if got := r.Views[0].Minutiae[0].AngleDegrees(f); got != 90 {
		t.Errorf("angle 45 is %v°, want 90", got)
	}
	if s := r.Views[0].Position.String(); s != "left index" {
		t.Errorf("position prints %q", s)
	}
	cd, err := ParseCoreDelta(f, r.Views[0].Extended[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	wantCD := CoreDelta{
		Cores:  []Core{{X: 150, Y: 180, HasAngle: true, Angle: 90}},
		Deltas: []Delta{{X: 100, Y: 300}},
	}
	if !reflect.DeepEqual(cd, wantCD) {
		t.Fatalf("core/delta %+v, want %+v", cd, wantCD)
	}
	// Byte for byte back, and the ISO decoder refuses it.
	if out, err := r.Encode(ANSI378_2004); err != nil || !bytes.Equal(out, ansiGolden) {
		t.Fatalf("re-encoded: %v\n% x", err, out)
	}
	if _, err := DecodeISO19794_2(ansiGolden); !errors.Is(err, ErrFormat) {
		t.Fatalf("DecodeISO19794_2 of an ANSI record: %v, want ErrFormat", err)
	}
	// To ISO the core moves its angle flag into x and its angle to ISO
	// units (180° = 128), and the minutia angles convert.
	ib, err := r.Encode(ISO19794_2_2005)
	if err != nil {
		t.Fatal(err)
	}
	iso, f, err := Decode(ib)
	if err != nil || f != ISO19794_2_2005 {
		t.Fatalf("ISO form detected as %v: %v", f, err)
	}
	if a := iso.Views[0].Minutiae[1].Angle; a != 255 { // 358° → 254.58 units
		t.Errorf("ISO angle of 358° = %d, want 255", a)
	}
	icd, err := ParseCoreDelta(ISO19794_2_2005, iso.Views[0].Extended[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	wantISO := CoreDelta{Cores: []Core{{X: 150, Y: 180, HasAngle: true, Angle: 128}}, Deltas: []Delta{{X: 100, Y: 300}}}
	if !reflect.DeepEqual(icd, wantISO) {
		t.Fatalf("ISO core/delta %+v, want %+v", icd, wantISO)
	}
	if d := iso.Views[0].Extended[0].Data; d[0] != 1 || d[1] != 0x40 {
		t.Errorf("ISO core/delta starts % x, want count 1 then x with type 01", d[:2])
	}
	// ISO has no product identifier: it is lost on the way.
	if iso.ProductOwner != 0 || iso.ProductType != 0 {
		t.Errorf("ISO record has product identifier %#x/%#x", iso.ProductOwner, iso.ProductType)
	}
	// Given it back, ANSI gives the golden bytes again.
	iso.ProductOwner, iso.ProductType = 0x33, 1
	if out, err := iso.Encode(ANSI378_2004); err != nil || !bytes.Equal(out, ansiGolden) {
		t.Fatalf("ANSI → ISO → ANSI: %v\n% x", err, out)
	}
}

// A record longer than 65535 bytes takes ANSI's 6-byte length form.
func TestANSILongRecord(t *testing.T) {
	r := &MinutiaeRecord{Format: ANSI378_2004, Width: 500, Height: 500, XResolution: 197, YResolution: 197}
	for i := range 50 {
		v := FingerView{Position: FingerPosition(i % 11), ViewNumber: uint8(i / 11)}
		for j := range 255 {
			v.Minutiae = append(v.Minutiae, Minutia{Type: RidgeEnding, X: uint16(j), Y: uint16(i), Angle: uint8(j % 180), Quality: 50})
		}
		r.Views = append(r.Views, v)
	}
	b, err := r.Encode(ANSI378_2004)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= 0xffff || b[8] != 0 || b[9] != 0 || binary.BigEndian.Uint32(b[10:]) != uint32(len(b)) {
		t.Fatalf("%d bytes, length field % x", len(b), b[8:14])
	}
	got, f, err := Decode(b)
	if err != nil || f != ANSI378_2004 || !reflect.DeepEqual(got, r) {
		t.Fatalf("decoded as %v: %v (equal: %v)", f, err, reflect.DeepEqual(got, r))
	}
}

func TestRidgeCounts(t *testing.T) {
	rc := RidgeCounts{Method: RidgeCountEightNeighbour, Counts: []RidgeCount{{0, 1, 5}, {0, 2, 7}}}
	a, err := rc.Area()
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{2, 0, 1, 5, 0, 2, 7}; a.Type != AreaRidgeCount || !bytes.Equal(a.Data, want) {
		t.Fatalf("area %d % x, want 1 % x", a.Type, a.Data, want)
	}
	got, err := ParseRidgeCounts(a.Data)
	if err != nil || !reflect.DeepEqual(got, rc) {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if _, err := ParseRidgeCounts([]byte{1, 2}); !errors.Is(err, ErrFormat) {
		t.Fatalf("misaligned ridge counts: %v, want ErrFormat", err)
	}
}

// isoSample is the shared template DB1_B/101_1, decoded.
func isoSample(t testing.TB) *MinutiaeRecord {
	t.Helper()
	r, err := DecodeISO19794_2(sharedFile(t, "fvc2002/DB1_B/101_1.iso"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExtendedAreasAcrossFormats(t *testing.T) {
	r := isoSample(t)
	rc, _ := RidgeCounts{Method: RidgeCountFourNeighbour, Counts: []RidgeCount{{0, 1, 3}}}.Area()
	cd, err := CoreDelta{
		Cores:  []Core{{X: 120, Y: 200, HasAngle: true, Angle: 32}, {X: 130, Y: 210}},
		Deltas: []Delta{{X: 60, Y: 300, HasAngles: true, Angles: [3]uint8{0, 85, 170}}},
	}.Area(ISO19794_2_2005)
	if err != nil {
		t.Fatal(err)
	}
	vendor := ExtendedArea{Type: 0x0101, Data: []byte("opaque")}
	r.Views[0].Extended = []ExtendedArea{vendor, rc, cd}
	b, err := r.Encode(ISO19794_2_2005)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeISO19794_2(b)
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Fatalf("ISO round trip with areas: %v", err)
	}
	if again, _ := back.Encode(ISO19794_2_2005); !bytes.Equal(again, b) {
		t.Fatal("second encode differs")
	}
	// ISO cores mix points with and without angles; ANSI cannot.
	if _, err := r.Encode(ANSI378_2004); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "angles") {
		t.Fatalf("mixed core angles to ANSI: %v, want ErrInvalid", err)
	}
	cd2, _ := CoreDelta{
		Cores:  []Core{{X: 120, Y: 200, HasAngle: true, Angle: 32}},
		Deltas: []Delta{{X: 60, Y: 300, HasAngles: true, Angles: [3]uint8{0, 85, 170}}},
	}.Area(ISO19794_2_2005)
	r.Views[0].Extended[2] = cd2
	ab, err := r.Encode(ANSI378_2004)
	if err != nil {
		t.Fatal(err)
	}
	ansi, err := DecodeANSI378(ab)
	if err != nil {
		t.Fatal(err)
	}
	ext := ansi.Views[0].Extended
	if len(ext) != 3 || !reflect.DeepEqual(ext[0], vendor) || !reflect.DeepEqual(ext[1], rc) {
		t.Fatalf("vendor and ridge count areas not copied: %+v", ext)
	}
	got, err := ParseCoreDelta(ANSI378_2004, ext[2].Data)
	if err != nil {
		t.Fatal(err)
	}
	// 45° → 22.5 ANSI units rounds to 23; 119.53° → 60 (59.77); 239.06° → 120 (119.53).
	want := CoreDelta{
		Cores:  []Core{{X: 120, Y: 200, HasAngle: true, Angle: 23}},
		Deltas: []Delta{{X: 60, Y: 300, HasAngles: true, Angles: [3]uint8{0, 60, 120}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ANSI core/delta %+v, want %+v", got, want)
	}
	// Zonal quality is ISO only.
	r.Views[0].Extended = []ExtendedArea{{Type: AreaZonalQuality, Data: []byte{8, 8, 8, 0}}}
	if _, err := r.Encode(ISO19794_2_2005); err != nil {
		t.Fatalf("zonal quality in ISO: %v", err)
	}
	if _, err := r.Encode(ANSI378_2004); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zonal quality to ANSI: %v, want ErrInvalid", err)
	}
}

func TestEncodeValidation(t *testing.T) {
	cases := []struct {
		name   string
		format Format
		edit   func(r *MinutiaeRecord)
		field  string
	}{
		{"x beyond 14 bits", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Minutiae[0].X = 1 << 14 }, "position"},
		{"y beyond 14 bits", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Minutiae[0].Y = 1 << 14 }, "position"},
		{"minutia quality", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Minutiae[0].Quality = 101 }, "quality"},
		{"minutia type", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Minutiae[0].Type = 3 }, "type"},
		{"256 minutiae", ISO19794_2_2005, func(r *MinutiaeRecord) {
			r.Views[0].Minutiae = make([]Minutia, 256)
		}, "minutiae"},
		{"finger quality", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Quality = 101 }, "finger quality"},
		{"finger position", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Position = 11 }, "finger position"},
		{"view number", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].ViewNumber = 16 }, "view number"},
		{"impression", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views[0].Impression = 16 }, "impression"},
		{"equipment ID", ISO19794_2_2005, func(r *MinutiaeRecord) { r.EquipmentID = 0x1000 }, "equipment ID"},
		{"certification", ISO19794_2_2005, func(r *MinutiaeRecord) { r.EquipmentCertification = 16 }, "certification"},
		{"256 views", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Views = make([]FingerView, 256) }, "views"},
		{"ANSI angle", ANSI378_2004, func(r *MinutiaeRecord) {
			r.Format = ANSI378_2004
			r.Views[0].Minutiae[0].Angle = 180
		}, "angle"},
		{"no format", ISO19794_2_2005, func(r *MinutiaeRecord) { r.Format = 0 }, "Format"},
		{"bad target", Format(9), func(r *MinutiaeRecord) {}, "target"},
		{"area too big", ISO19794_2_2005, func(r *MinutiaeRecord) {
			r.Views[0].Extended = []ExtendedArea{{Type: 0x100, Data: make([]byte, maxAreaData+1)}}
		}, "bytes"},
		{"block too big", ISO19794_2_2005, func(r *MinutiaeRecord) {
			a := ExtendedArea{Type: 0x100, Data: make([]byte, 40000)}
			r.Views[0].Extended = []ExtendedArea{a, a}
		}, "extended data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := isoSample(t)
			c.edit(r)
			b, err := r.Encode(c.format)
			if !errors.Is(err, ErrInvalid) || b != nil {
				t.Fatalf("Encode = %d bytes, %v; want ErrInvalid", len(b), err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %q", err, c.field)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := sharedFile(t, "fvc2002/DB1_B/101_1.iso")
	// Truncated at every length: an error, never a panic; and with the
	// length field patched to match, the counts inside must catch it.
	for _, src := range [][]byte{good, ansiGolden} {
		for n := range len(src) {
			b := bytes.Clone(src[:n])
			if _, _, err := Decode(b); !errors.Is(err, ErrFormat) {
				t.Fatalf("truncated to %d: %v, want ErrFormat", n, err)
			}
			if _, err := DecodeISO19794_2(b); !errors.Is(err, ErrFormat) {
				t.Fatalf("ISO truncated to %d: %v", n, err)
			}
			if _, err := DecodeANSI378(b); !errors.Is(err, ErrFormat) {
				t.Fatalf("ANSI truncated to %d: %v", n, err)
			}
		}
	}
	for n := 12; n < len(good); n++ {
		b := bytes.Clone(good[:n])
		binary.BigEndian.PutUint32(b[8:], uint32(n))
		if _, err := DecodeISO19794_2(b); !errors.Is(err, ErrFormat) {
			t.Fatalf("ISO truncated to %d with a matching length: %v", n, err)
		}
	}
	for n := 10; n < len(ansiGolden); n++ {
		b := bytes.Clone(ansiGolden[:n])
		binary.BigEndian.PutUint16(b[8:], uint16(n))
		if _, err := DecodeANSI378(b); !errors.Is(err, ErrFormat) {
			t.Fatalf("ANSI truncated to %d with a matching length: %v", n, err)
		}
	}
	edit := func(src []byte, f func(b []byte)) []byte {
		b := bytes.Clone(src)
		f(b)
		return b
	}
	cases := []struct {
		name  string
		b     []byte
		field string
	}{
		{"empty", nil, "format identifier"},
		{"wrong magic", edit(good, func(b []byte) { copy(b, "FIR\x00") }), "format identifier"},
		{"wrong version", edit(good, func(b []byte) { copy(b[4:], " 30\x00") }), "version"},
		{"length too long", edit(good, func(b []byte) { binary.BigEndian.PutUint32(b[8:], uint32(len(b)+1)) }), "record length"},
		{"minutiae count bigger than the data", edit(good, func(b []byte) { b[27] = 255 }), "minutiae"},
		{"view count bigger than the data", edit(good, func(b []byte) { b[22] = 200 }), "finger views"},
		{"two views, one present", edit(good, func(b []byte) { b[22] = 2 }), "view 1"},
		{"no views, data left", edit(good, func(b []byte) { b[22] = 0 }), "after the last"},
		{"finger position", edit(good, func(b []byte) { b[24] = 11 }), "finger position"},
		{"finger quality", edit(good, func(b []byte) { b[26] = 101 }), "finger quality"},
		{"reserved minutia type", edit(good, func(b []byte) { b[28] |= 0xc0 }), "minutia type"},
		{"minutia quality", edit(good, func(b []byte) { b[33] = 101 }), "quality"},
		{"extended block bigger than the data", edit(good, func(b []byte) { binary.BigEndian.PutUint16(b[len(b)-2:], 10) }), "extended data block"},
		{"ANSI angle", edit(ansiGolden, func(b []byte) { b[34] = 180 }), "angle"},
		{"ANSI area length below its header", edit(ansiGolden, func(b []byte) { b[53] = 3 }), "extended area"},
		{"ANSI area longer than its block", edit(ansiGolden, func(b []byte) { b[53] = 16 }), "extended area"},
		{"ANSI 6-byte length too long", append([]byte("FMR\x00 20\x00\x00\x00\x00\x01\x00\x00"), make([]byte, 20)...), "record length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _, err := Decode(c.b)
			if !errors.Is(err, ErrFormat) || r != nil {
				t.Fatalf("Decode = %v, %v; want ErrFormat", r, err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name %q", err, c.field)
			}
		})
	}
}

func TestCoreDeltaErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Format
		data []byte
	}{
		{"empty", ISO19794_2_2005, nil},
		{"core count bigger than the data", ISO19794_2_2005, []byte{3, 0, 1, 0, 1}},
		{"missing delta count", ANSI378_2004, []byte{1, 0, 1, 0, 1}},
		{"ISO core type 2", ISO19794_2_2005, []byte{1, 0x80, 1, 0, 1, 0}},
		{"ANSI core type 3", ANSI378_2004, []byte{0xc1, 0, 1, 0, 1, 0}},
		{"missing angle", ISO19794_2_2005, []byte{1, 0x40, 1, 0, 1}},
		{"ANSI core angle 180", ANSI378_2004, []byte{0x41, 0, 1, 0, 1, 180, 0}},
		{"trailing bytes", ISO19794_2_2005, []byte{0, 0, 9}},
		{"unknown format", 0, []byte{0, 0}},
	} {
		if _, err := ParseCoreDelta(c.f, c.data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", c.name, err)
		}
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[fmtStringer]string{
		RightThumb:                  "right thumb",
		LeftLittle:                  "left little",
		UnknownFinger:               "unknown finger",
		FingerPosition(40):          "FingerPosition(40)",
		Swipe:                       "swipe",
		ImpressionType(5):           "ImpressionType(5)",
		Bifurcation:                 "bifurcation",
		ISO19794_2_2005:             "ISO/IEC 19794-2:2005",
		ANSI378_2004:                "ANSI INCITS 378-2004",
		PNG:                         "PNG",
		Compression(9):              "Compression(9)",
		PixelsPerCentimetre:         "pixels per centimetre",
		ImpressionType(0):           "live-scan plain",
		MinutiaType(3):              "MinutiaType(3)",
		Format(0):                   "Format(0)",
		ScaleUnits(0):               "ScaleUnits(0)",
		Compression(WSQ):            "WSQ",
		FingerPosition(PlainThumbs): "plain thumbs",
	} {
		if got := v.String(); got != want {
			t.Errorf("%#v prints %q, want %q", v, got, want)
		}
	}
}

type fmtStringer interface{ String() string }

func BenchmarkDecodeISO(b *testing.B) {
	rec := sharedFile(b, "fvc2002/DB1_B/101_1.iso")
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeISO19794_2(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeISO(b *testing.B) {
	raw := sharedFile(b, "fvc2002/DB1_B/101_1.iso")
	r, err := DecodeISO19794_2(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Encode(ISO19794_2_2005); err != nil {
			b.Fatal(err)
		}
	}
}
