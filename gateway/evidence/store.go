package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// store is the Store over either backend.
type store struct {
	b   backend
	key []byte

	closeOnce sync.Once
	closeErr  error
}

func (s *store) Append(ctx context.Context, seal func(prevHash string) (Record, error)) (Entry, error) {
	d := s.b.dialect()
	var e Entry
	err := s.b.write(ctx, func(q querier) error {
		var head int64
		var prev string
		if err := q.queryRow(ctx, d.headForUpdate).Scan(&head, &prev); err != nil {
			return fmt.Errorf("evidence: read chain head: %w", err)
		}
		r, err := seal(prev)
		if err != nil {
			return err
		}
		if err := checkRecord(r); err != nil {
			return err
		}
		l := link{seq: head + 1, prevHash: prev, id: r.ID, timeNs: r.Time.UnixNano(), decision: r.Decision,
			reasons: r.Reasons, bin: r.BIN, gateway: r.Gateway, docSHA256: sha256.Sum256(r.Document)}
		blobs := make([][]byte, len(r.Images))
		for i, im := range r.Images {
			l.images = append(l.images, imageDigest{im.Name, hexSHA256(im.JPEG)})
			if blobs[i], err = sealImage(s.key, r.ID, im.Name, im.JPEG); err != nil {
				return fmt.Errorf("evidence: encrypt image: %w", err)
			}
		}
		hash := l.hash()
		reasons, _ := json.Marshal(nonNil(r.Reasons))
		_, err = q.exec(ctx, `INSERT INTO documents (seq, id, time_ns, decision, reasons, bin, gateway, document, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			l.seq, r.ID, l.timeNs, r.Decision, string(reasons), r.BIN, r.Gateway, nonNilBytes(r.Document), prev, hash)
		if d.isUnique(err) {
			return fmt.Errorf("%w: %q", ErrDuplicateID, r.ID)
		}
		if err != nil {
			return fmt.Errorf("evidence: append: %w", err)
		}
		if len(l.images) > 0 { // one statement per table: fewer round trips
			var digests, data []any
			for i, im := range l.images {
				digests = append(digests, l.seq, i, im.name, im.sha256)
				data = append(data, l.seq, i, blobs[i])
			}
			if _, err := q.exec(ctx, "INSERT INTO images (seq, idx, name, sha256) VALUES "+placeholders(len(l.images), 4), digests...); err != nil {
				return fmt.Errorf("evidence: append images: %w", err)
			}
			if _, err := q.exec(ctx, "INSERT INTO image_data (seq, idx, data) VALUES "+placeholders(len(l.images), 3), data...); err != nil {
				return fmt.Errorf("evidence: append images: %w", err)
			}
		}
		if _, err := q.exec(ctx, "UPDATE chain_head SET seq = $1, hash = $2 WHERE one = 1", l.seq, hash); err != nil {
			return fmt.Errorf("evidence: move chain head: %w", err)
		}
		e = Entry{Seq: l.seq, Hash: hash, PrevHash: prev, ID: r.ID}
		return nil
	})
	if err != nil {
		return Entry{}, err
	}
	return e, nil
}

// checkRecord refuses what cannot be appended.
func checkRecord(r Record) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("%w: no id", ErrInvalidRecord)
	case r.Time.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalidRecord)
	case r.Decision == "":
		return fmt.Errorf("%w: no decision", ErrInvalidRecord)
	}
	names := map[string]bool{}
	for _, im := range r.Images {
		if im.Name == "" || names[im.Name] {
			return fmt.Errorf("%w: image names must be unique and not empty", ErrInvalidRecord)
		}
		names[im.Name] = true
	}
	return nil
}

func (s *store) Get(ctx context.Context, id string) (Record, Entry, error) {
	var (
		r       Record
		e       Entry
		timeNs  int64
		purged  int64
		reasons string
		blobs   [][]byte
	)
	err := s.b.read(ctx, func(q querier) error {
		err := q.queryRow(ctx, `SELECT seq, id, time_ns, decision, reasons, bin, gateway, document, prev_hash, hash, purged_ns
			FROM documents WHERE id = $1`, id).
			Scan(&e.Seq, &r.ID, &timeNs, &r.Decision, &reasons, &r.BIN, &r.Gateway, &r.Document, &e.PrevHash, &e.Hash, &purged)
		if errors.Is(err, errNoRows) {
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("evidence: get: %w", err)
		}
		rs, err := q.query(ctx, `SELECT i.name, i.sha256, d.data FROM images i
			LEFT JOIN image_data d ON d.seq = i.seq AND d.idx = i.idx WHERE i.seq = $1 ORDER BY i.idx`, e.Seq)
		if err != nil {
			return fmt.Errorf("evidence: get images: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var im Image
			var blob []byte
			if err := rs.Scan(&im.Name, &im.SHA256, &blob); err != nil {
				return fmt.Errorf("evidence: get images: %w", err)
			}
			r.Images = append(r.Images, im)
			blobs = append(blobs, blob)
		}
		return rs.Err()
	})
	if err != nil {
		return Record{}, Entry{}, err
	}
	e.ID, r.Time = r.ID, time.Unix(0, timeNs).UTC()
	if purged != 0 {
		e.Purged = time.Unix(0, purged).UTC()
	}
	if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
		return Record{}, Entry{}, fmt.Errorf("evidence: get %q: reasons: %w", id, err)
	}
	if len(r.Reasons) == 0 {
		r.Reasons = nil
	}
	var gone bool
	for i := range r.Images {
		if blobs[i] == nil {
			gone = true
			continue
		}
		jpeg, err := openImage(s.key, r.ID, r.Images[i].Name, blobs[i])
		if err != nil {
			return Record{}, Entry{}, fmt.Errorf("evidence: get %q: image %q: %w", id, r.Images[i].Name, err)
		}
		if hexSHA256(jpeg) != r.Images[i].SHA256 {
			return Record{}, Entry{}, fmt.Errorf("evidence: get %q: image %q: %w", id, r.Images[i].Name, ErrImageAltered)
		}
		r.Images[i].JPEG = jpeg
	}
	if gone {
		return r, e, fmt.Errorf("evidence: get %q: %w", id, ErrImagesPurged)
	}
	return r, e, nil
}

func (s *store) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	st := Stats{From: from, To: to}
	err := s.b.read(ctx, func(q querier) error {
		rs, err := q.query(ctx, `SELECT decision, reasons, COUNT(*) FROM documents
			WHERE time_ns >= $1 AND time_ns < $2 GROUP BY decision, reasons`, from.UnixNano(), to.UnixNano())
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var decision, reasons string
			var n int64
			if err := rs.Scan(&decision, &reasons, &n); err != nil {
				return err
			}
			st.Attempts += n
			st.count(decision, reasons, n)
		}
		return rs.Err()
	})
	if err != nil {
		return Stats{}, fmt.Errorf("evidence: stats: %w", err)
	}
	return st, nil
}

func (s *store) Purge(ctx context.Context, olderThan time.Time) (int, error) {
	var n int64
	err := s.b.write(ctx, func(q querier) error {
		if _, err := q.exec(ctx, `DELETE FROM image_data WHERE seq IN
			(SELECT seq FROM documents WHERE time_ns < $1 AND purged_ns = 0)`, olderThan.UnixNano()); err != nil {
			return err
		}
		var err error
		n, err = q.exec(ctx, "UPDATE documents SET purged_ns = $1 WHERE time_ns < $2 AND purged_ns = 0",
			time.Now().UnixNano(), olderThan.UnixNano())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("evidence: purge: %w", err)
	}
	return int(n), nil
}

func (s *store) Failure(ctx context.Context, key string, at time.Time) error {
	err := s.b.write(ctx, func(q querier) error {
		_, err := q.exec(ctx, "INSERT INTO failures (key, time_ns) VALUES ($1, $2)", key, at.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("evidence: record failure: %w", err)
	}
	return nil
}

func (s *store) Failures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	var ts []time.Time
	err := s.b.read(ctx, func(q querier) error {
		rs, err := q.query(ctx, "SELECT time_ns FROM failures WHERE key = $1 AND time_ns > $2 ORDER BY time_ns", key, since.UnixNano())
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var ns int64
			if err := rs.Scan(&ns); err != nil {
				return err
			}
			ts = append(ts, time.Unix(0, ns).UTC())
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("evidence: failures: %w", err)
	}
	return ts, nil
}

func (s *store) LockedFor(ctx context.Context, key string, now time.Time, window time.Duration, max int) (time.Duration, error) {
	ts, err := s.Failures(ctx, key, now.Add(-window))
	if err != nil {
		return 0, err
	}
	return Lockout(ts, now, window, max), nil
}

func (s *store) PruneFailures(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.b.write(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, "DELETE FROM failures WHERE time_ns <= $1", before.UnixNano())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("evidence: prune failures: %w", err)
	}
	return int(n), nil
}

func (s *store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.b.close() })
	return s.closeErr
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// placeholders returns "($1, $2), ($3, $4)" for rows rows of cols columns.
func placeholders(rows, cols int) string {
	var sb strings.Builder
	for r := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("$" + strconv.Itoa(r*cols+c+1))
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

func (s *store) Hold(ctx context.Context, key, holder string, now, until time.Time) (bool, error) {
	var n int64
	err := s.b.write(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `INSERT INTO holds (key, holder, until_ns) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, until_ns = excluded.until_ns
			WHERE holds.until_ns <= $4 OR holds.holder = excluded.holder`, key, holder, until.UnixNano(), now.UnixNano())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("evidence: hold: %w", err)
	}
	return n == 1, nil
}

func (s *store) Release(ctx context.Context, key, holder string) error {
	err := s.b.write(ctx, func(q querier) error {
		_, err := q.exec(ctx, "DELETE FROM holds WHERE key = $1 AND holder = $2", key, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("evidence: release: %w", err)
	}
	return nil
}

func (s *store) ReleaseGateway(ctx context.Context, gateway string) (int, error) {
	if gateway == "" || strings.Contains(gateway, "/") {
		return 0, fmt.Errorf("evidence: release gateway: bad gateway id %q", gateway)
	}
	prefix := gateway + "/"
	var n int64
	err := s.b.write(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, "DELETE FROM holds WHERE substr(holder, 1, $1) = $2", len(prefix), prefix)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("evidence: release gateway: %w", err)
	}
	return int(n), nil
}
