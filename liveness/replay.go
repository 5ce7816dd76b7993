package liveness

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"math/bits"
	"slices"

	"github.com/biogate/biogate/outcome"
)

// CueReplay is the replay cue's name (Replay).
const CueReplay = "replay"

// Replay cue parameters. The distances were measured on the shared clips
// (TestReplayHashDistances): a frame and its JPEG re-encoding (quality 88,
// same size) are at most 2 fine bits apart, frames of the same person a
// second or more apart in the same clip at least 4 (the steadiest clips),
// two clips of the same man at the same place at least 14.
const (
	// ReplayFineDistance: two frames whose fine hashes are at most this
	// many bits apart are the same frame.
	ReplayFineDistance = 3
	// ReplayMinFrames: a session replays an earlier one when at least
	// this many of its frames are the same frames as that session's ...
	ReplayMinFrames = 5
	// ReplayMinShare ... and they are at least this share of its hashed
	// frames.
	ReplayMinShare = 0.2
	// ReplayMaxFrames bounds the frames hashed per session (lookups and
	// the hashes kept).
	ReplayMaxFrames = 150
	// ReplayLookupLimit bounds the candidates of one lookup.
	ReplayLookupLimit = 400
)

// FrameHash is a frame's perceptual hash (HashFrame): what the replay cue
// keeps of a frame. It is no image, but it is derived from one with a face
// in it: keep it like biometric evidence (with the images' retention, never
// beside an IIN).
type FrameHash struct {
	// Coarse is a 64-bit DCT hash (8x8 of a 32x32 grey thumbnail of the
	// whole frame): robust, for finding candidates by its 16-bit bands.
	Coarse uint64
	// Fine is a 256-bit DCT hash (16x16 of a 64x64 thumbnail): fine
	// enough to tell a frame's re-encoding from the next moment of a
	// still person.
	Fine [4]uint64
}

// FineDistance is the Hamming distance between two fine hashes.
func (h FrameHash) FineDistance(o FrameHash) int {
	n := 0
	for i := range h.Fine {
		n += bits.OnesCount64(h.Fine[i] ^ o.Fine[i])
	}
	return n
}

// PastFrame is a frame hash an earlier session kept.
type PastFrame struct {
	Session string
	Hash    FrameHash
}

// FrameHistory keeps the frame hashes of ended sessions, across sessions and
// gateways (the daemon adapts the evidence store to it). Its methods are
// called from the session's goroutine and should answer within
// milliseconds; an error leaves the replay cue without evidence.
type FrameHistory interface {
	// Similar returns kept frames whose Coarse hash shares at least one
	// of its four 16-bit bands with h.Coarse (every frame within coarse
	// distance 3, and more).
	Similar(h FrameHash) ([]PastFrame, error)
	// Record keeps an ended session's frame hashes under session, an
	// opaque id.
	Record(session string, hashes []FrameHash) error
}

// Ender is a cue that must know when its session has ended, whatever the
// verdict: Checker.Run calls EndSession once, after the session's result is
// made (also when Run fails).
type Ender interface {
	EndSession()
}

// Replay is the replay cue, a Decider: it hashes every counted frame of the
// session (the whole frame, HashFrame), looks each up in a FrameHistory,
// and decides replayed_frames when at least ReplayMinFrames of them, and
// ReplayMinShare of those hashed, are the same frames (fine distance at most
// ReplayFineDistance) as frames of ONE earlier session. At the end of the
// session it records its hashes (EndSession), so a session never matches
// itself and a recording relayed a second time is caught, on any gateway
// sharing the history.
//
// Its score is 0.02 for a replay and 0.5 otherwise (finding no earlier
// session says nothing about liveness); weight 0: it decides, it is not
// fused. Available once ReplayMinFrames frames are hashed and looked up.
//
// Whole frames, not face crops: a face crop moves with the detector's box,
// which a re-encoding shifts (its hashes then differ by more than two
// genuine frames do), and a whole-frame hash is less of a face template.
// What it does not catch: a recording cropped, rescaled or re-rendered
// before replay (the other cues' job), and a recording never seen by a
// gateway sharing the history.
type Replay struct {
	history FrameHistory
	session string
	hashes  []FrameHash
	matches map[string]int // earlier session -> frames of this one matching it
	looked  int            // frames looked up without error
	ended   bool
	hasher  frameHasher
}

