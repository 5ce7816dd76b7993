package tokentest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/biogate/biogate/gateway/document/token"
)

// TPMModules are where Debian and others put tpm2-pkcs11's library.
var TPMModules = []string{
	"/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so",
	"/usr/lib/aarch64-linux-gnu/pkcs11/libtpm2_pkcs11.so",
	"/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1",
	"/usr/lib/aarch64-linux-gnu/libtpm2_pkcs11.so.1",
	"/usr/local/lib/libtpm2_pkcs11.so",
}

// The software TPM of a test process: swtpm (a TPM 2.0 simulator on
// loopback), tpm2-abrmd in front of it as the resource manager a kiosk's
// kernel gives (/dev/tpmrm0; the TPM itself holds three loaded objects),
// on a private D-Bus, and tpm2-pkcs11's store in a temporary folder.
// tpm2-pkcs11 reads its environment when the library is initialised, once
// per process, so the TPM is made once and dies with the process.
var (
	tpmSetup  sync.Once
	tpmErr    error
	tpmModule string
	tpmCount  int
	tpmMu     sync.Mutex
	tpmSim    *exec.Cmd // swtpm
)

// NewTPM makes a token (label "biogate-tpm-N") on the process's software
// TPM through tpm2-pkcs11 (C_InitToken, C_InitPIN, as tpm2_ptool does)
// and returns it with a URI naming object on it. Token.Dir is empty: the
// token lives in the TPM's store. Without swtpm, tpm2-abrmd, dbus-daemon
// and tpm2-pkcs11 (hack/install-deps.sh) the test is skipped, and fails
// under CI=true.
func NewTPM(t testing.TB, object string) *Token {
	t.Helper()
	tpmSetup.Do(func() { tpmErr = startTPM() })
	tpmMu.Lock()
	if err := tpmErr; err != nil {
		tpmMu.Unlock()
		msg := fmt.Sprintf("software TPM unavailable: %v; install swtpm, tpm2-abrmd and libtpm2-pkcs11-1 (hack/install-deps.sh)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	tpmCount++
	label := fmt.Sprintf("biogate-tpm-%d", tpmCount)
	err := initTPMToken(label)
	tpmMu.Unlock()
	if err != nil {
		t.Fatalf("tpm2-pkcs11: make token %s: %v", label, err)
	}
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Token{
		URI:   token.URI{Token: label, Object: object, ModulePath: tpmModule, PINSource: pinFile},
		Label: label, PINFile: pinFile,
	}
}

// initTPMToken initialises tpm2-pkcs11's free slot as a token labelled
// label with the test PINs.
func initTPMToken(label string) error {
	ctx := pkcs11.New(tpmModule)
	if ctx == nil {
		return errors.New("the library does not load")
	}
	// The library may be initialised already (by a keyring of this
	// process); it is left initialised, for the keyrings to finalise.
	if err := ctx.Initialize(); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		return fmt.Errorf("C_Initialize: %w", err)
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return err
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			continue
		}
		if err := ctx.InitToken(s, SOPIN, label); err != nil {
			return fmt.Errorf("C_InitToken: %w", err)
		}
		sh, err := ctx.OpenSession(s, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return err
		}
		defer ctx.CloseSession(sh)
		if err := ctx.Login(sh, pkcs11.CKU_SO, SOPIN); err != nil {
			return fmt.Errorf("C_Login (SO): %w", err)
		}
		defer ctx.Logout(sh)
		if err := ctx.InitPIN(sh, PIN); err != nil {
			return fmt.Errorf("C_InitPIN: %w", err)
		}
		return nil
	}
	return errors.New("no free slot")
}

