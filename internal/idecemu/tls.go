package idecemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files written by WriteDevCerts and read by ServerTLSConfig and
// ClientTLSConfig.
const (
	CAFile        = "ca.pem"
	ServerFile    = "server.pem"
	ServerKeyFile = "server-key.pem"
	ClientFile    = "client.pem"
	ClientKeyFile = "client-key.pem"
)

// devCertValidity is how long the development certificates are valid.
const devCertValidity = 2 * 365 * 24 * time.Hour

// WriteDevCerts creates dir (0700) when missing and writes a fresh
// development PKI into it, replacing any earlier one: a CA (CAFile; its key
// is discarded, so run it again to issue more), a server certificate for
// localhost, 127.0.0.1 and ::1 (ServerFile, ServerKeyFile) and a client
// certificate (ClientFile, ClientKeyFile). Keys are ECDSA P-256 in PKCS#8,
// written 0600; certificates 0644; each file atomically. Valid for two
// years. For development and tests only.
func WriteDevCerts(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	now := time.Now().Add(-time.Hour) // tolerate a little clock skew
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "biogate idec-emulator development CA"},
		NotBefore:             now,
		NotAfter:              now.Add(devCertValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	leaves := []struct {
		cert, key string
		tmpl      x509.Certificate
	}{
		{ServerFile, ServerKeyFile, x509.Certificate{
			Subject:     pkix.Name{CommonName: "localhost"},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}},
		{ClientFile, ClientKeyFile, x509.Certificate{
			Subject:     pkix.Name{CommonName: "biogate development client"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
	}
	if err := writePEM(dir, CAFile, "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	for _, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return fmt.Errorf("emulator: certs: %w", err)
		}
		t := l.tmpl
		t.SerialNumber = serial()
		t.NotBefore, t.NotAfter = now, now.Add(devCertValidity)
		t.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, &t, ca, &key.PublicKey, caKey)
		if err != nil {
			return fmt.Errorf("emulator: certs: %w", err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("emulator: certs: %w", err)
		}
		if err := writePEM(dir, l.key, "PRIVATE KEY", keyDER, 0o600); err != nil {
			return err
		}
		if err := writePEM(dir, l.cert, "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// serial returns a random 127-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}

func writePEM(dir, name, typ string, der []byte, perm os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := writeAtomic(dir, name, data); err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	// writeAtomic creates 0600; certificates may be read by anyone.
	if err := os.Chmod(filepath.Join(dir, name), perm); err != nil {
		return fmt.Errorf("emulator: certs: %w", err)
	}
	return nil
}

// ServerTLSConfig loads the server certificate and key and the CA from dir
// (as WriteDevCerts wrote them) and returns a TLS 1.2+ configuration that
// requires a client certificate and verifies it against that CA (mutual
// TLS). The result is the caller's; use it for one server.
func ServerTLSConfig(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("emulator: server certificate: %w", err)
	}
	pool, err := loadCA(dir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// ClientTLSConfig loads the client certificate and key and the CA from dir
// and returns a TLS 1.2+ configuration that presents that certificate and
// trusts only that CA: what a client of the emulator needs.
func ClientTLSConfig(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ClientFile), filepath.Join(dir, ClientKeyFile))
	if err != nil {
		return nil, fmt.Errorf("emulator: client certificate: %w", err)
	}
	pool, err := loadCA(dir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
	}, nil
}

func loadCA(dir string) (*x509.CertPool, error) {
	b, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, fmt.Errorf("emulator: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("emulator: CA: no certificate in " + CAFile)
	}
	return pool, nil
}