// NewReplay returns a replay cue over history for one session; a nil history
// gives a cue that is never available.
func NewReplay(history FrameHistory) *Replay {
	var id [16]byte
	rand.Read(id[:])
	return &Replay{history: history, session: hex.EncodeToString(id[:]), matches: map[string]int{}}
}

// Name is CueReplay.
func (r *Replay) Name() string { return CueReplay }

// Weight is 0: the cue decides, it is not fused.
func (r *Replay) Weight() float64 { return 0 }

// Reason is replayed_frames.
func (r *Replay) Reason() outcome.Reason { return outcome.ReasonReplayedFrames }

// DecideBelow is 0.1: a replay scores 0.02.
func (r *Replay) DecideBelow() float64 { return 0.1 }

// SkipFrame does nothing: frames are compared one by one.
func (r *Replay) SkipFrame() {}

func (r *Replay) sessionMatches() (int, string) {
	best, who := 0, ""
	for s, n := range r.matches {
		if n > best || (n == best && s < who) {
			best, who = n, s
		}
	}
	return best, who
}

// ObserveFrame hashes the frame and looks it up.
func (r *Replay) ObserveFrame(f *CueFrame) {
	if r.history == nil || r.ended || len(r.hashes) >= ReplayMaxFrames {
		return
	}
	h, ok := r.hasher.hash(f.px)
	if !ok {
		return
	}
	r.hashes = append(r.hashes, h)
	past, err := r.history.Similar(h)
	if err != nil { // the history says it (the daemon logs it)
		return
	}
	r.looked++
	seen := map[string]bool{}
	for _, p := range past {
		if p.Session != r.session && !seen[p.Session] && h.FineDistance(p.Hash) <= ReplayFineDistance {
			seen[p.Session] = true
			r.matches[p.Session]++
		}
	}
}

// Score is 0.02 when the session replays an earlier one, else 0.5.
func (r *Replay) Score() (float64, bool) {
	if r.looked < ReplayMinFrames {
		return 0.5, false
	}
	n, _ := r.sessionMatches()
	if n >= ReplayMinFrames && float64(n) >= ReplayMinShare*float64(len(r.hashes)) {
		return 0.02, true
	}
	return 0.5, true
}

// Reset forgets the session's frames without recording them, under a new
// session id.
func (r *Replay) Reset() {
	*r = *NewReplay(r.history)
}

// EndSession records the session's hashes in the history, once.
func (r *Replay) EndSession() {
	if r.ended || r.history == nil || len(r.hashes) == 0 {
		r.ended = true
		return
	}
	r.ended = true
	r.history.Record(r.session, r.hashes) // an error is the history's to report
}

// HashFrame returns the perceptual hash of a BGR frame's pixels (w x h,
// packed, 3 bytes a pixel); ok is false for a frame under 64x64.
func HashFrame(px []byte, w, h int) (FrameHash, bool) {
	var fh frameHasher
	return fh.hash(frame{px: px, w: w, h: h})
}

// The hash's sizes: a 64x64 grey thumbnail (area average), its 16x16
// lowest DCT coefficients for the fine hash; the thumbnail halved to 32x32,
// its 8x8 lowest for the coarse one. Each bit says whether a coefficient
// (DC left out) is above the median of the others.
const (
	thumbFine   = 64
	coefsFine   = 16
	thumbCoarse = 32
	coefsCoarse = 8
)

