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
	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
)

// witnessQueue bounds the checkpoints waiting for an HTTP witness.
const witnessQueue = 1024

// CheckpointFile is the file in the data folder the evidence checkpoints
// are appended to.
const CheckpointFile = "evidence-checkpoints.jsonl"

// signingKeys are the document signing keys: the file keyring
// (*document.Keyring) or a PKCS#11 token's (*token.Keyring).
type signingKeys interface {
	document.Signer
	// KeyID is the current key's id.
	KeyID() (string, error)
	// Keys are the public keys with their validity periods, for the JWKS.
	Keys() (document.KeySet, error)
}

// records are the daemon's signing keys and evidence store.
type records struct {
	keys       signingKeys
	store      evidence.Store // checkpointed
	subjectKey []byte
	// gatewayID names this daemon's gateway on the store (its leases).
	gatewayID string
	closers   []func() error // in the order to close
}

// openRecords opens the keyring in DATA/keys (a first key is made on the
// first start), the evidence store (migrated) and the keys of images and
// subjects.
func openRecords(ctx context.Context, cfg Config, log *slog.Logger) (*records, error) {
	keys, closeKeys, where, err := openSigningKeys(cfg)
	if err != nil {
		return nil, err
	}
	kid, err := keys.KeyID()
	if err != nil {
		closeKeys()
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	log.Info("loaded", "part", "signing key", "kid", kid, "where", where, "rotate_every", cfg.KeyRotation)
	ok := false
	defer func() {
		if !ok {
			closeKeys()
		}
	}()

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
	r := &records{keys: keys, subjectKey: subjectKey, gatewayID: gatewayID, closers: []func() error{store.Close, closeKeys}}
	ok = true // r.close closes the keys from here on

	// Every append is followed by a signed checkpoint in the data folder
	// (and at the witness): the chain's end, anchored outside the database.
	var witness checkpoint.Witness
	if scheme, _, _ := checkpoint.ParseWitness(cfg.CheckpointWitness); scheme == "http" || scheme == "https" {
		w := checkpoint.NewHTTPWitness(cfg.CheckpointWitness, witnessQueue, func(err error) {
			if err != nil {
				log.Error("checkpoint witness failing", "error", err)
			} else {
				log.Info("checkpoint witness answers again")
			}
		})
		wctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); w.Run(wctx) }()
		witness = w
		r.closers = append([]func() error{func() error {
			stop()
			<-done
			st := w.Stats()
			log.Info("checkpoint witness stopped", "sent", st.Sent, "failed", st.Failed, "dropped", st.Dropped)
			return nil
		}}, r.closers...)
	} else if cfg.CheckpointWitness != "" {
		w, err := checkpoint.DialSyslog(cfg.CheckpointWitness)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("--checkpoint-witness: %w", err)
		}
		witness = w
		r.closers = append([]func() error{w.Close}, r.closers...)
	}
	cpPath := filepath.Join(cfg.Data, CheckpointFile)
	checkHead(ctx, store, cpPath, keys, log)
	cpLog, err := checkpoint.OpenLog(cpPath, keys, witness)
	if err != nil {
		r.close()
		return nil, err
	}
	r.closers = append([]func() error{cpLog.Close}, r.closers...)
	r.store = checkpoint.NewStore(store, cpLog, func(err error) { log.Error("evidence checkpoint not kept", "error", err) })
	log.Info("loaded", "part", "evidence checkpoints", "witness", cfg.CheckpointWitness != "")
	return r, nil
}

// openSigningKeys opens the keyring cfg.SigningKey names: the file keyring
// in DATA/keys by default, else the key on a PKCS#11 token. where says
// which for the log, without the PIN; closeKeys releases the token.
func openSigningKeys(cfg Config) (keys signingKeys, closeKeys func() error, where string, err error) {
	if cfg.SigningKey == "" {
		dir := filepath.Join(cfg.Data, "keys")
		k, err := document.NewKeyring(document.KeyringConfig{Dir: dir, RotateEvery: cfg.KeyRotation})
		if err != nil {
			return nil, nil, "", fmt.Errorf("signing keys: %w", err)
		}
		return k, func() error { return nil }, "file", nil
	}
	u, err := token.ParseURI(cfg.SigningKey)
	if err != nil {
		return nil, nil, "", fmt.Errorf("--signing-key: %w", err)
	}
	k, err := token.Open(token.Config{URI: u, RotateEvery: cfg.KeyRotation, Timeout: cfg.SigningTimeout})
	if err != nil {
		return nil, nil, "", fmt.Errorf("--signing-key %s: %w", u, err)
	}
	return k, k.Close, u.String(), nil
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

// checkHead compares the store's head with the latest checkpoint this data
// folder signed, and logs an error when the store is shorter (documents cut
// off its end) or ends elsewhere (its last document rewritten). It does not
// refuse to start: restoring a backup is legitimate, and biogate evidence
// verify is the full check. A head past the checkpoint is normal (other
// gateways on the store, a checkpoint lost to a power cut).
func checkHead(ctx context.Context, store evidence.Store, path string, keys signingKeys, log *slog.Logger) {
	ks, err := keys.Keys()
	if err != nil {
		log.Error("evidence checkpoints not checked", "error", err)
		return
	}
	cp, ok, err := checkpoint.Tail(path, ks, time.Now())
	if err != nil {
		log.Error("evidence checkpoints do not verify (biogate evidence verify)", "error", err)
		return
	}
	if !ok {
		return
	}
	head, err := store.Head(ctx)
	switch {
	case err != nil:
		log.Error("evidence checkpoints not checked", "error", err)
	case head.Seq < cp.Seq:
		log.Error("evidence store is shorter than its last checkpoint: documents were cut off its end (biogate evidence verify)",
			"documents", head.Seq, "checkpoint_documents", cp.Seq, "checkpoint_time", cp.Time)
	case head.Seq == cp.Seq && head.Hash != cp.Hash:
		log.Error("evidence store's last document is not the one checkpointed: it was rewritten (biogate evidence verify)",
			"documents", head.Seq, "checkpoint_time", cp.Time)
	}
}

func (r *records) close() {
	for _, c := range r.closers {
		c()
	}
}

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
func (r *records) retain(ctx context.Context, retention, replay, lockout time.Duration, log *slog.Logger) {
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
		if replay > 0 {
			if _, err := r.store.PruneFrames(ctx, now.Add(-replay)); err != nil && ctx.Err() == nil {
				log.Error("prune frame hashes", "error", err)
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
