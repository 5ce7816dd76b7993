package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/miekg/pkcs11"

	"github.com/biogate/biogate/gateway/document"
)

// Errors, for errors.Is. Their messages never carry the PIN.
var (
	// ErrModule: the PKCS#11 library (module-path) is missing or does
	// not load.
	ErrModule = errors.New("PKCS#11 module unavailable")
	// ErrTokenNotFound: no slot holds the URI's token.
	ErrTokenNotFound = errors.New("token not found")
	// ErrPIN: the token refused the PIN (wrong, locked, or none given).
	ErrPIN = errors.New("token refused the PIN")
	// ErrNoKey: the token has no signing key under the URI's object label
	// (biogate keys init makes one), or its private half is missing.
	ErrNoKey = errors.New("no signing key on the token")
	// ErrKeyExists: Init found a key under the label already.
	ErrKeyExists = errors.New("signing key exists on the token")
	// ErrUnavailable: the token failed while in use (removed, its library
	// finalised, a session lost); the Keyring reconnects at the next call.
	ErrUnavailable = errors.New("token unavailable")
)

// jwksApplication is the CKA_APPLICATION of the data object that keeps,
// under the key's label, the JWKS of the label's keys with their validity
// periods: the token holds all the keyring's state, so any process with
// its URI sees the same keys.
const jwksApplication = "biogate-jwks"

// CKA_EC_PARAMS of the two curves: the DER of P-256's OID and of
// Ed25519's (RFC 8410, id-Ed25519), as PKCS#11 3.0 names them.
var (
	p256         = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	edwards25519 = []byte{0x06, 0x03, 0x2b, 0x65, 0x70}
)

// PKCS#11 3.0's EdDSA, which miekg/pkcs11 v1.1.1 does not name.
const (
	ckkECEdwards           = 0x40   // CKK_EC_EDWARDS
	ckmECEdwardsKeyPairGen = 0x1055 // CKM_EC_EDWARDS_KEY_PAIR_GEN
	ckmEdDSA               = 0x1057 // CKM_EDDSA
)

// ErrAlgorithm: the token cannot make or use keys of the asked algorithm
// (Config.Algorithm), or of either that the Keyring knows.
var ErrAlgorithm = errors.New("token lacks the signing mechanism")

// Config configures a Keyring.
type Config struct {
	// URI names the token, the key's label, the library and the PIN.
	URI URI
	// RotateEvery is the signing key's lifetime: the first Sign after the
	// key is that old rotates it. Zero never rotates on its own.
	RotateEvery time.Duration
	// VerifyFor is how long after its retirement a key stays in the JWKS
	// [document.DefaultVerifyFor].
	VerifyFor time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Algorithm is the algorithm of the keys generated on the token:
	// jose.EdDSA (Ed25519, CKM_EDDSA) or jose.ES256 (P-256, CKM_ECDSA).
	// Empty chooses EdDSA where the token offers both its key generation
	// and signing mechanisms (SoftHSM2 2.6, newer HSMs), else ES256 (a
	// TPM 2.0, older HSMs). The key in use keeps its own algorithm until
	// it is rotated.
	Algorithm jose.SignatureAlgorithm
	// Timeout bounds each call on the token once it is open (a signature,
	// reading the keys, a rotation, closing) [DefaultTimeout]. A token that
	// stops answering (a network HSM behind a dead link, a wedged TPM) gives
	// ErrUnavailable after it instead of holding every session: the call
	// stays pending in the library, and until it returns every other call
	// fails after Timeout too.
	Timeout time.Duration
}

// DefaultTimeout is Config.Timeout's default: far above a signature's
// few milliseconds on a TPM, below a session's patience.
const DefaultTimeout = 10 * time.Second

// Keyring is the document signing keys of one label on a PKCS#11 token:
// EdDSA (Ed25519) or ES256 (P-256) key pairs generated on the token, the private halves
// sensitive and not extractable, so they never leave it. A key's CKA_ID is
// its RFC 7638 thumbprint, the documents' kid. A data object under the same
// label (application "biogate-jwks") keeps the JWKS of the label's keys and
// their validity periods, as the file Keyring's jwks.json does; rotation
// retires the current key, adds a new one and destroys the old private key,
// keeping its public key in the JWKS for VerifyFor.
//
// A Keyring is a document.Signer and is safe for concurrent use; signing is
// serialised on one session. When the token fails mid-run the call returns
// ErrUnavailable and the next call opens a new session (and initialises the
// library again if it was finalised). One process at a time should rotate.
type Keyring struct {
	cfg Config
	mod *module
	pin string

	// calls holds a token while a public method's call is in flight, so
	// that one call pending in a hung library blocks no other past
	// Timeout.
	calls chan struct{}

	mu      sync.Mutex
	closed  bool
	open    bool // sh is an open, logged-in session
	slot    uint
	sh      pkcs11.SessionHandle
	keys    document.KeySet
	current *document.KeySigner // nil: no key yet
	priv    pkcs11.ObjectHandle // the current key's private half
	since   time.Time
}

