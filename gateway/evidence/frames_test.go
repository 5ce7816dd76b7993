package evidence

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"testing"
	"time"
)

// The frame hashes kept for the replay cue: a lookup finds every kept hash
// within Hamming distance 3 of the probe through one of its four bands
// (whatever bits differ, high bit of the signed column included), only
// those kept since the date asked, at most limit of them; a hash differing
// in every band is not a candidate; pruning drops the old ones.
func testFrameHashes(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn, testKey(t))
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	base := uint64(0x8123_4567_89ab_cdef) // top bit set: stored as a negative integer
	fine := [4]uint64{1, 2, 3, 1 << 63}
	old := []FrameHash{{Coarse: base, Fine: fine}, {Coarse: ^base, Fine: fine}}
	if err := s.RecordFrames(ctx, "session-old", at.Add(-48*time.Hour), old); err != nil {
		t.Fatal(err)
	}
	var recent []FrameHash
	for i := range 250 { // more than one insert statement
		recent = append(recent, FrameHash{Coarse: base ^ uint64(i)<<20, Fine: [4]uint64{uint64(i)}})
	}
	if err := s.RecordFrames(ctx, "session-new", at, recent); err != nil {
		t.Fatal(err)
	}
	since := at.Add(-time.Hour)
	for _, flip := range []uint64{0, 1<<63 | 1<<47 | 1<<31, 1<<0 | 1<<16 | 1<<32, 1<<5 | 1<<6 | 1<<7} {
		got, err := s.SimilarFrames(ctx, base^flip, since, 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range got {
			if p.Session == "session-old" {
				t.Errorf("flip %x: a frame kept before since: %+v", flip, p)
			}
			if p.Session == "session-new" && p.Hash.Coarse == base && p.Hash.Fine == [4]uint64{0} && p.Time.Equal(at) {
				found = true
			}
		}
		if !found || len(got) > 10 {
			t.Errorf("flip %x (distance %d): %d candidates, the kept hash among them %v", flip, bits.OnesCount64(flip), len(got), found)
		}
	}
	// The old session, looked up without a date bound, keeps its fine hash.
	got, err := s.SimilarFrames(ctx, ^base, time.Time{}, 5)
	if err != nil || len(got) != 1 || got[0].Session != "session-old" || got[0].Hash != old[1] {
		t.Errorf("old hash: %+v, %v", got, err)
	}
	// Distance 4, one bit in each band: no band shared, not a candidate.
	if got, err := s.SimilarFrames(ctx, base^(1<<50|1<<34|1<<18|1<<2), since, 1000); err != nil || len(got) != 0 {
		t.Errorf("one bit off in every band: %d candidates, %v; want none", len(got), err)
	}
	if got, _ := s.SimilarFrames(ctx, base, since, 1000); len(got) != 250 {
		t.Errorf("the 250 hashes sharing bands: %d candidates", len(got))
	}
	// 300 later frames sharing a band (an attacker's decoys) do not push
	// the earliest out of a lookup of 10.
	decoys := make([]FrameHash, 300)
	for i := range decoys {
		decoys[i] = FrameHash{Coarse: base ^ 1}
	}
	if err := s.RecordFrames(ctx, "session-decoys", at.Add(time.Minute), decoys); err != nil {
		t.Fatal(err)
	}
	got, err = s.SimilarFrames(ctx, base, since, 10)
	var sessions []string
	for _, p := range got {
		sessions = append(sessions, p.Session)
	}
	if err != nil || len(got) != 10 || !slices.Contains(sessions, "session-new") || !slices.Contains(sessions, "session-decoys") {
		t.Errorf("after 300 decoys: %v, %v; want the oldest and the newest candidates", sessions, err)
	}
	for _, bad := range []struct {
		session string
		n       int
	}{{"", 1}, {"too-many", MaxSessionFrames + 1}} {
		if err := s.RecordFrames(ctx, bad.session, at, make([]FrameHash, bad.n)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("RecordFrames(%q, %d hashes): %v, want ErrInvalidRecord", bad.session, bad.n, err)
		}
	}
	if n, err := s.PruneFrames(ctx, since); err != nil || n != 2 {
		t.Errorf("PruneFrames: %d, %v; want the 2 old ones", n, err)
	}
	if got, _ := s.SimilarFrames(ctx, ^base, time.Time{}, 5); len(got) != 0 {
		t.Errorf("after pruning: %+v", got)
	}
}

// BenchmarkSimilarFrames: one replay-cue lookup among 100 sessions of 150
// frames on SQLite.
func BenchmarkSimilarFrames(b *testing.B) {
	ctx := context.Background()
	s := open(b, newSQLite(b), testKey(b))
	at := time.Now()
	var x uint64 = 0x9E3779B97F4A7C15
	for i := range 100 {
		hs := make([]FrameHash, 150)
		for j := range hs {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			hs[j] = FrameHash{Coarse: x}
		}
		if err := s.RecordFrames(ctx, fmt.Sprint("s", i), at, hs); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.SimilarFrames(ctx, uint64(i)*0x9E3779B97F4A7C15, at.Add(-time.Hour), 400); err != nil {
			b.Fatal(err)
		}
	}
}
