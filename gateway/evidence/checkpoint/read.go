package checkpoint

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/document"
)

// Set is the genuine checkpoints of a file, one per position, in order of
// position.
type Set []Checkpoint

// Read reads checkpoints, one a line, verifying each with keys at now. A
// line's checkpoint is its last field, so lines a witness prefixed (a
// syslog timestamp and tag) read as they are; empty lines are skipped. Any
// other line that is not a genuine checkpoint fails the read (ErrInvalid,
// naming the line): a forged or damaged checkpoint is itself tampering. Two
// genuine checkpoints naming different hashes for one position fail it with
// ErrFork. Memory grows with the number of positions (about 100 bytes
// each).
func Read(r io.Reader, keys document.KeySet, now time.Time) (Set, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	var s Set
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		c, err := Verify(f[len(f)-1], keys, now)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		s = append(s, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("checkpoint: read: %w", err)
	}
	slices.SortStableFunc(s, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	out := s[:0]
	for _, c := range s {
		if len(out) > 0 && out[len(out)-1].Seq == c.Seq {
			if p := out[len(out)-1]; p.Hash != c.Hash {
				return nil, fmt.Errorf("%w: two checkpoints the gateway signed disagree on the hash of document %d (signed %s and %s)", ErrFork, c.Seq,
					p.Time.Format(time.RFC3339), c.Time.Format(time.RFC3339))
			}
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// At returns the checkpoint of position seq.
func (s Set) At(seq int64) (Checkpoint, bool) {
	i, ok := slices.BinarySearchFunc(s, seq, func(c Checkpoint, seq int64) int { return cmp.Compare(c.Seq, seq) })
	if !ok {
		return Checkpoint{}, false
	}
	return s[i], true
}

// Latest returns the checkpoint of the highest position; false when s is
// empty.
func (s Set) Latest() (Checkpoint, bool) {
	if len(s) == 0 {
		return Checkpoint{}, false
	}
	return s[len(s)-1], true
}

// tailSize is how much of a checkpoint file's end Tail reads: a few
// checkpoints' worth.
const tailSize = 8 << 10

// Tail returns the checkpoint of the highest position among the last lines
// of the file at path (its last few kilobytes, so it costs the same for any
// file size), each verified as Read does; false when the file is missing
// or empty. For a gateway's start-up check of its store against its own
// latest checkpoint; Read is the full check.
func Tail(path string, keys document.KeySet, now time.Time) (Checkpoint, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint: %w", err)
	}
	off := max(st.Size()-tailSize, 0)
	b := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return Checkpoint{}, false, fmt.Errorf("checkpoint: %w", err)
	}
	if off > 0 { // the first line is cut: drop it
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	set, err := Read(bytes.NewReader(b), keys, now)
	if err != nil {
		return Checkpoint{}, false, err
	}
	c, ok := set.Latest()
	return c, ok, nil
}