// Open opens the keyring of cfg.URI; the token must hold a key under its
// object label (ErrNoKey otherwise).
func Open(cfg Config) (*Keyring, error) {
	k, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	if k.current == nil {
		k.Close()
		return nil, fmt.Errorf("%w: token %s has no key %q (make one with biogate keys init --token URI)", ErrNoKey, cfg.URI.tokenName(), cfg.URI.Object)
	}
	return k, nil
}

// Init generates the first key pair under cfg.URI's object label on the
// token and returns its keyring; a key already there is ErrKeyExists.
func Init(cfg Config) (*Keyring, error) {
	k, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current != nil {
		k.closeLocked()
		return nil, fmt.Errorf("%w: key %q on token %s (kid %s)", ErrKeyExists, cfg.URI.Object, cfg.URI.tokenName(), k.current.KeyID())
	}
	if err := k.rotate(); err != nil {
		k.closeLocked()
		return nil, err
	}
	return k, nil
}

func dial(cfg Config) (*Keyring, error) {
	if cfg.RotateEvery < 0 || cfg.VerifyFor < 0 || cfg.Timeout < 0 {
		return nil, errors.New("token: negative RotateEvery, VerifyFor or Timeout")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if a := cfg.Algorithm; a != "" && a != jose.EdDSA && a != jose.ES256 {
		return nil, fmt.Errorf("token: algorithm %q: want EdDSA or ES256", a)
	}
	if cfg.VerifyFor == 0 {
		cfg.VerifyFor = document.DefaultVerifyFor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pin, err := cfg.URI.PIN()
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	mod, err := openModule(cfg.URI.ModulePath)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	k := &Keyring{cfg: cfg, mod: mod, pin: pin, calls: make(chan struct{}, 1)}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.connect(); err != nil {
		k.closeLocked()
		return nil, err
	}
	if err := k.load(); err != nil {
		k.closeLocked()
		return nil, err
	}
	return k, nil
}

// Close closes the session and releases the library. Idempotent. A token
// that does not answer within Timeout is left as it is (ErrUnavailable).
func (k *Keyring) Close() error {
	return k.bounded("close", func() error {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.closeLocked()
		return nil
	})
}

// bounded runs fn, one call on the token at a time, and gives up after
// Config.Timeout: fn goes on in the background until the library returns,
// holding k.calls, so the calls after it give up too until then.
func (k *Keyring) bounded(what string, fn func() error) error {
	timer := time.NewTimer(k.cfg.Timeout)
	defer timer.Stop()
	select {
	case k.calls <- struct{}{}:
	case <-timer.C:
		return fmt.Errorf("token %s: %w: %s: an earlier call on the token has not returned in %s", k.cfg.URI.tokenName(), ErrUnavailable, what, k.cfg.Timeout)
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-k.calls }()
		done <- fn()
	}()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("token %s: %w: %s: no answer in %s", k.cfg.URI.tokenName(), ErrUnavailable, what, k.cfg.Timeout)
	}
}

func (k *Keyring) closeLocked() {
	if k.closed {
		return
	}
	k.closed = true
	k.disconnect()
	k.mod.release()
}

// Sign implements document.Signer with the current key, rotating it first
// when it is older than RotateEvery. A token failure is retried once on a
// new session; if that fails too the error wraps ErrUnavailable.
func (k *Keyring) Sign(payload []byte) (string, error) {
	var jws string
	err := k.bounded("sign", func() (err error) {
		jws, err = k.sign(payload)
		return err
	})
	if err != nil {
		return "", err
	}
	return jws, nil
}

