package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBackend is a SQLite file in WAL mode: one writer connection whose
// transactions start with BEGIN IMMEDIATE (so appends from several
// processes queue on SQLite's write lock, waiting up to the busy timeout),
// and a few reader connections that see snapshots while the writer writes.
//
// synchronous=FULL: in WAL mode that syncs the WAL at every commit, so an
// appended document survives a power cut as well as a crash. The document
// was already sent to the client when it is appended; losing it to a power
// cut (what NORMAL risks) would leave the client holding a signed document
// the chain does not have. FULL costs one fsync per append; see
// BenchmarkAppend for what that leaves.
type sqliteBackend struct {
	w, r *sql.DB
}

func openSQLite(path string, opts Options) (backend, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: sqlite: needs a file path", ErrUnsupportedDSN)
	}
	// A new store is readable by its owner only (SQLite gives its -wal and
	// -shm files the same mode); its folder is created if missing.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	q := url.Values{}
	// busy_timeout first: the others may wait on another process's lock.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	w, err := sql.Open("sqlite", path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1) // one writer
	if err := pingBusy(w, opts.BusyTimeout); err != nil {
		w.Close()
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(opts.MaxConns, 2))
	return &sqliteBackend{w: w, r: r}, nil
}

// pingBusy opens db's first connection, trying again for up to wait while
// SQLite answers SQLITE_BUSY: switching a new file to WAL needs a lock that
// the busy timeout does not wait for, so two processes opening a new store
// at once would otherwise see "database is locked".
func pingBusy(db *sql.DB, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := db.Ping()
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *sqliteBackend) dialect() dialect {
	return dialect{
		name:          "sqlite",
		headForUpdate: "SELECT seq, hash FROM chain_head WHERE one = 1",
		isUnique: func(err error) bool {
			var e *sqlite.Error
			return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(e.Error(), "documents.id")
		},
	}
}

func (b *sqliteBackend) write(ctx context.Context, fn func(q querier) error) error {
	return runSQLTx(ctx, b.w, nil, fn)
}

func (b *sqliteBackend) read(ctx context.Context, fn func(q querier) error) error {
	return runSQLTx(ctx, b.r, &sql.TxOptions{ReadOnly: true}, fn)
}

func (b *sqliteBackend) close() error {
	return errors.Join(b.r.Close(), b.w.Close())
}

func runSQLTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(q querier) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("evidence: begin: %w", err)
	}
	if err := fn(sqlTx{tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("evidence: commit: %w", err)
	}
	return nil
}

// sqlTx adapts database/sql to querier.
type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqlTx) queryRow(ctx context.Context, query string, args ...any) scanner {
	return sqlRow{t.tx.QueryRowContext(ctx, query, args...)}
}

func (t sqlTx) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
