package challenge

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func be64(vs ...uint64) *bytes.Reader {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return bytes.NewReader(b)
}

// uniform rejects the lowest 2^64 mod n values, which a plain modulo would
// fold onto the low results.
func TestUniformRejectsBiasedValues(t *testing.T) {
	tests := []struct {
		n    int
		in   []uint64
		want int
		left int // bytes left unread
	}{
		{3, []uint64{0, 7}, 1, 0},              // 2^64 mod 3 = 1: 0 is redrawn
		{3, []uint64{1, 7}, 1, 8},              // 1 is kept: 1 mod 3
		{5, []uint64{0, 0, 9}, 4, 0},           // 2^64 mod 5 = 1
		{6, []uint64{3, 17}, 5, 0},             // 2^64 mod 6 = 4: 3 is redrawn
		{6, []uint64{4}, 4, 0},                 // 4 is kept
		{4, []uint64{0}, 0, 0},                 // a power of two: nothing redrawn
		{5, []uint64{^uint64(0)}, 0, 0},        // 2^64-1 mod 5 = 0
		{7, []uint64{1, ^uint64(0) - 1}, 0, 0}, // 2^64 mod 7 = 2: 1 redrawn; 2^64-2 mod 7 = 0
	}
	for _, tc := range tests {
		r := be64(tc.in...)
		got, err := uniform(r, tc.n)
		if err != nil || got != tc.want || r.Len() != tc.left {
			t.Errorf("uniform(%v, %d) = %d, %v with %d bytes left; want %d with %d left", tc.in, tc.n, got, err, r.Len(), tc.want, tc.left)
		}
	}
	if _, err := uniform(be64(0), 3); err == nil {
		t.Error("exhausted source: no error")
	}
}

// Every ordered choice of 3 of the 5 commands comes up about equally often,
// with or without a previous command to avoid.
func TestPlanUniformOverSequences(t *testing.T) {
	offered := Commands()
	src := rand.NewChaCha8([32]byte{7})
	for _, last := range []Command{"", TiltLeft} {
		counts := map[[3]Command]int{}
		const n = 60000
		for range n {
			p, err := newPlan(src, offered, 1)
			if err != nil {
				t.Fatal(err)
			}
			cmds := p.commands(0, 3, last)
			if cmds[0] == last {
				t.Fatalf("starts with %s", last)
			}
			counts[[3]Command(cmds)]++
		}
		want := 60 // 5*4*3 sequences
		if last != "" {
			want = 48 // 4*4*3: the first is not last
		}
		if len(counts) != want {
			t.Fatalf("last %q: %d distinct sequences, want %d", last, len(counts), want)
		}
		// Each count is binomial(n, 1/want): allow 5 standard deviations.
		mean := float64(n) / float64(want)
		for seq, c := range counts {
			if d := float64(c) - mean; d*d > 25*mean {
				t.Errorf("last %q: %v drawn %d times, want about %.0f", last, seq, c, mean)
			}
		}
	}
}