func (k *Keyring) sign(payload []byte) (string, error) {
	var last error
	for range 2 {
		s, err := k.signer()
		if err != nil {
			return "", err
		}
		jws, err := s.Sign(payload)
		if err == nil {
			return jws, nil
		}
		last = err
		k.mu.Lock()
		k.disconnect() // the next signer() reconnects and rereads the keys
		k.mu.Unlock()
	}
	return "", fmt.Errorf("token %s: %w: sign: %w", k.cfg.URI.tokenName(), ErrUnavailable, last)
}

// KeyID returns the current key's id.
func (k *Keyring) KeyID() (string, error) {
	var kid string
	err := k.bounded("key id", func() error {
		s, err := k.signer()
		if err == nil {
			kid = s.KeyID()
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return kid, nil
}

// Keys returns the label's keys with their validity periods, read from the
// token, the current one last.
func (k *Keyring) Keys() (document.KeySet, error) {
	var keys document.KeySet
	err := k.bounded("read the keys", func() error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if err := k.ready(); err != nil {
			return err
		}
		if err := k.load(); err != nil {
			k.disconnect()
			return err
		}
		keys = append(document.KeySet(nil), k.keys...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Rotate retires the current key and generates a new one, now.
func (k *Keyring) Rotate() error {
	return k.bounded("rotate", func() error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if err := k.ready(); err != nil {
			return err
		}
		if err := k.load(); err != nil {
			return err
		}
		return k.rotate()
	})
}

// signer returns the key to sign with now.
func (k *Keyring) signer() (*document.KeySigner, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.ready(); err != nil {
		return nil, err
	}
	if k.current == nil {
		return nil, fmt.Errorf("%w: token %s, key %q", ErrNoKey, k.cfg.URI.tokenName(), k.cfg.URI.Object)
	}
	if k.cfg.RotateEvery > 0 && k.cfg.Now().Sub(k.since) >= k.cfg.RotateEvery {
		if err := k.rotate(); err != nil {
			return nil, err
		}
	}
	return k.current, nil
}

// ready reconnects after a failure. Called with mu held.
func (k *Keyring) ready() error {
	if k.closed {
		return errors.New("token: keyring closed")
	}
	if k.open {
		return nil
	}
	if err := initialize(k.mod.ctx); err != nil {
		return fmt.Errorf("token %s: %w: C_Initialize: %w", k.cfg.URI.tokenName(), ErrUnavailable, err)
	}
	if err := k.connect(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := k.load(); err != nil {
		k.disconnect()
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// connect finds the token, opens a read-write session and logs in.
func (k *Keyring) connect() error {
	ctx, u := k.mod.ctx, k.cfg.URI
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return fmt.Errorf("token: slots: %w", err)
	}
	var slot uint
	found := false
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if (u.Token == "" || strings.TrimRight(ti.Label, " \x00") == u.Token) &&
			(u.Serial == "" || strings.TrimRight(ti.SerialNumber, " \x00") == u.Serial) &&
			(!u.HasSlotID || s == u.SlotID) {
			slot, found = s, true
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: no slot of %s holds token %s", ErrTokenNotFound, u.ModulePath, u.tokenName())
	}
	sh, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("token %s: open session: %w", u.tokenName(), err)
	}
	err = ctx.Login(sh, pkcs11.CKU_USER, k.pin)
	if isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) && !k.mod.loggedInWith(slot, k.pin) {
		// Login is per process: another keyring of this process logged
		// in, and the token cannot tell whether this PIN is right.
		ctx.CloseSession(sh)
		return fmt.Errorf("%w: token %s: login: not the PIN the token is logged in with", ErrPIN, u.tokenName())
	}
	if err != nil && !isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		ctx.CloseSession(sh)
		if isCode(err, pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE,
			pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_PIN_EXPIRED, pkcs11.CKR_ARGUMENTS_BAD) {
			return fmt.Errorf("%w: token %s: login: %w", ErrPIN, u.tokenName(), err)
		}
		return fmt.Errorf("token %s: login: %w", u.tokenName(), err)
	}
	k.mod.setPIN(slot, k.pin)
	k.slot, k.sh, k.open = slot, sh, true
	return nil
}

// disconnect closes the session, if open; errors are moot (the token may
// be gone). Called with mu held.
func (k *Keyring) disconnect() {
	if k.open {
		k.mod.ctx.CloseSession(k.sh)
		k.open = false
	}
	k.priv = 0 // object handles may not outlive a reset library
}

// load reads the label's JWKS object and finds the current key's private
// half. No JWKS object leaves the keyring empty. Called with mu held and
// the session open.
func (k *Keyring) load() error {
	u := k.cfg.URI
	data, _, err := k.jwksObject()
	if err != nil {
		return err
	}
	if data == nil {
		k.keys, k.current, k.priv = nil, nil, 0
		return nil
	}
	keys, err := document.ParseJWKS(data)
	if err != nil {
		return fmt.Errorf("token %s: key %q: %w", u.tokenName(), u.Object, err)
	}
	cur := keys[len(keys)-1]
	if !cur.RetiredAt.IsZero() {
		return fmt.Errorf("%w: token %s: the last key of %q is retired", ErrNoKey, u.tokenName(), u.Object)
	}
	if k.current != nil && k.current.KeyID() == cur.ID && k.priv != 0 {
		k.keys = keys
		return nil
	}
	priv, err := k.findOne(pkcs11.CKO_PRIVATE_KEY, []byte(cur.ID))
	if err != nil {
		return err
	}
	if priv == 0 {
		return fmt.Errorf("%w: token %s: the private key of %q (kid %s) is missing", ErrNoKey, u.tokenName(), u.Object, cur.ID)
	}
	// ParseJWKS has checked that the key is of its algorithm.
	s, err := document.NewKeySigner(cur.ID, cur.Algorithm, &opaque{k: k, kid: cur.ID, alg: cur.Algorithm, pub: cur.Public})
	if err != nil {
		return err
	}
	k.keys, k.current, k.priv, k.since = keys, s, priv, cur.NotBefore
	return nil
}

// rotate generates a new key pair, writes the JWKS with the old key
// retired and keys past their window dropped, then destroys every other
// private key of the label and the public keys no longer listed. Called
// with mu held, the session open, after load.
func (k *Keyring) rotate() error {
	ctx, sh, u := k.mod.ctx, k.sh, k.cfg.URI
	now := k.cfg.Now().UTC().Truncate(time.Millisecond)
	alg, err := k.algorithm()
	if err != nil {
		return err
	}
	gen, keyType, params := pkcs11.CKM_EC_KEY_PAIR_GEN, pkcs11.CKK_EC, p256
	if alg == jose.EdDSA {
		gen, keyType, params = ckmECEdwardsKeyPairGen, ckkECEdwards, edwards25519
	}
	tmpID := make([]byte, 16)
	rand.Read(tmpID)
	label := []byte(u.Object)
	pubH, privH, err := ctx.GenerateKeyPair(sh,
		[]*pkcs11.Mechanism{pkcs11.NewMechanism(uint(gen), nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			pkcs11.NewAttribute(pkcs11.CKA_ID, tmpID),
		},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			pkcs11.NewAttribute(pkcs11.CKA_ID, tmpID),
		})
	if err != nil {
		return fmt.Errorf("token %s: generate a %s key pair: %w", u.tokenName(), curveName(alg), err)
	}
	undo := func() { ctx.DestroyObject(sh, privH); ctx.DestroyObject(sh, pubH) }
	pub, err := k.publicKey(pubH, alg)
	if err != nil {
		undo()
		return err
	}
	kid, err := document.Thumbprint(pub)
	if err != nil {
		undo()
		return err
	}
	for _, h := range []pkcs11.ObjectHandle{pubH, privH} {
		if err := ctx.SetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(kid))}); err != nil {
			undo()
			return fmt.Errorf("token %s: set the key's id: %w", u.tokenName(), err)
		}
	}
	var keys document.KeySet
	for _, old := range k.keys {
		if old.RetiredAt.IsZero() {
			old.RetiredAt, old.NotAfter = now, now.Add(k.cfg.VerifyFor)
		}
		if now.Before(old.NotAfter) {
			keys = append(keys, old)
		}
	}
	keys = append(keys, document.Key{ID: kid, Algorithm: alg, Public: pub, NotBefore: now})
	data, err := document.MarshalJWKS(keys)
	if err != nil {
		undo()
		return err
	}
	if err := k.writeJWKS(data); err != nil {
		undo()
		return err
	}
	s, err := document.NewKeySigner(kid, alg, &opaque{k: k, kid: kid, alg: alg, pub: pub})
	if err != nil {
		return err
	}
	k.keys, k.current, k.priv, k.since = keys, s, privH, now
	return k.destroyOthers(keys, kid)
}

// destroyOthers destroys the label's private keys but kid's, and its
// public keys that keys no longer lists.
func (k *Keyring) destroyOthers(keys document.KeySet, kid string) error {
	for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY} {
		hs, err := k.find(class, nil)
		if err != nil {
			return err
		}
		for _, h := range hs {
			attrs, err := k.mod.ctx.GetAttributeValue(k.sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)})
			if err != nil {
				return fmt.Errorf("token %s: %w", k.cfg.URI.tokenName(), err)
			}
			id := string(attrs[0].Value)
			if _, listed := keys.Lookup(id); id == kid || (class == pkcs11.CKO_PUBLIC_KEY && listed) {
				continue
			}
			if err := k.mod.ctx.DestroyObject(k.sh, h); err != nil {
				return fmt.Errorf("token %s: retire key %s: %w", k.cfg.URI.tokenName(), id, err)
			}
		}
	}
	return nil
}

