package evidence

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// bands splits a coarse hash into its four 16-bit bands, high bits first.
func bands(h uint64) [4]int64 {
	return [4]int64{int64(h >> 48), int64(h >> 32 & 0xffff), int64(h >> 16 & 0xffff), int64(h & 0xffff)}
}

func fineBytes(f [4]uint64) []byte {
	b := make([]byte, 32)
	for i, w := range f {
		binary.BigEndian.PutUint64(b[8*i:], w)
	}
	return b
}

func (s *store) RecordFrames(ctx context.Context, session string, at time.Time, hashes []FrameHash) error {
	switch {
	case session == "":
		return fmt.Errorf("%w: frame hashes without a session", ErrInvalidRecord)
	case len(hashes) > MaxSessionFrames:
		return fmt.Errorf("%w: %d frame hashes, at most %d", ErrInvalidRecord, len(hashes), MaxSessionFrames)
	case len(hashes) == 0:
		return nil
	}
	const cols, perStmt = 9, 100 // 900 parameters a statement, below SQLite's limits
	err := s.b.write(ctx, func(q querier) error {
		for start := 0; start < len(hashes); start += perStmt {
			part := hashes[start:min(start+perStmt, len(hashes))]
			args := make([]any, 0, cols*len(part))
			for i, h := range part {
				b := bands(h.Coarse)
				args = append(args, session, start+i, at.UnixNano(), int64(h.Coarse), fineBytes(h.Fine), b[0], b[1], b[2], b[3])
			}
			if _, err := q.exec(ctx, "INSERT INTO frame_hashes (session, idx, time_ns, coarse, fine, b0, b1, b2, b3) VALUES "+
				placeholders(len(part), cols), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("evidence: record frames: %w", err)
	}
	return nil
}

func (s *store) SimilarFrames(ctx context.Context, coarse uint64, since time.Time, limit int) ([]PastFrame, error) {
	if limit <= 0 {
		return nil, nil
	}
	b := bands(coarse)
	var out []PastFrame
	err := s.b.read(ctx, func(q querier) error {
		// One indexed lookup per band, united: each band's index serves
		// its part on both databases. Of the candidates, the oldest half
		// and the newest half: sessions recorded after a session (an
		// attacker's, sharing its bands) cannot push it out of the
		// answer, nor can old ones push out the newest.
		rs, err := q.query(ctx, `WITH c AS (
			SELECT session, idx, time_ns, coarse, fine FROM frame_hashes WHERE b0 = $1 AND time_ns >= $5
			UNION SELECT session, idx, time_ns, coarse, fine FROM frame_hashes WHERE b1 = $2 AND time_ns >= $5
			UNION SELECT session, idx, time_ns, coarse, fine FROM frame_hashes WHERE b2 = $3 AND time_ns >= $5
			UNION SELECT session, idx, time_ns, coarse, fine FROM frame_hashes WHERE b3 = $4 AND time_ns >= $5)
			SELECT session, time_ns, coarse, fine FROM (
				SELECT * FROM (SELECT * FROM c ORDER BY time_ns, session, idx LIMIT $6) o
				UNION SELECT * FROM (SELECT * FROM c ORDER BY time_ns DESC, session, idx LIMIT $7) n) u
			ORDER BY time_ns DESC, session, idx`, b[0], b[1], b[2], b[3], since.UnixNano(), (limit+1)/2, limit/2)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p PastFrame
			var ns, c int64
			var fine []byte
			if err := rs.Scan(&p.Session, &ns, &c, &fine); err != nil {
				return err
			}
			if len(fine) != 32 {
				return fmt.Errorf("fine hash of %d bytes", len(fine))
			}
			p.Time, p.Hash.Coarse = time.Unix(0, ns).UTC(), uint64(c)
			for i := range p.Hash.Fine {
				p.Hash.Fine[i] = binary.BigEndian.Uint64(fine[8*i:])
			}
			out = append(out, p)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("evidence: similar frames: %w", err)
	}
	return out, nil
}

func (s *store) PruneFrames(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.b.write(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, "DELETE FROM frame_hashes WHERE time_ns < $1", before.UnixNano())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("evidence: prune frames: %w", err)
	}
	return int(n), nil
}
