package challenge_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/biogate/biogate/liveness/challenge"
)

// chacha is a deterministic random source for the draw tests.
func chacha(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// The draw through the public API: each attempt's commands are distinct
// and offered, the first command of an attempt is never the last one
// issued before it, and a random (not Fixed) challenge says so.
func TestDrawRules(t *testing.T) {
	offered := challenge.Commands()
	for seed := range uint64(150) {
		c := newChallenge(t, challenge.Config{Rand: chacha(seed), CommandTimeout: 2 * time.Second})
		// The person does the commands, except that in attempt a it
		// stops after (seed+a)%3 of them, so attempts end at every index.
		evs := person{act: func(e challenge.Event) (float64, bool) {
			return 1.6, e.Index < int(seed+uint64(e.Attempt))%3
		}}.live(c, 60)
		r := c.Result()
		if !r.Random || !r.Refused || r.Attempts != 3 {
			t.Fatalf("seed %d: result %+v; events %v", seed, r, kinds(evs))
		}
		var last challenge.Command
		for a, cmds := range r.Commands {
			want := (seed+uint64(a+1))%3 + 1
			if uint64(len(cmds)) != want {
				t.Fatalf("seed %d attempt %d: %d commands issued, want %d", seed, a+1, len(cmds), want)
			}
			seen := map[challenge.Command]bool{}
			for _, cr := range cmds {
				if !slices.Contains(offered, cr.Command) || seen[cr.Command] {
					t.Fatalf("seed %d attempt %d: commands %v", seed, a+1, cmds)
				}
				seen[cr.Command] = true
			}
			if cmds[0].Command == last {
				t.Errorf("seed %d: attempt %d starts with %s, the last command of the attempt before", seed, a+1, last)
			}
			last = cmds[len(cmds)-1].Command
		}
	}
}

// Over many draws every offered command comes first about equally often,
// and so does every command but the previous one at the start of the next
// attempt. Bounds are about 5 standard deviations.
func TestDrawUniform(t *testing.T) {
	const n = 3000
	first := map[challenge.Command]int{}
	next := map[challenge.Command]int{}
	for seed := range uint64(n) {
		c := newChallenge(t, challenge.Config{Rand: chacha(1e6 + seed), CommandTimeout: 100 * time.Millisecond})
		evs := person{act: idle}.live(c, 2)
		var issued []challenge.Command
		for _, e := range evs {
			if e.Kind == challenge.KindIssued {
				issued = append(issued, e.Command)
			}
		}
		if len(issued) < 2 {
			t.Fatalf("seed %d: events %v", seed, kinds(evs))
		}
		first[issued[0]]++
		if issued[1] == issued[0] {
			t.Fatalf("seed %d: %s twice in a row", seed, issued[0])
		}
		// Count the second attempt's first command relative to the
		// previous one: its position among the other four in Commands().
		others := slices.DeleteFunc(challenge.Commands(), func(c challenge.Command) bool { return c == issued[0] })
		next[challenge.Command(fmt.Sprint(slices.Index(others, issued[1])))]++
	}
	for _, cmd := range challenge.Commands() {
		if got := first[cmd]; got < n/5-110 || got > n/5+110 {
			t.Errorf("%s first %d times in %d, want about %d", cmd, got, n, n/5)
		}
	}
	for i := range 4 {
		if got := next[challenge.Command(fmt.Sprint(i))]; got < n/4-120 || got > n/4+120 {
			t.Errorf("other command %d started the next attempt %d times in %d, want about %d", i, got, n, n/4)
		}
	}
	t.Logf("first commands %v; next attempt's first among the others %v", first, next)
}