// algorithm returns the algorithm of the next key: Config.Algorithm, or
// the best the token offers. Called with mu held and the session open.
func (k *Keyring) algorithm() (jose.SignatureAlgorithm, error) {
	mechs, err := k.mod.ctx.GetMechanismList(k.slot)
	if err != nil {
		return "", fmt.Errorf("token %s: mechanisms: %w", k.cfg.URI.tokenName(), err)
	}
	has := map[uint]bool{}
	for _, m := range mechs {
		has[m.Mechanism] = true
	}
	eddsa := has[ckmECEdwardsKeyPairGen] && has[ckmEdDSA]
	es256 := has[pkcs11.CKM_EC_KEY_PAIR_GEN] && has[pkcs11.CKM_ECDSA]
	switch want := k.cfg.Algorithm; {
	case want == jose.EdDSA && eddsa, want == "" && eddsa:
		return jose.EdDSA, nil
	case want == jose.ES256 && es256, want == "" && es256:
		return jose.ES256, nil
	case want != "":
		return "", fmt.Errorf("%w: token %s cannot generate and sign with %s keys", ErrAlgorithm, k.cfg.URI.tokenName(), curveName(want))
	}
	return "", fmt.Errorf("%w: token %s has neither EdDSA (Ed25519) nor ECDSA (P-256) key generation and signing", ErrAlgorithm, k.cfg.URI.tokenName())
}