// startTPM starts a private D-Bus, swtpm and tpm2-abrmd, and points
// tpm2-pkcs11 at them through this process's environment.
func startTPM() error {
	for _, m := range TPMModules {
		if _, err := os.Stat(m); err == nil {
			tpmModule = m
			break
		}
	}
	if tpmModule == "" {
		return errors.New("no libtpm2_pkcs11.so")
	}
	for _, p := range []string{"swtpm", "tpm2-abrmd", "dbus-daemon", "dbus-send"} {
		if _, err := exec.LookPath(p); err != nil {
			return err
		}
	}
	base, err := os.MkdirTemp("", "biogate-swtpm-")
	if err != nil {
		return err
	}
	state, store := filepath.Join(base, "state"), filepath.Join(base, "store")
	for _, d := range []string{state, store} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	bus := "unix:path=" + filepath.Join(base, "bus")
	if _, err := start(base, "dbus", "dbus-daemon", "--session", "--nofork", "--address="+bus); err != nil {
		return err
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	port, ctrl, err := freePorts()
	if err != nil {
		return err
	}
	if tpmSim, err = start(base, "swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", "dir="+state,
		"--server", "type=tcp,bindaddr=127.0.0.1,port="+strconv.Itoa(port),
		"--ctrl", "type=tcp,bindaddr=127.0.0.1,port="+strconv.Itoa(ctrl),
		"--flags", "not-need-init,startup-clear"); err != nil {
		return err
	}
	if err := waitFor(func() bool {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		return fmt.Errorf("swtpm: %w (log in %s)", err, base)
	}
	if _, err := start(base, "abrmd", "tpm2-abrmd", "--session", "--allow-root",
		"--tcti=swtpm:host=127.0.0.1,port="+strconv.Itoa(port)); err != nil {
		return err
	}
	if err := waitFor(func() bool {
		out, _ := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:com.intel.tss2.Tabrmd").Output()
		return strings.Contains(string(out), "boolean true")
	}); err != nil {
		return fmt.Errorf("tpm2-abrmd: %w (log in %s)", err, base)
	}
	os.Setenv("TPM2_PKCS11_TCTI", "tabrmd:bus_type=session")
	os.Setenv("TPM2_PKCS11_STORE", store)
	os.Setenv("TPM2_PKCS11_LOG_LEVEL", "0")
	os.Setenv("TSS2_LOG", "all+NONE") // the TSS's own lines on a refused PIN
	return nil
}

// start runs a helper that the kernel kills when this process dies, its
// output in DIR/NAME.log.
func start(dir, name, prog string, args ...string) (*exec.Cmd, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	log.Close() // the child has its own
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prog, err)
	}
	// Not waited for: it lives as long as the test process (a goroutine
	// waiting on it would be a leak to goleak).
	return cmd, nil
}

// Freeze stops the software TPM (SIGSTOP) as a wedged TPM or a network
// HSM behind a dead link: calls on every TPM token of the process hang
// until the returned thaw is called (also at the test's end).
func Freeze(t testing.TB, tok *Token) (thaw func()) {
	t.Helper()
	if tok.Dir != "" {
		t.Fatal("tokentest: Freeze is for TPM tokens")
	}
	if err := tpmSim.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	thaw = func() { once.Do(func() { tpmSim.Process.Signal(syscall.SIGCONT) }) }
	t.Cleanup(thaw)
	return thaw
}

// Remove takes the token away while its keyrings run, as an HSM that goes
// off the network or a TPM that stops answering does: a SoftHSM2 token's
// folder is deleted, the software TPM is killed (every TPM token of the
// process goes, and a later NewTPM fails); then the library is reset, so
// a keyring must reconnect, and cannot.
func Remove(t testing.TB, tok *Token) {
	t.Helper()
	if tok.Dir != "" {
		if err := os.RemoveAll(tok.Dir); err != nil {
			t.Fatal(err)
		}
	} else {
		tpmMu.Lock()
		tpmErr = errors.New("the software TPM was removed by an earlier test")
		tpmSim.Process.Kill()
		tpmMu.Unlock()
	}
	err := pkcs11.New(tok.URI.ModulePath).Finalize()
	if err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)) {
		t.Fatal(err)
	}
}

// freePorts returns two loopback ports, one after the other, free a
// moment ago: the swtpm TCTI finds the control port after the server's.
func freePorts() (int, int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1)))
		l.Close()
		if err == nil {
			l2.Close()
			return port, port + 1, nil
		}
	}
	return 0, 0, errors.New("no two free loopback ports in a row")
}

func waitFor(ok func() bool) error {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return nil
		}
	}
	return errors.New("not ready after 15 s")
}
