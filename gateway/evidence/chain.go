package evidence

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// hashDomain starts every entry hash, so a hash of this chain cannot be
// confused with any other SHA-256 the project computes.
const hashDomain = "biogate-evidence-entry-v1"

// link is what an entry's hash covers: everything but the images' bytes
// (their digests stand in for them, so purging them keeps the chain
// verifiable) and the purge time.
type link struct {
	seq       int64
	prevHash  string
	id        string
	timeNs    int64
	decision  string
	reasons   []string
	bin       string
	gateway   string
	docSHA256 [sha256.Size]byte
	images    []imageDigest // in order
}

type imageDigest struct{ name, sha256 string }

// hash returns the entry's hex SHA-256 over a canonical encoding: each field
// in a fixed order, integers as 8 big-endian bytes, strings and lists
// prefixed with their length, so no two different entries encode alike.
func (l *link) hash() string {
	h := sha256.New()
	putString(h, hashDomain)
	putInt(h, l.seq)
	putString(h, l.prevHash)
	putString(h, l.id)
	putInt(h, l.timeNs)
	putString(h, l.decision)
	putInt(h, int64(len(l.reasons)))
	for _, r := range l.reasons {
		putString(h, r)
	}
	putString(h, l.bin)
	putString(h, l.gateway)
	h.Write(l.docSHA256[:])
	putInt(h, int64(len(l.images)))
	for _, im := range l.images {
		putString(h, im.name)
		putString(h, im.sha256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func putInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	h.Write(b[:])
}

func putString(h hash.Hash, s string) {
	putInt(h, int64(len(s)))
	h.Write([]byte(s))
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
