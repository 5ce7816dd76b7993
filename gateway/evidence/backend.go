package evidence

import (
	"context"
	"errors"
)

// backend is what differs between SQLite and PostgreSQL: connections,
// transactions and a few statements. The store's logic above it is shared,
// so both databases behave alike and one test suite covers both.
type backend interface {
	// dialect returns the backend's SQL differences.
	dialect() dialect
	// write runs fn in one read-write transaction, committed when fn
	// returns nil and rolled back otherwise.
	write(ctx context.Context, fn func(q querier) error) error
	// read runs fn in one read-only transaction that sees a single
	// snapshot of the database.
	read(ctx context.Context, fn func(q querier) error) error
	// close releases the connections.
	close() error
}

// dialect holds the statements that differ between the databases. Queries
// use $1, $2, ... placeholders, which both understand.
type dialect struct {
	name string // migrations/<name>/
	// headForUpdate reads the chain head, locking it against other
	// appends until the transaction ends.
	headForUpdate string
	// migrationLock, when not empty, is run first in the migration
	// transaction so two processes do not migrate at once.
	migrationLock string
	// isUnique reports whether err is a violation of the documents' unique
	// id.
	isUnique func(err error) bool
}

// querier runs statements inside a transaction.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	// queryRow returns a row whose Scan gives errNoRows when there is none.
	queryRow(ctx context.Context, query string, args ...any) scanner
	query(ctx context.Context, query string, args ...any) (rows, error)
}

type scanner interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// errNoRows is both drivers' "no rows" error, mapped by the adapters.
var errNoRows = errors.New("evidence: no rows")
