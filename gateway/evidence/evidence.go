package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/biogate/biogate/outcome"
)

// Errors callers branch on.
var (
	// ErrNotFound: no document with that id.
	ErrNotFound = errors.New("evidence: document not found")
	// ErrDuplicateID: a document with that id is already in the chain;
	// nothing was appended.
	ErrDuplicateID = errors.New("evidence: document id already in the chain")
	// ErrInvalidRecord: the record to append lacks an id, a time or a
	// decision, or names an image twice; nothing was appended.
	ErrInvalidRecord = errors.New("evidence: invalid record")
	// ErrImagesPurged: retention dropped the document's images. Get still
	// returns the record and entry (images with name and digest, no JPEG).
	ErrImagesPurged = errors.New("evidence: images purged by retention")
	// ErrNoKey: images are to be encrypted or decrypted but Options.ImageKey
	// is empty.
	ErrNoKey = errors.New("evidence: no image key configured")
	// ErrWrongKey: an image does not decrypt: another key than the one it
	// was stored with, or an altered ciphertext.
	ErrWrongKey = errors.New("evidence: image does not decrypt (wrong image key or altered data)")
	// ErrImageAltered: an image decrypts but no longer matches the digest
	// in its row hash.
	ErrImageAltered = errors.New("evidence: image does not match its recorded digest")
	// ErrSchemaTooNew: the database was migrated by a newer biogate.
	ErrSchemaTooNew = errors.New("evidence: database schema is newer than this biogate")
	// ErrUnsupportedDSN: the DSN is neither sqlite:PATH nor postgres://.
	ErrUnsupportedDSN = errors.New("evidence: unsupported store (want sqlite:PATH or postgres://...)")
)

// Image is one biometric image of a verification, JPEG-encoded.
type Image struct {
	// Name says what the image is ("best", "command-1-turn_left"); unique
	// within a record.
	Name string
	// JPEG is the image. Encrypted at rest; nil from Get once purged.
	JPEG []byte
	// SHA256 is the hex SHA-256 of JPEG as appended. Filled by Get (also
	// after a purge); ignored by Append, which computes it.
	SHA256 string
}

// Record is one verification's evidence: its signed document and its images.
type Record struct {
	ID       string    // document id, unique in the chain
	Time     time.Time // when the verification ended (stored to the nanosecond, returned in UTC)
	Decision string    // match, no_match, spoof, refused, error
	Reasons  []string  // why, e.g. "locked_out"
	BIN      string    // requesting organisation
	Gateway  string    // gateway id
	Document []byte    // the signed document (compact JWS) as sent to the client
	Images   []Image   // biometric data: encrypted at rest
}

// Entry is a record's place in the chain.
type Entry struct {
	Seq      int64  // position, from 1, contiguous
	Hash     string // hex SHA-256 of this entry (see the package comment)
	PrevHash string // hash of the entry before; "" for the first
	ID       string // the record's id
	// Purged is when retention dropped the images; zero while kept.
	Purged time.Time
}

// Break is where a chain stops verifying.
type Break struct {
	Seq    int64  // position of the first entry that does not verify
	ID     string // its document id; "" when the entry itself is missing
	Reason string // what does not match
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Checked     int64  // entries verified intact, from the first
	Head        int64  // the chain's length as its head records it
	FirstBroken *Break // nil when the chain is intact
}

// Stats counts documents by outcome over a time range.
type Stats struct {
	From, To time.Time // the range, [From, To)
	// Attempts counts every document.
	Attempts int64
	Matches  int64 // decision match
	NoMatch  int64 // decision no_match
	Spoofs   int64 // decision spoof: presentation attack detected
	// Refused counts decision refused (liveness refused: commands not
	// done, timeout, ...) except lockouts.
	Refused int64
	// LockedOut counts sessions refused because the subject was locked
	// out: decision refused with reason "locked_out".
	LockedOut int64
	Errors    int64 // decision error
	Other     int64 // any other decision
}

// ReasonLockedOut is the reason a refused document carries when the session
// was refused because its subject was locked out; Stats counts these apart.
const ReasonLockedOut = string(outcome.ReasonLockedOut)

