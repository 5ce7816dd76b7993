package idecemu_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
)

func TestWriteDevCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	if err := idecemu.WriteDevCerts(dir); err != nil {
		t.Fatal(err)
	}
	perms := map[string]os.FileMode{
		idecemu.CAFile: 0o644, idecemu.ServerFile: 0o644, idecemu.ClientFile: 0o644,
		idecemu.ServerKeyFile: 0o600, idecemu.ClientKeyFile: 0o600,
	}
	for name, want := range perms {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, st.Mode().Perm(), want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(perms) {
		t.Errorf("%d files, want %d (no temporary files, no CA key)", len(entries), len(perms))
	}
	ca := readCert(t, filepath.Join(dir, idecemu.CAFile))
	srv := readCert(t, filepath.Join(dir, idecemu.ServerFile))
	cli := readCert(t, filepath.Join(dir, idecemu.ClientFile))
	if !ca.IsCA {
		t.Error("ca.pem is not a CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := srv.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := cli.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := srv.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the server certificate also works as a client's")
	}
	for _, c := range []*x509.Certificate{ca, srv, cli} {
		if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
	}
	cfg, err := idecemu.ServerTLSConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.MinVersion < tls.VersionTLS12 {
		t.Errorf("server TLS: client auth %v, min version %x", cfg.ClientAuth, cfg.MinVersion)
	}
	if _, err := idecemu.ServerTLSConfig(t.TempDir()); err == nil {
		t.Error("ServerTLSConfig of an empty folder succeeded")
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMutualTLS: only a client with a certificate from the emulator's CA
// gets an answer.
func TestMutualTLS(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	other := t.TempDir()
	if err := idecemu.WriteDevCerts(other); err != nil {
		t.Fatal(err)
	}
	good, err := idecemu.ClientTLSConfig(e.tlsd)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := idecemu.ClientTLSConfig(other)
	if err != nil {
		t.Fatal(err)
	}
	// A client cert from another CA, but trusting the emulator's server.
	foreign.RootCAs = good.RootCAs
	noCert := good.Clone()
	noCert.Certificates = nil
	tls11 := good.Clone()
	tls11.MinVersion, tls11.MaxVersion = tls.VersionTLS11, tls.VersionTLS11

	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		ok   bool
	}{
		{"the emulator's client certificate", good, true},
		{"no client certificate", noCert, false},
		{"a certificate from another CA", foreign, false},
		{"TLS 1.1", tls11, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc.cfg}}
			defer hc.CloseIdleConnections()
			resp, err := hc.Get(e.srv.URL + idechttp.PathHealth)
			if err == nil {
				resp.Body.Close()
			}
			if tc.ok && (err != nil || resp.StatusCode != 200) {
				t.Fatalf("rejected: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("accepted with status %d", resp.StatusCode)
			}
		})
	}

	t.Run("plain HTTP", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", e.srv.Listener.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		buf := make([]byte, 64)
		n, _ := conn.Read(buf)
		if n >= 12 && string(buf[:12]) == "HTTP/1.1 200" {
			t.Error("answered plain HTTP")
		}
	})
}
