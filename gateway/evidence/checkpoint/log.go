package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// Witness receives every checkpoint line the Log writes: a record kept
// where the database's writers cannot rewrite it (DialSyslog,
// NewHTTPWitness). Witness is called with the Log's lock held, once per
// append, and must return promptly.
type Witness interface {
	Witness(line string) error
}

// ParseWitness checks a witness spec and returns its scheme and address:
// "syslog" for the local syslog (address empty), udp://HOST:PORT or
// tcp://HOST:PORT for a remote syslog (DialSyslog), or an http:// or
// https:// URL each checkpoint is posted to (NewHTTPWitness; the address is
// the URL).
func ParseWitness(spec string) (scheme, addr string, err error) {
	if spec == "syslog" {
		return "syslog", "", nil
	}
	scheme, addr, ok := strings.Cut(spec, "://")
	switch {
	case !ok || addr == "":
	case scheme == "udp" || scheme == "tcp":
		return scheme, addr, nil
	case scheme == "http" || scheme == "https":
		if u, err := url.Parse(spec); err == nil && u.Host != "" {
			return scheme, spec, nil
		}
	}
	return "", "", fmt.Errorf("checkpoint: witness %q: want syslog, udp://HOST:PORT, tcp://HOST:PORT or an http(s) URL", spec)
}

// Log appends signed checkpoints to a file, one a line, and hands each to
// an optional witness. It is safe for concurrent use; several processes may
// append to one file (each line is one write to a file opened for
// appending).
type Log struct {
	signer  document.Signer
	witness Witness
	now     func() time.Time

	mu sync.Mutex
	f  *os.File
}

// OpenLog opens (creating, mode 0600) the checkpoint file at path for
// appending. witness may be nil. The caller closes the Log.
//
// A file that does not end in a newline ends in a torn write (a process
// killed, or a disk that filled, in the middle of a line): that last,
// unterminated piece is cut off, so the next checkpoint starts a line of
// its own instead of gluing onto it. It held no complete checkpoint, so
// nothing verifiable is lost.
func OpenLog(path string, signer document.Signer, witness Witness) (*Log, error) {
	if signer == nil {
		return nil, errors.New("checkpoint: no signer")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := cutTornLine(path); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return &Log{signer: signer, witness: witness, now: time.Now, f: f}, nil
}

// cutTornLine truncates the file at path after its last newline, if it
// does not end in one; a missing file is fine.
func cutTornLine(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size == 0 {
		return err
	}
	// A checkpoint line is a few hundred bytes: look back a few KiB for
	// the last newline.
	const back = 64 << 10
	start := max(0, size-back)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil {
		return err
	}
	if buf[len(buf)-1] == '\n' {
		return nil
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && start > 0 {
		return fmt.Errorf("%s: no line end in its last %d bytes", path, back)
	}
	return f.Truncate(start + int64(i) + 1)
}

// Write signs the checkpoint of a chain of seq entries whose last hashes to
// hash, appends it to the file and hands it to the witness. The line is not
// synced: a power cut may lose the last checkpoints, which only leaves the
// chain's end anchored at an earlier one; it never makes a genuine store
// fail. Both the file's and the witness's errors are returned, joined.
func (l *Log) Write(seq int64, hash string) error {
	jws, err := Sign(l.signer, Checkpoint{Seq: seq, Hash: hash, Time: l.now()})
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("checkpoint: log closed")
	}
	// One write, so appends from several processes do not interleave. A
	// short write (a full disk) is cut off again at once, so that the next
	// line does not glue onto the torn one.
	end, serr := l.f.Seek(0, io.SeekEnd)
	n, err := l.f.WriteString(jws + "\n")
	if err != nil {
		if n > 0 && serr == nil {
			l.f.Truncate(end)
		}
		err = fmt.Errorf("checkpoint: write: %w", err)
	}
	if l.witness != nil {
		if werr := l.witness.Witness(jws); werr != nil {
			err = errors.Join(err, fmt.Errorf("checkpoint: witness: %w", werr))
		}
	}
	return err
}

// Close closes the file. Idempotent.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Store is an evidence.Store whose every successful Append is followed by
// a checkpoint of the entry it added.
type Store struct {
	evidence.Store
	log     *Log
	onError func(error)
}

// NewStore wraps s so that each Append writes a checkpoint to log. A
// checkpoint that cannot be written does not fail the append (the document
// is stored and the client has it): onError receives the error. The caller
// still closes s and log.
func NewStore(s evidence.Store, log *Log, onError func(error)) *Store {
	return &Store{Store: s, log: log, onError: onError}
}

// Append is evidence.Store's Append, then a checkpoint of the new entry.
func (s *Store) Append(ctx context.Context, seal func(prevHash string) (evidence.Record, error)) (evidence.Entry, error) {
	e, err := s.Store.Append(ctx, seal)
	if err != nil {
		return e, err
	}
	if err := s.log.Write(e.Seq, e.Hash); err != nil && s.onError != nil {
		s.onError(err)
	}
	return e, nil
}