// Add counts one document of decision with reasons: what a caller that
// verified the documents itself (their signatures, say) counts from.
func (st *Stats) Add(decision string, reasons []string) {
	st.Attempts++
	st.add(decision, reasons, 1)
}

// count adds n documents of decision with the JSON list of reasons to
// the counter of their outcome.
func (st *Stats) count(decision, reasons string, n int64) {
	var rr []string
	json.Unmarshal([]byte(reasons), &rr)
	st.add(decision, rr, n)
}

// add adds n documents to the counter of their outcome. Every
// outcome.Decision has its counter (a test holds this): Other counts only
// words written by something else.
func (st *Stats) add(decision string, reasons []string, n int64) {
	switch outcome.Decision(decision) {
	case outcome.Match:
		st.Matches += n
	case outcome.NoMatch:
		st.NoMatch += n
	case outcome.Spoof:
		st.Spoofs += n
	case outcome.Refused:
		if slices.Contains(reasons, ReasonLockedOut) {
			st.LockedOut += n
		} else {
			st.Refused += n
		}
	case outcome.Error:
		st.Errors += n
	default:
		st.Other += n
	}
}

// Store is the evidence store: an append-only hash chain of documents with
// their encrypted images, and the failures behind lockouts. Methods are safe
// for concurrent use, and several Stores (processes, gateways) may share one
// database.
type Store interface {
	// Append adds one record at the end of the chain. seal is called inside
	// the append's critical section (no other append to the same database
	// runs until it commits) with the hash of the chain's last entry (""
	// for the first) and returns the record to append: the signer embeds
	// prevHash into the document, so the document names its predecessor.
	// The append is one transaction: on any error, including seal's, nothing
	// is appended. A duplicate id gives ErrDuplicateID.
	Append(ctx context.Context, seal func(prevHash string) (Record, error)) (Entry, error)
	// Get returns a record with its images decrypted and checked against
	// their digests. ErrNotFound when absent; ErrImagesPurged (with the
	// record and entry filled, images without JPEG) when retention dropped
	// them; ErrWrongKey or ErrImageAltered when they do not decrypt or match.
	Get(ctx context.Context, id string) (Record, Entry, error)
	// Verify walks the whole chain in one consistent snapshot, recomputing
	// every hash, and reports the first entry that does not verify. An error
	// is a failure to read, not a broken chain.
	Verify(ctx context.Context) (VerifyReport, error)
	// VerifyDocuments is Verify that also hands each entry, once its hash
	// verified, with its stored record to check, in chain order: the
	// columns, the document and the images' names and digests (no JPEG).
	// An error from check is the chain's first break at that entry, with
	// the error's text as the reason. The caller checks what the store
	// cannot: the document's signature, that the predecessor it names is
	// the entry's PrevHash and that the columns say what it says, and a
	// checkpoint kept outside the database.
	VerifyDocuments(ctx context.Context, check func(e Entry, r Record) error) (VerifyReport, error)
	// Head returns the chain's length and last hash as its head row
	// records them (Seq 0 and Hash "" for an empty chain), without
	// verifying anything: a cheap look for the checkpoints' start-up check.
	Head(ctx context.Context) (Entry, error)
	// Stats counts the documents whose time is in [from, to).
	Stats(ctx context.Context, from, to time.Time) (Stats, error)
	// Purge drops the images of documents older than olderThan (retention)
	// and returns how many documents lost theirs. Hashes, digests and
	// documents stay, so the chain still verifies.
	Purge(ctx context.Context, olderThan time.Time) (int, error)

	// Failure records a failed verification of the subject key at a time.
	// key is opaque to the store: callers pass a keyed hash (HMAC) of the
	// IIN, never the IIN itself.
	Failure(ctx context.Context, key string, at time.Time) error
	// Failures returns the subject's failures after since, oldest first.
	Failures(ctx context.Context, key string, since time.Time) ([]time.Time, error)
	// LockedFor says how long the subject stays locked out at now: max or
	// more failures within window (after now-window) lock it until the last
	// of them is window old. 0 when not locked. The rule is Lockout's.
	LockedFor(ctx context.Context, key string, now time.Time, window time.Duration, max int) (time.Duration, error)
	// Hold takes the subject's lease for holder until the time until, and
	// reports false when another holder's lease has not run out at now: one
	// session per subject at a time across every gateway on the store.
	// Taking it again as the same holder extends it.
	Hold(ctx context.Context, key, holder string, now, until time.Time) (bool, error)
	// Release drops the subject's lease if holder still holds it.
	Release(ctx context.Context, key, holder string) error
	// ReleaseGateway drops every lease whose holder is gateway/..., the
	// form a gateway names its sessions' holders in, and returns how many:
	// a gateway's leases left by a crash, released when it starts again.
	// gateway must not contain '/'.
	ReleaseGateway(ctx context.Context, gateway string) (int, error)

	// PruneFailures deletes failures at or before before and returns how
	// many.
	PruneFailures(ctx context.Context, before time.Time) (int, error)

	// RecordFrames keeps the perceptual hashes of one ended session's
	// frames (at most MaxSessionFrames), under an opaque session id the
	// caller makes (never an IIN or a subject key), at time at.
	RecordFrames(ctx context.Context, session string, at time.Time, hashes []FrameHash) error
	// SimilarFrames returns the frames kept since since whose Coarse hash
	// shares at least one of its four 16-bit bands with coarse, so every
	// frame within Hamming distance 3 of it (pigeonhole), and more: the
	// caller measures the distances. At most limit frames: the oldest
	// and the newest candidates, half each; newest first.
	SimilarFrames(ctx context.Context, coarse uint64, since time.Time, limit int) ([]PastFrame, error)
	// PruneFrames deletes the frame hashes kept before before and returns
	// how many.
	PruneFrames(ctx context.Context, before time.Time) (int, error)

	// PublishKeys records a gateway's public signing keys, replacing what
	// it published before (PublishedKeys says whom to trust).
	// ErrInvalidRecord for an empty or '/'-holding gateway, an empty or
	// over 64 KiB JWKS, or an empty tag.
	PublishKeys(ctx context.Context, p PublishedKeys) error
	// PublishedKeys returns every gateway's last published keys, by
	// gateway id.
	PublishedKeys(ctx context.Context) ([]PublishedKeys, error)

	// Close releases the store's connections; it waits for calls in
	// progress. Idempotent.
	Close() error
}