// frameHasher holds a cue's buffers for HashFrame.
type frameHasher struct {
	sum    []float64 // thumbFine^2 sums
	cnt    []float64
	coarse []float64
	tmp    []float64
	coefs  []float64
}

var (
	dctFine   = dctTable(thumbFine, coefsFine)
	dctCoarse = dctTable(thumbCoarse, coefsCoarse)
)

// dctTable returns the DCT-II basis cos(pi/n (x+1/2) k) for k < m, x < n.
func dctTable(n, m int) []float64 {
	t := make([]float64, m*n)
	for k := range m {
		for x := range n {
			t[k*n+x] = math.Cos(math.Pi / float64(n) * (float64(x) + 0.5) * float64(k))
		}
	}
	return t
}

func (fh *frameHasher) hash(f frame) (FrameHash, bool) {
	if f.w < thumbFine || f.h < thumbFine || len(f.px) < f.w*f.h*3 {
		return FrameHash{}, false
	}
	const n = thumbFine
	if fh.sum == nil {
		fh.sum, fh.cnt = make([]float64, n*n), make([]float64, n*n)
		fh.coarse = make([]float64, thumbCoarse*thumbCoarse)
		fh.tmp = make([]float64, n*coefsFine)
		fh.coefs = make([]float64, coefsFine*coefsFine)
	}
	clear(fh.sum)
	clear(fh.cnt)
	for y := range f.h {
		ty := y * n / f.h
		row := f.px[y*f.w*3 : (y+1)*f.w*3]
		for x := range f.w {
			b, g, r := row[3*x], row[3*x+1], row[3*x+2]
			i := ty*n + x*n/f.w
			fh.sum[i] += 0.114*float64(b) + 0.587*float64(g) + 0.299*float64(r)
			fh.cnt[i]++
		}
	}
	for i := range fh.sum {
		fh.sum[i] /= fh.cnt[i]
	}
	for y := range thumbCoarse {
		for x := range thumbCoarse {
			fh.coarse[y*thumbCoarse+x] = (fh.sum[2*y*n+2*x] + fh.sum[2*y*n+2*x+1] + fh.sum[(2*y+1)*n+2*x] + fh.sum[(2*y+1)*n+2*x+1]) / 4
		}
	}
	var h FrameHash
	fine := fh.dct(fh.sum, n, coefsFine, dctFine)
	for i, set := range medianBits(fine) {
		if set {
			h.Fine[i/64] |= 1 << (63 - i%64)
		}
	}
	coarse := fh.dct(fh.coarse, thumbCoarse, coefsCoarse, dctCoarse)
	for i, set := range medianBits(coarse) {
		if set {
			h.Coarse |= 1 << (63 - i)
		}
	}
	return h, true
}

// dct returns the m x m lowest 2D DCT-II coefficients of the n x n img,
// row-major, in fh.coefs.
func (fh *frameHasher) dct(img []float64, n, m int, table []float64) []float64 {
	tmp := fh.tmp[:n*m] // tmp[y*m+k]: row y's coefficient k
	for y := range n {
		row := img[y*n : (y+1)*n]
		for k := range m {
			s := 0.0
			for x, v := range row {
				s += v * table[k*n+x]
			}
			tmp[y*m+k] = s
		}
	}
	out := fh.coefs[:m*m]
	for j := range m {
		for k := range m {
			s := 0.0
			for y := range n {
				s += tmp[y*m+k] * table[j*n+y]
			}
			out[j*m+k] = s
		}
	}
	return out
}

// medianBits says for each coefficient but the first (DC) whether it is
// above the median of those.
func medianBits(c []float64) []bool {
	ac := slices.Clone(c[1:])
	slices.Sort(ac)
	med := ac[len(ac)/2]
	if len(ac)%2 == 0 {
		med = (ac[len(ac)/2-1] + ac[len(ac)/2]) / 2
	}
	out := make([]bool, len(c)-1)
	for i, v := range c[1:] {
		out[i] = v > med
	}
	return out
}