func curveName(alg jose.SignatureAlgorithm) string {
	if alg == jose.EdDSA {
		return "Ed25519"
	}
	return "P-256"
}

// publicKey reads a public key object's point: an Ed25519 key for EdDSA,
// a P-256 one for ES256.
func (k *Keyring) publicKey(h pkcs11.ObjectHandle, alg jose.SignatureAlgorithm) (crypto.PublicKey, error) {
	attrs, err := k.mod.ctx.GetAttributeValue(k.sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, fmt.Errorf("token %s: read the public key: %w", k.cfg.URI.tokenName(), err)
	}
	pt := attrs[0].Value
	if alg == jose.EdDSA {
		// A DER OCTET STRING around the 32-byte encoding (PKCS#11 3.0),
		// or the bare encoding.
		if len(pt) == 34 && pt[0] == 0x04 && pt[1] == 32 {
			pt = pt[2:]
		}
		if len(pt) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("token %s: the public key is not an Ed25519 key (%d bytes)", k.cfg.URI.tokenName(), len(pt))
		}
		return ed25519.PublicKey(append([]byte(nil), pt...)), nil
	}
	// CKA_EC_POINT is a DER OCTET STRING around the uncompressed point;
	// some libraries give the bare point.
	if len(pt) == 67 && pt[0] == 0x04 && pt[1] == 65 {
		pt = pt[2:]
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
	if err != nil {
		return nil, fmt.Errorf("token %s: the public key is not a P-256 point: %w", k.cfg.URI.tokenName(), err)
	}
	return pub, nil
}

// jwksObject returns the value of the label's JWKS data object, nil
// when there is none, and the handles of all of them. There is one but
// for a moment in writeJWKS, or after a crash in it: then the newest set
// (its current key the latest) is the value.
func (k *Keyring) jwksObject() ([]byte, []pkcs11.ObjectHandle, error) {
	hs, err := k.findTemplate([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, []byte(k.cfg.URI.Object)),
		pkcs11.NewAttribute(pkcs11.CKA_APPLICATION, []byte(jwksApplication)),
	})
	if err != nil || len(hs) == 0 {
		return nil, nil, err
	}
	var newest []byte
	var newestAt time.Time
	for _, h := range hs {
		attrs, err := k.mod.ctx.GetAttributeValue(k.sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil {
			return nil, nil, fmt.Errorf("token %s: read the keys: %w", k.cfg.URI.tokenName(), err)
		}
		data := attrs[0].Value
		at := time.Time{}
		if keys, err := document.ParseJWKS(data); err == nil {
			at = keys[len(keys)-1].NotBefore
		}
		if newest == nil || at.After(newestAt) {
			newest, newestAt = data, at
		}
	}
	return newest, hs, nil
}

