package document

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultVerifyFor is KeyringConfig.VerifyFor when it is zero: five years
// (365-day), so stored documents stay verifiable for years after their key
// retired; set it to the evidence's retention period.
const DefaultVerifyFor = 5 * 365 * 24 * time.Hour

// Files of a keyring folder.
const (
	// jwksFile holds every key's public half and validity period, in the
	// JWKS form the Handler serves.
	jwksFile = "jwks.json"
	// lockFile serialises the processes that create or rotate keys.
	lockFile = ".lock"
	// privateExt ends the current key's PKCS#8 PEM file, <kid>.pem.
	privateExt = ".pem"
)

// KeyringConfig configures a Keyring.
type KeyringConfig struct {
	// Dir is the keyring's folder (the daemon's DATA/keys); created with
	// mode 0700 if absent. Required.
	Dir string
	// RotateEvery is the signing key's lifetime: the first Sign after the
	// key is that old retires it and signs with a new one. Zero never
	// rotates on its own (Rotate still does).
	RotateEvery time.Duration
	// VerifyFor is how long after its retirement a key still verifies the
	// documents it signed (its not_after); zero means DefaultVerifyFor.
	// Keys past it are dropped at the next rotation.
	VerifyFor time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Keyring is the gateway's Ed25519 signing keys, kept in a folder:
//
//	DIR/jwks.json    every key's public half and validity period (JWKS)
//	DIR/<kid>.pem    the current key's private half, PKCS#8 PEM, mode 0600
//	DIR/.lock        held (flock) by a process creating or rotating a key
//
// The first NewKeyring on an empty folder creates a key; later ones reuse
// it. A rotation writes a new key, marks the old one retired (its
// retired_at, and its not_after VerifyFor later) and deletes the old private
// key, so it can sign nothing more. Key ids are RFC 7638 thumbprints.
//
// A Keyring is a Signer and is safe for concurrent use. Several processes
// may share a folder: creation and rotation take the lock file, and every
// Sign notices a rotation made by another process.
type Keyring struct {
	cfg KeyringConfig

	mu      sync.Mutex
	loaded  os.FileInfo // jwks.json as last read
	keys    KeySet
	current *KeySigner
	since   time.Time // the current key's not_before
}

// NewKeyring opens the keyring in cfg.Dir, creating the folder and a first
// key if there is none. It fails if the current key's private file is
// missing, does not match its public key, or can be read by others than its
// owner.
func NewKeyring(cfg KeyringConfig) (*Keyring, error) {
	if cfg.Dir == "" {
		return nil, errors.New("document: keyring: no folder")
	}
	if cfg.RotateEvery < 0 || cfg.VerifyFor < 0 {
		return nil, errors.New("document: keyring: negative RotateEvery or VerifyFor")
	}
	if cfg.VerifyFor == 0 {
		cfg.VerifyFor = DefaultVerifyFor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("document: keyring: %w", err)
	}
	k := &Keyring{cfg: cfg}
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.locked(func() error {
		if err := k.load(); err != nil {
			return err
		}
		if k.current == nil {
			return k.rotate()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Sign implements Signer with the current key, rotating it first if it is
// older than RotateEvery.
func (k *Keyring) Sign(payload []byte) (string, error) {
	s, err := k.signer()
	if err != nil {
		return "", err
	}
	return s.Sign(payload)
}

// KeyID returns the current signing key's id.
func (k *Keyring) KeyID() (string, error) {
	s, err := k.signer()
	if err != nil {
		return "", err
	}
	return s.KeyID(), nil
}

// Rotate retires the current key and makes a new one current, now.
func (k *Keyring) Rotate() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.locked(func() error {
		if err := k.load(); err != nil {
			return err
		}
		return k.rotate()
	})
}

// Keys returns every key of the keyring with its validity period, the
// current one last: the KeySet to verify this gateway's documents with.
func (k *Keyring) Keys() (KeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(); err != nil {
		return nil, err
	}
	return append(KeySet(nil), k.keys...), nil
}

// JWKS returns the public keys as a JWK Set (see ParseJWKS): what Handler
// serves.
func (k *Keyring) JWKS() ([]byte, error) {
	ks, err := k.Keys()
	if err != nil {
		return nil, err
	}
	return MarshalJWKS(ks)
}

// signer returns the key to sign with now.
func (k *Keyring) signer() (*KeySigner, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(); err != nil {
		return nil, err
	}
	if k.cfg.RotateEvery > 0 && k.cfg.Now().Sub(k.since) >= k.cfg.RotateEvery {
		err := k.locked(func() error {
			if err := k.load(); err != nil {
				return err
			}
			if k.cfg.Now().Sub(k.since) < k.cfg.RotateEvery {
				return nil // another process rotated first
			}
			return k.rotate()
		})
		if err != nil {
			return nil, err
		}
	}
	return k.current, nil
}

// refresh reloads the keys if jwks.json changed since they were read
// (another process rotated). Called with mu held.
func (k *Keyring) refresh() error {
	fi, err := os.Stat(filepath.Join(k.cfg.Dir, jwksFile))
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	if k.loaded != nil && os.SameFile(fi, k.loaded) && fi.ModTime().Equal(k.loaded.ModTime()) {
		return nil
	}
	return k.load()
}

// load reads jwks.json and the current key's private file; an absent
// jwks.json leaves the keyring empty. Called with mu held.
func (k *Keyring) load() error {
	path := filepath.Join(k.cfg.Dir, jwksFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		k.keys, k.current, k.loaded = nil, nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	data, err := readAll(f, fi)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	keys, err := ParseJWKS(data)
	if err != nil {
		return fmt.Errorf("document: keyring %s: %w", path, err)
	}
	cur := keys[len(keys)-1]
	if !cur.RetiredAt.IsZero() {
		return fmt.Errorf("document: keyring %s: the last key is retired", path)
	}
	s, err := k.readPrivate(cur)
	if err != nil {
		return err
	}
	k.keys, k.current, k.since, k.loaded = keys, s, cur.NotBefore, fi
	return nil
}

// readPrivate reads the private half of key cur and checks it.
func (k *Keyring) readPrivate(cur Key) (*KeySigner, error) {
	path := filepath.Join(k.cfg.Dir, cur.ID+privateExt)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("document: keyring: current key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("document: keyring: %s has mode %04o, want 0600", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("document: keyring: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("document: keyring: %s: no PKCS#8 PEM block", path)
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("document: keyring: %s: %w", path, err)
	}
	edPriv, ok := priv.(ed25519.PrivateKey)
	if !ok || !edPriv.Public().(ed25519.PublicKey).Equal(cur.Public) {
		return nil, fmt.Errorf("document: keyring: %s is not the private half of key %s", path, cur.ID)
	}
	return NewEd25519Signer(edPriv)
}

// rotate makes a new current key: it writes the new private key, then
// jwks.json with the old key retired and keys past their verification
// window dropped, then deletes every other private key. Called with mu and
// the folder's lock held, after load.
func (k *Keyring) rotate() error {
	now := k.cfg.Now().UTC().Truncate(timeUnit)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	s, err := NewEd25519Signer(priv)
	if err != nil {
		return err
	}
	if err := writePrivate(filepath.Join(k.cfg.Dir, s.KeyID()+privateExt), priv); err != nil {
		return err
	}
	var keys KeySet
	for _, old := range k.keys {
		if old.RetiredAt.IsZero() {
			old.RetiredAt, old.NotAfter = now, now.Add(k.cfg.VerifyFor)
		}
		if now.Before(old.NotAfter) {
			keys = append(keys, old)
		}
	}
	keys = append(keys, ed25519Key(s.KeyID(), pub, now, time.Time{}, time.Time{}))
	data, err := MarshalJWKS(keys)
	if err != nil {
		return err
	}
	path := filepath.Join(k.cfg.Dir, jwksFile)
	if err := writeAtomic(path, data); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	k.keys, k.current, k.since, k.loaded = keys, s, now, fi
	return k.removeOtherPrivate(s.KeyID())
}

// removeOtherPrivate deletes the private files of every key but kid: the
// retired ones, and any left by a rotation that failed half way.
func (k *Keyring) removeOtherPrivate(kid string) error {
	entries, err := os.ReadDir(k.cfg.Dir)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, privateExt) && name != kid+privateExt {
			if err := os.Remove(filepath.Join(k.cfg.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("document: keyring: retire key: %w", err)
			}
		}
	}
	return nil
}

// locked runs fn holding the folder's lock file.
func (k *Keyring) locked(fn func() error) error {
	unlock, err := lockDir(filepath.Join(k.cfg.Dir, lockFile))
	if err != nil {
		return fmt.Errorf("document: keyring: lock: %w", err)
	}
	defer unlock()
	return fn()
}

// writePrivate writes key as PKCS#8 PEM to a new file of mode 0600; an
// existing file is an error.
func writePrivate(path string, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("document: keyring: %w", err)
	}
	return nil
}

// writeAtomic replaces path with data (mode 0600) through a temporary file
// and a rename, so a reader sees the old or the new file, never a part.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwks-*")
	if err != nil {
		return fmt.Errorf("document: keyring: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("document: keyring: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		dir.Sync() // make the rename durable; not every file system supports it
		dir.Close()
	}
	return nil
}

// readAll reads the open file f of size fi.Size().
func readAll(f *os.File, fi os.FileInfo) ([]byte, error) {
	const limit = 16 << 20 // a JWKS of thousands of keys is still far smaller
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", f.Name(), limit)
	}
	data := make([]byte, fi.Size())
	_, err := io.ReadFull(f, data)
	return data, err
}
