package challenge

import (
	"encoding/binary"
	"fmt"
	"io"
)

// plan holds the random draws of every attempt, made in New so that a
// failing random source is an error there and never a surprise mid-session.
// Nothing of it is revealed before a command is issued.
type plan struct {
	perms [][]Command // per attempt: a uniformly random permutation of Offered
	spare []int       // per attempt: uniform in [1, len(Offered)), see commands
}

// newPlan draws attempts permutations of offered from r.
func newPlan(r io.Reader, offered []Command, attempts int) (plan, error) {
	n := len(offered)
	p := plan{perms: make([][]Command, attempts), spare: make([]int, attempts)}
	for a := range attempts {
		perm := append([]Command(nil), offered...)
		// Fisher-Yates: every permutation equally likely.
		for i := n - 1; i > 0; i-- {
			j, err := uniform(r, i+1)
			if err != nil {
				return plan{}, err
			}
			perm[i], perm[j] = perm[j], perm[i]
		}
		j, err := uniform(r, n-1)
		if err != nil {
			return plan{}, err
		}
		p.perms[a], p.spare[a] = perm, 1+j
	}
	return p, nil
}

// commands returns attempt a's count commands (a is 0-based), the first of
// which differs from last (the command issued just before, "" for none).
//
// If the permutation starts with last, its head is swapped with the
// pre-drawn spare position. That keeps the draw uniform over the sequences
// that do not start with last: such a sequence arises either directly or,
// with last at a uniformly random later position, from the swap, and both
// routes weigh every allowed sequence equally.
func (p plan) commands(a, count int, last Command) []Command {
	perm := append([]Command(nil), p.perms[a]...)
	if perm[0] == last {
		j := p.spare[a]
		perm[0], perm[j] = perm[j], perm[0]
	}
	return perm[:count]
}

// uniform returns an integer uniformly distributed in [0, n) from 8 bytes
// of r at a time, rejecting the values that would bias a modulo: of the
// 2^64 possible values, the lowest 2^64 mod n are redrawn, so the rest
// split evenly into n classes.
func uniform(r io.Reader, n int) (int, error) {
	if n <= 0 {
		panic("challenge: uniform over an empty range")
	}
	un := uint64(n)
	floor := -un % un // 2^64 mod n
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("challenge: random source: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v >= floor {
			return int(v % un), nil
		}
	}
}
