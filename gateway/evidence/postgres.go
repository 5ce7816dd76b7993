package evidence

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migrationLockKey is the advisory lock the migration takes on PostgreSQL
// (an arbitrary constant, "biogate evidence" in spirit).
const migrationLockKey = 0x62696f6761746531

// pgBackend is a PostgreSQL database through pgx, with a small pool of its
// own (at most Options.MaxConns connections). Appends serialise on the chain
// head row (SELECT ... FOR UPDATE), so several gateways can share one
// database; durability is the server's (synchronous_commit).
type pgBackend struct {
	cfg   *pgx.ConnConfig
	idle  chan *pgx.Conn
	slots chan struct{} // one token per open connection

	mu     sync.Mutex
	closed bool
	busy   sync.WaitGroup // connections handed out
}

func openPostgres(ctx context.Context, dsn string, opts Options) (backend, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("evidence: postgres DSN: %w", err)
	}
	b := &pgBackend{cfg: cfg, idle: make(chan *pgx.Conn, opts.MaxConns), slots: make(chan struct{}, opts.MaxConns)}
	// Connect once now, so a wrong DSN fails Open rather than the first call.
	c, err := b.acquire(ctx)
	if err != nil {
		return nil, err
	}
	b.release(c)
	return b, nil
}

func (b *pgBackend) dialect() dialect {
	return dialect{
		name:          "postgres",
		headForUpdate: "SELECT seq, hash FROM chain_head WHERE one = 1 FOR UPDATE",
		migrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(migrationLockKey)),
		isUnique: func(err error) bool {
			var e *pgconn.PgError
			return errors.As(err, &e) && e.Code == "23505" && e.ConstraintName == "documents_id_key"
		},
	}
}

// acquire returns an idle connection, or opens one while fewer than
// MaxConns are open, or waits for one to be released.
func (b *pgBackend) acquire(ctx context.Context) (*pgx.Conn, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("evidence: store closed")
	}
	b.busy.Add(1)
	b.mu.Unlock()
	select {
	case c := <-b.idle:
		return c, nil
	default:
	}
	select {
	case c := <-b.idle:
		return c, nil
	case b.slots <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, b.cfg)
		if err != nil {
			<-b.slots
			b.busy.Done()
			return nil, fmt.Errorf("evidence: connect to postgres: %w", err)
		}
		return c, nil
	case <-ctx.Done():
		b.busy.Done()
		return nil, ctx.Err()
	}
}

// release hands a connection back, or drops it when it broke.
func (b *pgBackend) release(c *pgx.Conn) {
	defer b.busy.Done()
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		<-b.slots
		return
	}
	b.idle <- c // never blocks: at most MaxConns exist
}

func (b *pgBackend) tx(ctx context.Context, opts pgx.TxOptions, fn func(q querier) error) error {
	c, err := b.acquire(ctx)
	if err != nil {
		return err
	}
	defer b.release(c)
	tx, err := c.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("evidence: begin: %w", err)
	}
	if err := fn(pgTx{tx}); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("evidence: commit: %w", err)
	}
	return nil
}

func (b *pgBackend) write(ctx context.Context, fn func(q querier) error) error {
	return b.tx(ctx, pgx.TxOptions{}, fn)
}

func (b *pgBackend) read(ctx context.Context, fn func(q querier) error) error {
	return b.tx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (b *pgBackend) close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.busy.Wait()
	for {
		select {
		case c := <-b.idle:
			c.Close(context.Background())
			<-b.slots
		default:
			return nil
		}
	}
}

// pgTx adapts a pgx transaction to querier.
type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (t pgTx) queryRow(ctx context.Context, query string, args ...any) scanner {
	return pgRow{t.tx.QueryRow(ctx, query, args...)}
}

func (t pgTx) query(ctx context.Context, query string, args ...any) (rows, error) {
	return t.tx.Query(ctx, query, args...)
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return err
}
