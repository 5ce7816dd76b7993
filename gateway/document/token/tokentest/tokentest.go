// Package tokentest makes PKCS#11 tokens for tests of signing through them
// (gateway/document/token): SoftHSM2 tokens in a temporary folder (New,
// an HSM) and tokens on a software TPM through tpm2-pkcs11 (NewTPM, a
// kiosk's TPM). Without their Debian packages (hack/install-deps.sh) a
// test is skipped, and fails under CI=true.
package tokentest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/biogate/biogate/gateway/document/token"
)

// PIN and SOPIN are the PINs of every test token.
const (
	PIN   = "4711-test-pin"
	SOPIN = "0815-test-so-pin"
)

// Modules are where Debian and others put SoftHSM2's library.
var Modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Token is a SoftHSM2 token made for a test.
type Token struct {
	// URI names the token and the key label given to New; its PIN comes
	// from a pin-source file.
	URI token.URI
	// Label is the token's label.
	Label string
	// Dir is the token's own folder in the token directory: removing it
	// removes the token.
	Dir string
	// PINFile holds PIN.
	PINFile string
}

// The SoftHSM2 configuration is read at C_Initialize, and the library is
// initialised once per process, so every token of a test process lives in
// one token directory, made at the first New.
var (
	setup    sync.Once
	setupErr error
	tokenDir string
	module   string
	count    atomic.Int64
)

// New makes a token (label "biogate-N") in the process's temporary token
// directory and returns it with a URI naming object on it.
func New(t testing.TB, object string) *Token {
	t.Helper()
	setup.Do(func() { setupErr = configure() })
	if setupErr != nil {
		msg := fmt.Sprintf("SoftHSM2 unavailable: %v; install softhsm2 (hack/install-deps.sh)", setupErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	label := fmt.Sprintf("biogate-%d", count.Add(1))
	before, _ := os.ReadDir(tokenDir)
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SOPIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	after, _ := os.ReadDir(tokenDir)
	var dir string
	seen := map[string]bool{}
	for _, e := range before {
		seen[e.Name()] = true
	}
	for _, e := range after {
		if !seen[e.Name()] {
			dir = filepath.Join(tokenDir, e.Name())
		}
	}
	if dir == "" {
		t.Fatalf("softhsm2-util made no token folder in %s", tokenDir)
	}
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Token{
		URI:   token.URI{Token: label, Object: object, ModulePath: module, PINSource: pinFile},
		Label: label, Dir: dir, PINFile: pinFile,
	}
}

// Module returns SoftHSM2's library, or "" when there is none.
func Module() string {
	for _, m := range Modules {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// configure writes a softhsm2.conf whose token directory is a new
// temporary folder and points SOFTHSM2_CONF at it, for this process and
// the softhsm2-util it runs.
func configure() error {
	if module = Module(); module == "" {
		return errors.New("no libsofthsm2.so")
	}
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "biogate-softhsm-")
	if err != nil {
		return err
	}
	tokenDir = filepath.Join(base, "tokens")
	if err := os.Mkdir(tokenDir, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(base, "softhsm2.conf")
	body := "directories.tokendir = " + tokenDir + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return err
	}
	return os.Setenv("SOFTHSM2_CONF", conf)
}
