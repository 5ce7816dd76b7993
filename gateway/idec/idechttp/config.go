package idechttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

// Config configures the HTTP transport and, embedded, the idec.Client
// over it (New). Zero fields take the defaults in brackets.
type Config struct {
	// URL is IDEC's base URL, https only ("https://idec.example.kz:8443");
	// the contract's paths are appended to it.
	URL string
	// TLS holds the mutual-TLS material; required. See LoadTLS.
	TLS TLS
	// Config configures the client: timeouts, retries, in-flight cap,
	// breaker, metrics and logs.
	idec.Config
}

// TLS is the mutual-TLS material of a Client.
type TLS struct {
	// CA is the pool of the CA that signs IDEC's server certificates; it
	// is the only trust root used (the system roots are not), so only
	// servers with a certificate from this CA are accepted.
	CA *x509.CertPool
	// Certificate is the gateway's client certificate, with its key.
	Certificate tls.Certificate
	// ServerName, if set, is the name verified in the server's
	// certificate instead of the URL's host.
	ServerName string
}

// Files LoadTLS reads from its directory.
const (
	FileCA        = "ca.pem"
	FileClient    = "client.pem"
	FileClientKey = "client-key.pem"
)

// LoadTLS reads dir/ca.pem (one or more PEM certificates of IDEC's CA),
// dir/client.pem and dir/client-key.pem (the gateway's PEM certificate
// chain and private key).
func LoadTLS(dir string) (TLS, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, FileCA))
	if err != nil {
		return TLS{}, fmt.Errorf("idec: load TLS: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return TLS{}, fmt.Errorf("idec: load TLS: %s holds no PEM certificate", filepath.Join(dir, FileCA))
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, FileClient), filepath.Join(dir, FileClientKey))
	if err != nil {
		return TLS{}, fmt.Errorf("idec: load TLS client certificate: %w", err)
	}
	return TLS{CA: pool, Certificate: cert}, nil
}

// Transport is the HTTP transport of the assumed contract: one POST of
// PathVerify per attempt over mutual TLS with a pinned CA, no proxy and no
// redirects. It is safe for concurrent use.
type Transport struct {
	verifyURL, verifyFingerURL string
	http                       *http.Client
	transport                  *http.Transport
}

var _ idec.Transport = (*Transport)(nil)

// New makes a client of IDEC over HTTP: NewTransport with cfg's URL and TLS,
// and idec.New with cfg.Config. It makes no connection.
func New(cfg Config) (*idec.Client, error) {
	idle := cfg.MaxInFlight
	if idle == 0 {
		idle = idec.DefaultMaxInFlight
	}
	t, err := NewTransport(cfg.URL, cfg.TLS, idle)
	if err != nil {
		return nil, err
	}
	c, err := idec.New(t, cfg.Config)
	if err != nil {
		t.Close()
		return nil, err
	}
	return c, nil
}

// NewTransport validates the URL and the TLS material and returns a
// transport that keeps up to maxIdle idle connections (the client's
// MaxInFlight).
func NewTransport(rawURL string, tlsm TLS, maxIdle int) (*Transport, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("idec: config URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("idec: config URL: want https://host[:port][/prefix]")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("idec: config URL: must not have a query or fragment")
	}
	if tlsm.CA == nil {
		return nil, errors.New("idec: config TLS.CA: required")
	}
	if len(tlsm.Certificate.Certificate) == 0 || tlsm.Certificate.PrivateKey == nil {
		return nil, errors.New("idec: config TLS.Certificate: a client certificate with its key is required")
	}
	tr := &http.Transport{
		// IDEC is reached directly: no proxy from the environment.
		Proxy:       nil,
		DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:      tlsm.CA,
			Certificates: []tls.Certificate{tlsm.Certificate},
			ServerName:   tlsm.ServerName,
			MinVersion:   tls.VersionTLS12,
		},
		MaxIdleConns:        maxIdle,
		MaxIdleConnsPerHost: maxIdle,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Transport{
		verifyURL:       strings.TrimSuffix(rawURL, "/") + PathVerify,
		verifyFingerURL: strings.TrimSuffix(rawURL, "/") + PathVerifyFinger,
		http: &http.Client{
			Transport: tr,
			// A redirect is not part of the contract, and following one
			// would resend a photo elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		transport: tr,
	}, nil
}

// Close closes the idle connections; calls in progress are not affected
// and the transport stays usable.
func (t *Transport) Close() { t.transport.CloseIdleConnections() }
