package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// records are the daemon's signing keys and evidence store.
type records struct {
	keys       *document.Keyring
	store      evidence.Store
	subjectKey []byte
	// gatewayID names this daemon's gateway on the store (its leases).
	gatewayID string
}

// openRecords opens the keyring in DATA/keys (a first key is made on the
// first start), the evidence store (migrated) and the keys of images and
// subjects.
func openRecords(ctx context.Context, cfg Config, log *slog.Logger) (*records, error) {
	keys, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(cfg.Data, "keys"), RotateEvery: cfg.KeyRotation})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	kid, err := keys.KeyID()
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	log.Info("loaded", "part", "signing key", "kid", kid, "rotate_every", cfg.KeyRotation)

	orDefault := func(v, name string) string {
		if v == "" {
			return filepath.Join(cfg.Data, name)
		}
		return v
	}
	imageKey, err := evidence.LoadOrCreateKey(orDefault(cfg.EvidenceKey, "evidence.key"))
	if err != nil {
		return nil, fmt.Errorf("--evidence-key: %w", err)
	}
	subjectKey, err := evidence.LoadOrCreateKey(orDefault(cfg.SubjectKey, "subject.key"))
	if err != nil {
		return nil, fmt.Errorf("--subject-key: %w", err)
	}
	gatewayID, err := loadOrCreateID(filepath.Join(cfg.Data, "gateway.id"))
	if err != nil {
		return nil, fmt.Errorf("--data: gateway id: %w", err)
	}
	dsn := cfg.Evidence
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(cfg.Data, "evidence.db")
	}
	store, err := evidence.Open(ctx, dsn, evidence.Options{ImageKey: imageKey})
	if err != nil {
		return nil, fmt.Errorf("--evidence: %w", err)
	}
	log.Info("loaded", "part", "evidence store", "kind", strings.SplitN(dsn, ":", 2)[0])
	return &records{keys: keys, store: store, subjectKey: subjectKey, gatewayID: gatewayID}, nil
}

// loadOrCreateID reads the gateway's id from path, or makes one (random,
// 32 hex digits) and keeps it there: the same data folder is the same
// gateway across restarts, so it can release the leases it held when it
// was killed, and two data folders are two gateways.
func loadOrCreateID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id == "" {
			return "", fmt.Errorf("%s is empty", path)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 16)
	rand.Read(raw) // never fails (crypto/rand, Go 1.24+)
	id := hex.EncodeToString(raw)
	// Written aside, then linked into place: a crash leaves no half-written
	// id, and of two starts racing on one folder, one id wins.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gateway.id-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(id + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return loadOrCreateID(path)
	} else if err != nil {
		return "", err
	}
	return id, nil
}

func (r *records) close() { r.store.Close() }

// readyTimeout bounds the evidence store's answer to /readyz.
const readyTimeout = 2 * time.Second

// ready reports whether the evidence store answers: without it no result
// can be given (evidence_unavailable). The probe reads the lockout table.
func (r *records) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if _, err := r.store.LockedFor(ctx, "readyz", time.Now(), time.Minute, 1); err != nil {
		return fmt.Errorf("evidence store: %w", err)
	}
	return nil
}

// retainEvery is how often retention runs.
const retainEvery = time.Hour

// retain drops evidence images older than retention (0: keeps them) and
// failures older than lockout, at start and then every retainEvery, until
// ctx ends.
func (r *records) retain(ctx context.Context, retention, lockout time.Duration, log *slog.Logger) {
	t := time.NewTicker(retainEvery)
	defer t.Stop()
	for {
		now := time.Now()
		if retention > 0 {
			if n, err := r.store.Purge(ctx, now.Add(-retention)); err != nil && ctx.Err() == nil {
				log.Error("purge images", "error", err)
			} else if n > 0 {
				log.Info("images purged", "documents", n)
			}
		}
		if _, err := r.store.PruneFailures(ctx, now.Add(-lockout)); err != nil && ctx.Err() == nil {
			log.Error("prune failures", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
