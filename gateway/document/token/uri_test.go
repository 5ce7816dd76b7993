package token

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	u, err := ParseURI("pkcs11:token=bio%20gate;object=doc-2026;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/pin")
	if err != nil {
		t.Fatal(err)
	}
	want := URI{Token: "bio gate", Object: "doc-2026", ModulePath: "/usr/lib/softhsm/libsofthsm2.so", PINSource: "/etc/pin"}
	if u != want {
		t.Errorf("got %+v, want %+v", u, want)
	}
	if back, err := ParseURI(u.String()); err != nil || back != u {
		t.Errorf("String %q reads back as %+v, %v", u.String(), back, err)
	}
	const pin = "s3cret-pin-9911"
	for _, c := range []struct{ name, uri string }{
		{"not pkcs11", "file:/x"},
		{"no token", "pkcs11:object=a?module-path=/m"},
		{"no object", "pkcs11:token=a?module-path=/m"},
		{"no module", "pkcs11:token=a;object=b"},
		{"unknown attribute", "pkcs11:token=a;objekt=b?module-path=/m"},
		{"unknown query", "pkcs11:token=a;object=b?module-path=/m&pin=" + pin},
		{"public key", "pkcs11:token=a;object=b;type=public?module-path=/m"},
		{"twice", "pkcs11:token=a;token=c;object=b?module-path=/m"},
		{"both pins", "pkcs11:token=a;object=b?module-path=/m&pin-value=" + pin + "&pin-source=/p"},
		{"bad slot", "pkcs11:slot-id=x;object=b?module-path=/m&pin-value=" + pin},
		{"bad escape", "pkcs11:token=a%zz;object=b?module-path=/m&pin-value=" + pin},
	} {
		_, err := ParseURI(c.uri)
		if !errors.Is(err, ErrURI) {
			t.Errorf("%s: %v, want ErrURI", c.name, err)
		} else if strings.Contains(err.Error(), pin) {
			t.Errorf("%s: the error shows the PIN: %v", c.name, err)
		}
	}
}

func TestURIPIN(t *testing.T) {
	const pin = "s3cret-pin-9911"
	u, err := ParseURI("pkcs11:token=a;object=b?module-path=/m&pin-value=" + pin)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := u.PIN(); got != pin {
		t.Errorf("pin-value: PIN %q", got)
	}
	if strings.Contains(u.String(), pin) {
		t.Errorf("String shows the PIN: %s", u)
	}
	file := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(file, []byte(pin+"\r\nignored\n"), 0o600)
	u = URI{Token: "a", Object: "b", ModulePath: "/m", PINSource: file}
	if got, err := u.PIN(); got != pin || err != nil {
		t.Errorf("pin-source: PIN %q, %v", got, err)
	}
	u.PINSource = file + ".missing"
	if _, err := u.PIN(); err == nil {
		t.Error("a missing pin-source gave a PIN")
	}
}
