package evidence

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrations holds each dialect's schema changes, NNNN_what.sql, applied in
// order of NNNN and recorded in schema_migrations.
//
//go:embed migrations
var migrations embed.FS

type migration struct {
	version int
	sql     string
}

// loadMigrations returns a dialect's migrations in order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("evidence: migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate brings the schema to the newest version in one write transaction
// (DDL is transactional in both databases): on SQLite the transaction holds
// the write lock from its start, on PostgreSQL it takes an advisory lock
// first, so of two processes opening at once one migrates and the other
// then finds nothing to do.
func migrate(ctx context.Context, b backend) error {
	d := b.dialect()
	ms, err := loadMigrations(d.name)
	if err != nil {
		return err
	}
	newest := ms[len(ms)-1].version
	err = b.write(ctx, func(q querier) error {
		if d.migrationLock != "" {
			if _, err := q.exec(ctx, d.migrationLock); err != nil {
				return err
			}
		}
		if _, err := q.exec(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ns BIGINT NOT NULL)"); err != nil {
			return err
		}
		var current int
		if err := q.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return err
		}
		if current > newest {
			return fmt.Errorf("%w: version %d, this biogate knows up to %d; upgrade biogate", ErrSchemaTooNew, current, newest)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if _, err := q.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d: %w", m.version, err)
			}
			if _, err := q.exec(ctx, "INSERT INTO schema_migrations (version, applied_ns) VALUES ($1, $2)", m.version, time.Now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("evidence: migrate: %w", err)
	}
	return nil
}