// writeJWKS replaces the label's JWKS data object by a new one holding
// data. It never changes an object's value in place: tpm2-pkcs11 accepts
// C_SetAttributeValue on CKA_VALUE but does not keep it past the process.
func (k *Keyring) writeJWKS(data []byte) error {
	ctx, sh := k.mod.ctx, k.sh
	_, old, err := k.jwksObject()
	if err != nil {
		return err
	}
	if _, err := ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, []byte(k.cfg.URI.Object)),
		pkcs11.NewAttribute(pkcs11.CKA_APPLICATION, []byte(jwksApplication)),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, data),
	}); err != nil {
		return fmt.Errorf("token %s: write the keys: %w", k.cfg.URI.tokenName(), err)
	}
	for _, h := range old {
		if err := ctx.DestroyObject(sh, h); err != nil {
			return fmt.Errorf("token %s: replace the keys: %w", k.cfg.URI.tokenName(), err)
		}
	}
	return nil
}

// findOne returns the label's object of class with CKA_ID id, or 0.
func (k *Keyring) findOne(class uint, id []byte) (pkcs11.ObjectHandle, error) {
	hs, err := k.find(class, id)
	if err != nil || len(hs) == 0 {
		return 0, err
	}
	return hs[0], nil
}

// find returns the label's objects of class (with CKA_ID id, if not nil).
func (k *Keyring) find(class uint, id []byte) ([]pkcs11.ObjectHandle, error) {
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, []byte(k.cfg.URI.Object)),
	}
	if id != nil {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_ID, id))
	}
	return k.findTemplate(t)
}

func (k *Keyring) findTemplate(t []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	ctx, sh := k.mod.ctx, k.sh
	if err := ctx.FindObjectsInit(sh, t); err != nil {
		return nil, fmt.Errorf("token %s: find objects: %w", k.cfg.URI.tokenName(), err)
	}
	defer ctx.FindObjectsFinal(sh)
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := ctx.FindObjects(sh, 64)
		if err != nil {
			return nil, fmt.Errorf("token %s: find objects: %w", k.cfg.URI.tokenName(), err)
		}
		if len(hs) == 0 {
			return all, nil
		}
		all = append(all, hs...)
	}
}

// opaque is the current key as a jose.OpaqueSigner: go-jose builds the
// JWS and the token signs it. EdDSA signs the signing input itself
// (CKM_EDDSA, pure Ed25519); ES256 signs its SHA-256 digest (CKM_ECDSA,
// whose r||s is the JWS form of the signature).
type opaque struct {
	k   *Keyring
	kid string
	alg jose.SignatureAlgorithm
	pub crypto.PublicKey
}

func (o *opaque) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: o.pub, KeyID: o.kid, Algorithm: string(o.alg), Use: "sig"}
}

func (o *opaque) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{o.alg} }

func (o *opaque) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != o.alg {
		return nil, fmt.Errorf("token: algorithm %s, the key signs %s", alg, o.alg)
	}
	mech, data := uint(ckmEdDSA), payload
	if alg == jose.ES256 {
		digest := sha256.Sum256(payload)
		mech, data = pkcs11.CKM_ECDSA, digest[:]
	}
	k := o.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.open || k.current == nil || k.current.KeyID() != o.kid {
		return nil, fmt.Errorf("%w: session lost or key %s rotated", ErrUnavailable, o.kid)
	}
	ctx := k.mod.ctx
	if err := ctx.SignInit(k.sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, k.priv); err != nil {
		return nil, fmt.Errorf("C_SignInit: %w", err)
	}
	sig, err := ctx.Sign(k.sh, data)
	if err != nil {
		return nil, fmt.Errorf("C_Sign: %w", err)
	}
	if len(sig) != 64 { // Ed25519's R||S, or P-256's r||s
		return nil, fmt.Errorf("C_Sign: %d-byte signature, want 64", len(sig))
	}
	return sig, nil
}
