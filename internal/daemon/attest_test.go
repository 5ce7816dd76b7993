package daemon

import (
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/attest/attesttest"
)

// The attestation settings build the verifiers biogated's flags describe,
// and each mistake names its flag.
func TestAttester(t *testing.T) {
	const app = "kz.example.bank"
	digest := strings.Repeat("ab", 32)
	dir := t.TempDir()
	ca := attesttest.NewCA(t)
	roots := filepath.Join(dir, "roots.pem")
	os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Root.Raw}), 0o600)
	status := filepath.Join(dir, "status.json")
	os.WriteFile(status, []byte(`{"entries":{"2":{"status":"REVOKED","reason":"KEY_COMPROMISE"}}}`), 0o600) // ca's intermediate
	attesting, _ := gateway.ParseKeys(strings.NewReader("relay-key-0123456789abcdef relay attestation=require\n"))
	plain, _ := gateway.ParseKeys(strings.NewReader("relay-key-0123456789abcdef relay\n"))

	if a, err := (Config{}).attester(plain); a != nil || err != nil {
		t.Errorf("no apps, no attesting key: %v, %v; want none", a, err)
	}
	for _, tc := range []struct {
		cfg  Config
		flag string
	}{
		{Config{}, "--attest-android-apps"},
		{Config{AttestAndroidApps: []string{app}}, "--attest-android-apps"},
		{Config{AttestIOSApps: []string{"bundle-without-team"}}, "--attest-ios-apps"},
		{Config{AttestAndroidApps: []string{app + ":" + digest}, AttestAndroidRoots: filepath.Join(dir, "none.pem")}, "--attest-android-roots"},
		{Config{AttestAndroidApps: []string{app + ":" + digest}, AttestAndroidStatus: filepath.Join(dir, "none.json")}, "--attest-android-status"},
		{Config{AttestAndroidApps: []string{app + ":" + digest}, AttestAndroidStatus: roots}, "--attest-android-status"},
	} {
		if _, err := tc.cfg.attester(attesting); err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.flag)
		}
	}

	d, _ := hex.DecodeString(digest)
	chain := ca.Chain(t, attesttest.Key{Challenge: []byte("c"), Package: app, SigningDigest: d, Level: attesttest.LevelTEE})
	ev := &attest.Evidence{Platform: attest.Android, Chain: chain}
	cfg := Config{AttestAndroidApps: []string{app + ":" + digest}, AttestAndroidRoots: roots}
	a, err := cfg.attester(attesting)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Verify(ev, []byte("c")); got.Verdict != attest.Valid {
		t.Errorf("under --attest-android-roots: %+v", got)
	}
	cfg.AttestAndroidStatus = status
	if a, err = cfg.attester(attesting); err != nil {
		t.Fatal(err)
	}
	if got := a.Verify(ev, []byte("c")); got.Reason != attest.ReasonRevoked {
		t.Errorf("with its intermediate on --attest-android-status: %+v", got)
	}
	if got := a.Verify(&attest.Evidence{Platform: attest.IOS}, nil); got.Reason != attest.ReasonPlatformNotConfigured {
		t.Errorf("iOS without --attest-ios-apps: %+v", got)
	}
}
