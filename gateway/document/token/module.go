package token

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/miekg/pkcs11"
)

// A PKCS#11 library is initialised once per process (C_Initialize), so the
// keyrings of one process share it: modules counts their references and
// finalises the library when the last one closes.
var modules struct {
	mu   sync.Mutex
	open map[string]*module
}

type module struct {
	path string
	ctx  *pkcs11.Ctx
	refs int
	// pins are the digests of the PINs the slots' tokens were logged in
	// with (under modules.mu).
	pins map[uint][sha256.Size]byte
}

// setPIN records the PIN slot's token accepted.
func (m *module) setPIN(slot uint, pin string) {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	if m.pins == nil {
		m.pins = map[uint][sha256.Size]byte{}
	}
	m.pins[slot] = sha256.Sum256([]byte(pin))
}

// loggedInWith reports whether slot's token was logged in with pin by this
// process.
func (m *module) loggedInWith(slot uint, pin string) bool {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	d, ok := m.pins[slot]
	want := sha256.Sum256([]byte(pin))
	return ok && subtle.ConstantTimeCompare(d[:], want[:]) == 1
}

// openModule loads and initialises the library at path, or returns the
// one already open.
func openModule(path string) (*module, error) {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	if m := modules.open[path]; m != nil {
		m.refs++
		return m, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: module-path: %w", ErrModule, err)
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("%w: module-path %s: not a PKCS#11 library", ErrModule, path)
	}
	if err := initialize(ctx); err != nil {
		ctx.Destroy()
		return nil, fmt.Errorf("%w: module-path %s: C_Initialize: %w", ErrModule, path, err)
	}
	m := &module{path: path, ctx: ctx, refs: 1}
	if modules.open == nil {
		modules.open = map[string]*module{}
	}
	modules.open[path] = m
	return m, nil
}

// initialize runs C_Initialize; a library already initialised (by another
// part of the process, or again after a token failure) is fine.
func initialize(ctx *pkcs11.Ctx) error {
	err := ctx.Initialize()
	if isCode(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		return nil
	}
	return err
}

// release drops a reference; the last one finalises the library.
func (m *module) release() {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	if m.refs--; m.refs > 0 {
		return
	}
	delete(modules.open, m.path)
	m.ctx.Finalize()
	m.ctx.Destroy()
}

// isCode reports whether err is the PKCS#11 return value code.
func isCode(err error, codes ...uint) bool {
	var e pkcs11.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if uint(e) == c {
			return true
		}
	}
	return false
}
