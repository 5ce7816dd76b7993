package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// verifyBatch is how many entries Verify reads per query: bounded memory,
// few round trips.
const verifyBatch = 1000

func (s *store) Head(ctx context.Context) (Entry, error) {
	var e Entry
	err := s.b.read(ctx, func(q querier) error {
		return q.queryRow(ctx, "SELECT seq, hash FROM chain_head WHERE one = 1").Scan(&e.Seq, &e.Hash)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("evidence: read chain head: %w", err)
	}
	return e, nil
}

func (s *store) Verify(ctx context.Context) (VerifyReport, error) {
	return s.VerifyDocuments(ctx, nil)
}

func (s *store) VerifyDocuments(ctx context.Context, checkDoc func(e Entry, r Record) error) (VerifyReport, error) {
	var rep VerifyReport
	err := s.b.read(ctx, func(q querier) error {
		rep = VerifyReport{}
		var headHash string
		if err := q.queryRow(ctx, "SELECT seq, hash FROM chain_head WHERE one = 1").Scan(&rep.Head, &headHash); err != nil {
			return fmt.Errorf("read chain head: %w", err)
		}
		var (
			last int64  // seq of the last entry verified
			prev string // its hash
		)
		for {
			ls, hashes, docs, err := readBatch(ctx, q, last)
			if err != nil {
				return err
			}
			for i := range ls {
				if b := check(&ls[i], hashes[i], last, prev); b != nil {
					rep.FirstBroken = b
					return nil
				}
				if checkDoc != nil {
					e := Entry{Seq: ls[i].seq, Hash: hashes[i], PrevHash: ls[i].prevHash, ID: ls[i].id}
					if err := checkDoc(e, ls[i].record(docs[i])); err != nil {
						rep.FirstBroken = &Break{Seq: e.Seq, ID: e.ID, Reason: err.Error()}
						return nil
					}
				}
				last, prev = ls[i].seq, hashes[i]
				rep.Checked++
			}
			if len(ls) < verifyBatch {
				break
			}
		}
		// The head names the last entry: a chain cut at its end shows here.
		switch {
		case last < rep.Head:
			rep.FirstBroken = &Break{Seq: last + 1, Reason: fmt.Sprintf("document missing: the chain head names %d documents, the last present is %d", rep.Head, last)}
		case last > rep.Head || prev != headHash:
			rep.FirstBroken = &Break{Seq: rep.Head, Reason: "the chain head does not name the last document"}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("evidence: verify: %w", err)
	}
	return rep, nil
}

// check compares one entry with its predecessor (seq last, hash prev) and
// with its own stored hash.
func check(l *link, stored string, last int64, prev string) *Break {
	switch {
	case l.seq != last+1:
		return &Break{Seq: last + 1, Reason: fmt.Sprintf("document missing: the next present is %d (id %q)", l.seq, l.id)}
	case l.prevHash != prev:
		return &Break{Seq: l.seq, ID: l.id, Reason: "its previous hash is not the hash of the document before"}
	case l.hash() != stored:
		return &Break{Seq: l.seq, ID: l.id, Reason: "its content (fields, document or image digests) does not match its hash"}
	}
	return nil
}

// record returns the entry's columns as a Record with its document, and
// its images' names and digests without JPEG.
func (l *link) record(document []byte) Record {
	r := Record{ID: l.id, Time: time.Unix(0, l.timeNs).UTC(), Decision: l.decision, BIN: l.bin, Gateway: l.gateway, Document: document}
	if len(l.reasons) > 0 {
		r.Reasons = l.reasons
	}
	for _, im := range l.images {
		r.Images = append(r.Images, Image{Name: im.name, SHA256: im.sha256})
	}
	return r
}

// readBatch reads up to verifyBatch entries after seq from, with their image
// digests, the hashes they were stored with and their documents.
func readBatch(ctx context.Context, q querier, from int64) ([]link, []string, [][]byte, error) {
	rs, err := q.query(ctx, `SELECT seq, id, time_ns, decision, reasons, bin, gateway, document, prev_hash, hash
		FROM documents WHERE seq > $1 ORDER BY seq LIMIT $2`, from, verifyBatch)
	if err != nil {
		return nil, nil, nil, err
	}
	var (
		ls     []link
		hashes []string
		docs   [][]byte
		rsn    string
		hash   string
	)
	for rs.Next() {
		var l link
		var doc []byte
		if err := rs.Scan(&l.seq, &l.id, &l.timeNs, &l.decision, &rsn, &l.bin, &l.gateway, &doc, &l.prevHash, &hash); err != nil {
			rs.Close()
			return nil, nil, nil, err
		}
		if err := json.Unmarshal([]byte(rsn), &l.reasons); err != nil {
			l.reasons = []string{"\x00unreadable: " + rsn} // cannot match any hash appended
		}
		l.docSHA256 = sha256.Sum256(doc)
		ls = append(ls, l)
		hashes = append(hashes, hash)
		docs = append(docs, doc)
	}
	rs.Close()
	if err := rs.Err(); err != nil || len(ls) == 0 {
		return ls, hashes, docs, err
	}
	// The batch's images, merged in by seq.
	rs, err = q.query(ctx, "SELECT seq, name, sha256 FROM images WHERE seq >= $1 AND seq <= $2 ORDER BY seq, idx",
		ls[0].seq, ls[len(ls)-1].seq)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rs.Close()
	i := 0
	for rs.Next() {
		var seq int64
		var im imageDigest
		if err := rs.Scan(&seq, &im.name, &im.sha256); err != nil {
			return nil, nil, nil, err
		}
		for i < len(ls) && ls[i].seq < seq {
			i++
		}
		if i < len(ls) && ls[i].seq == seq { // an image whose document is gone stays out
			ls[i].images = append(ls[i].images, im)
		}
	}
	return ls, hashes, docs, rs.Err()
}