// MaxSessionFrames bounds the frame hashes RecordFrames keeps per session.
const MaxSessionFrames = 1000

// FrameHash is a frame's perceptual hash as the replay cue makes it
// (liveness.FrameHash): no image, but derived from one, so it is kept under
// the same retention as the images (PruneFrames) and never with an IIN.
type FrameHash struct {
	// Coarse is a 64-bit hash, looked up by its four 16-bit bands.
	Coarse uint64
	// Fine is a 256-bit hash, compared by the caller.
	Fine [4]uint64
}

// PastFrame is a frame hash an earlier session kept.
type PastFrame struct {
	Session string
	Time    time.Time
	Hash    FrameHash
}

// Options configures a store. The zero value is valid for a store that
// holds no images (verify, stats).
type Options struct {
	// ImageKey is the AES-256 key (32 bytes) images are encrypted with; see
	// LoadOrCreateKey. Needed to append or read images.
	ImageKey []byte
	// BusyTimeout is how long a SQLite call waits for another process's
	// write lock [5s].
	BusyTimeout time.Duration
	// MaxConns caps a PostgreSQL store's connections [4].
	MaxConns int
}

// Open opens (creating if needed) the store named by dsn and migrates its
// schema: "sqlite:PATH" for a SQLite file (a new one gets mode 0600, and its
// folder 0700 if missing), "postgres://..." or
// "postgresql://..." for PostgreSQL. It fails with ErrSchemaTooNew when the
// database comes from a newer biogate. The caller closes the store.
func Open(ctx context.Context, dsn string, opts Options) (Store, error) {
	if len(opts.ImageKey) != 0 && len(opts.ImageKey) != keySize {
		return nil, fmt.Errorf("evidence: image key is %d bytes, want %d", len(opts.ImageKey), keySize)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 4
	}
	var (
		b   backend
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		b, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"), opts)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		b, err = openPostgres(ctx, dsn, opts)
	default:
		return nil, ErrUnsupportedDSN
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, b); err != nil {
		b.close()
		return nil, err
	}
	return &store{b: b, key: opts.ImageKey}, nil
}
