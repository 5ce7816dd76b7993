package liveness

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/models"
)

// surroundColours are what an attacker puts around a print or a screen: a
// blue backdrop, a bluish-grey wall, a cyan sheet, and grey, white and
// black ones.
var surroundColours = []struct {
	name string
	bgr  [3]float64 // blue, green, red
}{
	{"blue", [3]float64{255, 0, 0}},
	{"bluish", [3]float64{230, 150, 90}},
	{"cyan", [3]float64{255, 255, 0}},
	{"grey", [3]float64{128, 128, 128}},
	{"white", [3]float64{255, 255, 255}},
	{"black", [3]float64{0, 0, 0}},
}

// surroundFailures are the cut-out attacks that passive scoring alone
// accepts today: MiniFASNet is swayed by a blue surround (the minivision
// replay scores 0.51 with one, 0.04 as recorded). They are logged, not
// asserted either way; every other one must be refused. A session does
// not rest on this score alone: the replay still has to perform the
// commands, and a screen replay is flat (the flat cue) and repeats frames.
var surroundFailures = map[string]string{
	"minivision replay, blue surround": "p(live) 0.509 on one frame; a blue backdrop around a cut-out replay",
}

// TestColouredSurroundAttacks: what lies around a face must not make an
// attack live. The shared print and replay attacks, with everything beyond
// 15 % of the face box painted one colour (a cut-out held before a
// backdrop), must be refused by passive scoring, except surroundFailures.
// Neutral surrounds score at most 0.03; blue ones up to 0.51. This guards
// colour handling: issue 15's wb-cool failure is tempting to fix by
// correcting a cool cast measured on the face's surroundings, and that fix
// fails here: it warms the face of a print before a bluish wall, and the
// pad F1 print went from p(live) 0.45 to 0.57. The correction adopted
// (models.AntiSpoof.Score) also asks the face itself to be blue, and
// leaves every score here as it was.
func TestColouredSurroundAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 24 attack images")
	}
	s, det := newScorer(t)

	attacks := []struct {
		name, species string
		img           gocv.Mat
	}{
		{"pad F1", speciesPrt, readImage(t, shared(t, padPrint))},
		{"pad F2", speciesRepl, readImage(t, shared(t, padReplay))},
		{"minivision replay", speciesRepl, clipFrame(t, minivision, 1600*time.Millisecond)},
		{"minivision print", speciesPrt, clipFrame(t, minivision, 2600*time.Millisecond)},
	}
	var recs []Recording
	for _, a := range attacks {
		faces, err := det.Detect(a.img, nil)
		if err != nil || len(faces) == 0 {
			t.Fatalf("%s: no face (%v)", a.name, err)
		}
		box := faces[0].Box
		for _, f := range faces[1:] {
			if f.Box.W*f.Box.H > box.W*box.H {
				box = f.Box
			}
		}
		for _, c := range surroundColours {
			img := surround(a.img, box, 0.15, c.bgr)
			res, err := s.ScoreImage(img)
			img.Close()
			if err != nil {
				t.Fatalf("%s, %s surround: %v", a.name, c.name, err)
			}
			rel := fmt.Sprintf("%s, %s surround", a.name, c.name)
			t.Logf("%-32s p(live) %.3f", rel, res.Live)
			recs = append(recs, NewRecording(res, a.species, rel, ""))
		}
	}
	var checked []Presentation
	for _, p := range Rescore(DefaultCalibration(), recs) {
		if why, known := surroundFailures[p.Source]; known {
			t.Logf("%s: p(live) %.3f, a known failure (%s)", p.Source, p.Score, why)
			continue
		}
		checked = append(checked, p)
	}
	rep := Evaluate(checked, DefaultPassiveThreshold)
	want := len(attacks)*len(surroundColours) - len(surroundFailures)
	if rep.APCERMax != 0 || rep.Counts[speciesPrt]+rep.Counts[speciesRepl] != want {
		t.Errorf("APCER %v over %v presentations; want 0 over %d", rep.APCER, rep.Counts, want)
	}
}

// surround returns a copy of img with everything beyond margin (a fraction
// of the box's size, each side) around box painted bgr. The caller closes it.
func surround(img gocv.Mat, box models.Rect, margin float32, bgr [3]float64) gocv.Mat {
	out := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(bgr[0], bgr[1], bgr[2], 0), img.Rows(), img.Cols(), gocv.MatTypeCV8UC3)
	r := image.Rect(int(box.X-margin*box.W), int(box.Y-margin*box.H),
		int(box.X+(1+margin)*box.W), int(box.Y+(1+margin)*box.H)).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	src, dst := img.Region(r), out.Region(r)
	src.CopyTo(&dst)
	src.Close()
	dst.Close()
	return out
}

// clipFrame returns the frame of the shared clip rel at offset at, as a BGR
// Mat closed when the test ends.
func clipFrame(t *testing.T, rel string, at time.Duration) gocv.Mat {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), "file:"+shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if cam, err = Segment(cam, at, at+time.Second); err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	f, err := cam.Read(context.Background())
	if err != nil {
		t.Fatalf("%s at %v: %v", rel, at, err)
	}
	defer f.Close()
	m, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data[:f.Stride*f.Height])
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Clone()
	t.Cleanup(func() { c.Close() })
	return c
}
