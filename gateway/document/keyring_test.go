package document

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for a Keyring.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func mustKeyring(t *testing.T, cfg KeyringConfig) *Keyring {
	t.Helper()
	k, err := NewKeyring(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeyID(t *testing.T, k *Keyring) string {
	t.Helper()
	kid, err := k.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// privateFiles lists the .pem files of dir.
func privateFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKeyringCreatesAKeyOnFirstStartAndReusesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	first := mustKeyring(t, KeyringConfig{Dir: dir})
	kid := mustKeyID(t, first)

	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}
	pems := privateFiles(t, dir)
	if len(pems) != 1 || filepath.Base(pems[0]) != kid+".pem" {
		t.Fatalf("private files %v, want %s.pem", pems, kid)
	}
	for _, name := range []string{kid + ".pem", "jwks.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", name, err, fi.Mode().Perm())
		}
	}
	pem, _ := os.ReadFile(pems[0])
	if !bytes.HasPrefix(pem, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("private key file is not PKCS#8 PEM: %.30q", pem)
	}

	second := mustKeyring(t, KeyringConfig{Dir: dir})
	if got := mustKeyID(t, second); got != kid {
		t.Errorf("second start: key %s, want the first start's %s", got, kid)
	}
	// A document the first signed verifies with the second's keys.
	jws := mustSign(t, first, sample(time.Now()))
	keys, err := second.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(jws, keys, time.Now()); err != nil {
		t.Error(err)
	}
}

func TestKeyringRotationKeepsOldKeysForVerification(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{now: t0}
	k := mustKeyring(t, KeyringConfig{Dir: dir, VerifyFor: 30 * 24 * time.Hour, Now: clk.Now})
	oldKid := mustKeyID(t, k)
	old := mustSign(t, k, sample(clk.Now()))

	clk.Add(time.Hour)
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	newKid := mustKeyID(t, k)
	if newKid == oldKid {
		t.Fatal("rotation kept the key id")
	}
	if pems := privateFiles(t, dir); len(pems) != 1 || filepath.Base(pems[0]) != newKid+".pem" {
		t.Errorf("private files after rotation %v, want only %s.pem", pems, newKid)
	}
	clk.Add(time.Minute)
	fresh := mustSign(t, k, sample(clk.Now()))
	if h, _ := ParseHeader(fresh); h.KeyID != newKid {
		t.Errorf("signed with %s after rotation, want %s", h.KeyID, newKid)
	}

	body, err := k.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("JWKS holds %d keys, want the old and the new", len(keys))
	}
	oldKey, _ := keys.Lookup(oldKid)
	if !oldKey.NotBefore.Equal(t0) || !oldKey.RetiredAt.Equal(t0.Add(time.Hour)) || !oldKey.NotAfter.Equal(t0.Add(time.Hour+30*24*time.Hour)) {
		t.Errorf("old key's validity %v - %v, verifiable until %v", oldKey.NotBefore, oldKey.RetiredAt, oldKey.NotAfter)
	}
	for name, jws := range map[string]string{"old": old, "new": fresh} {
		if _, err := Verify(jws, keys, clk.Now()); err != nil {
			t.Errorf("%s document: %v", name, err)
		}
	}
	// Past its verification window the old key verifies nothing.
	if _, err := Verify(old, keys, t0.Add(31*24*time.Hour+time.Hour)); !errors.Is(err, ErrKeyExpired) {
		t.Errorf("old document after the window: %v, want ErrKeyExpired", err)
	}
	// The next rotation after the window drops the old key.
	clk.Add(31 * 24 * time.Hour)
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	keys, _ = k.Keys()
	if _, ok := keys.Lookup(oldKid); ok || len(keys) != 2 {
		t.Errorf("after its window the old key is still listed (%d keys)", len(keys))
	}
	if _, err := Verify(old, keys, clk.Now()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old document once its key is dropped: %v, want ErrUnknownKey", err)
	}
}

func TestKeyringRotatesByConfiguration(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{now: t0}
	k := mustKeyring(t, KeyringConfig{Dir: dir, RotateEvery: 24 * time.Hour, Now: clk.Now})
	first := mustKeyID(t, k)
	clk.Add(23 * time.Hour)
	if got := mustKeyID(t, k); got != first {
		t.Fatalf("rotated after 23h of 24h")
	}
	clk.Add(time.Hour)
	jws := mustSign(t, k, sample(clk.Now()))
	h, _ := ParseHeader(jws)
	if h.KeyID == first {
		t.Fatalf("not rotated after 24h")
	}
	keys, _ := k.Keys()
	if _, err := Verify(jws, keys, clk.Now()); err != nil {
		t.Error(err)
	}
	// Another keyring on the folder (another process) whose clock also
	// says 24h passed adopts the rotation instead of rotating again.
	other := mustKeyring(t, KeyringConfig{Dir: dir, RotateEvery: 24 * time.Hour, Now: clk.Now})
	if got := mustKeyID(t, other); got != h.KeyID {
		t.Errorf("second keyring uses %s, want %s", got, h.KeyID)
	}
}

func TestKeyringNoticesARotationByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	a := mustKeyring(t, KeyringConfig{Dir: dir})
	b := mustKeyring(t, KeyringConfig{Dir: dir})
	if err := a.Rotate(); err != nil {
		t.Fatal(err)
	}
	jws := mustSign(t, b, sample(time.Now()))
	if h, _ := ParseHeader(jws); h.KeyID != mustKeyID(t, a) {
		t.Errorf("b signs with %s after a rotated to %s", h.KeyID, mustKeyID(t, a))
	}
}

func TestKeyringRefusesAnUnsafeOrMismatchedPrivateKey(t *testing.T) {
	dir := t.TempDir()
	kid := mustKeyID(t, mustKeyring(t, KeyringConfig{Dir: dir}))
	pem := filepath.Join(dir, kid+".pem")
	if err := os.Chmod(pem, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyring(KeyringConfig{Dir: dir}); err == nil || !strings.Contains(err.Error(), "0644") {
		t.Errorf("world-readable key: %v", err)
	}
	os.Chmod(pem, 0o600)

	// Another key's private half under this key's name.
	other := t.TempDir()
	otherKid := mustKeyID(t, mustKeyring(t, KeyringConfig{Dir: other}))
	data, _ := os.ReadFile(filepath.Join(other, otherKid+".pem"))
	if err := os.WriteFile(pem, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyring(KeyringConfig{Dir: dir}); err == nil || !strings.Contains(err.Error(), "not the private half") {
		t.Errorf("mismatched key: %v", err)
	}
	os.Remove(pem)
	if _, err := NewKeyring(KeyringConfig{Dir: dir}); err == nil {
		t.Error("missing private key: no error")
	}
}

func TestNewKeyringValidatesItsConfig(t *testing.T) {
	for _, cfg := range []KeyringConfig{{}, {Dir: t.TempDir(), RotateEvery: -time.Hour}, {Dir: t.TempDir(), VerifyFor: -1}} {
		if _, err := NewKeyring(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// Keyrings opened at once on an empty folder agree on one first key.
func TestKeyringFirstStartIsExclusive(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := NewKeyring(KeyringConfig{Dir: dir})
			if err != nil {
				t.Error(err)
				return
			}
			kids[i], _ = k.KeyID()
		})
	}
	wg.Wait()
	for _, kid := range kids {
		if kid != kids[0] {
			t.Fatalf("keyrings started together hold different keys: %v", kids)
		}
	}
	if pems := privateFiles(t, dir); len(pems) != 1 {
		t.Errorf("%d private keys, want 1", len(pems))
	}
}

// childEnv names the folder a child process opens in
// TestKeyringFirstStartAcrossProcesses.
const childEnv = "BIOGATE_DOCUMENT_TEST_KEYRING"

// TestKeyringChild is the child process of
// TestKeyringFirstStartAcrossProcesses: it opens the keyring and prints its
// key id. It does nothing in a normal run.
func TestKeyringChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("child process of TestKeyringFirstStartAcrossProcesses only")
	}
	k, err := NewKeyring(KeyringConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("kid=%s\n", mustKeyID(t, k))
}

// Processes started together on an empty folder agree on one first key.
func TestKeyringFirstStartAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	const n = 4
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.Command(exe, "-test.run=^TestKeyringChild$", "-test.count=1", "-test.v")
		cmds[i].Env = append(os.Environ(), childEnv+"="+dir)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	kids := map[string]bool{}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i].String())
		}
		_, rest, ok := strings.Cut(outs[i].String(), "kid=")
		if !ok {
			t.Fatalf("child %d printed no key id:\n%s", i, outs[i].String())
		}
		kids[strings.Fields(rest)[0]] = true
	}
	if len(kids) != 1 || len(privateFiles(t, dir)) != 1 {
		t.Errorf("processes created %d keys (%d private files), want 1", len(kids), len(privateFiles(t, dir)))
	}
}

// Documents signed while another goroutine rotates all verify with the
// keyring's keys afterwards.
func TestKeyringSignsConcurrentlyWithRotations(t *testing.T) {
	k := mustKeyring(t, KeyringConfig{Dir: t.TempDir()})
	const signers, each, rotations = 4, 25, 5
	out := make(chan string, signers*each)
	var wg sync.WaitGroup
	for range signers {
		wg.Go(func() {
			for range each {
				jws, err := Sign(k, sample(time.Now()))
				if err != nil {
					t.Error(err)
					return
				}
				out <- jws
			}
		})
	}
	wg.Go(func() {
		for range rotations {
			if err := k.Rotate(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	close(out)
	keys, err := k.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != rotations+1 {
		t.Errorf("%d keys after %d rotations", len(keys), rotations)
	}
	n := 0
	for jws := range out {
		n++
		if _, err := Verify(jws, keys, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n != signers*each {
		t.Errorf("%d documents, want %d", n, signers*each)
	}
}
