package idechttp

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

func TestNewValidates(t *testing.T) {
	p := newPKI(t)
	valid := func() Config {
		return Config{URL: "https://idec.example.kz:8443", TLS: TLS{CA: p.ca.pool, Certificate: p.client.tls}}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string // a substring of the error; "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"URL with prefix", func(c *Config) { c.URL = "https://idec.example.kz/api/" }, ""},
		{"http URL", func(c *Config) { c.URL = "http://idec.example.kz" }, "URL"},
		{"no URL", func(c *Config) { c.URL = "" }, "URL"},
		{"URL without host", func(c *Config) { c.URL = "https:///v1" }, "URL"},
		{"URL with query", func(c *Config) { c.URL = "https://idec.example.kz/?a=b" }, "URL"},
		{"no CA", func(c *Config) { c.TLS.CA = nil }, "TLS.CA"},
		{"no client certificate", func(c *Config) { c.TLS.Certificate = tls.Certificate{} }, "TLS.Certificate"},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, "Timeout"},
		{"negative attempt timeout", func(c *Config) { c.AttemptTimeout = -1 }, "AttemptTimeout"},
		{"negative backoff", func(c *Config) { c.BackoffBase = -1 }, "BackoffBase"},
		{"backoff max below base", func(c *Config) { c.BackoffBase, c.BackoffMax = time.Second, time.Millisecond }, "BackoffMax"},
		{"negative in flight", func(c *Config) { c.MaxInFlight = -1 }, "MaxInFlight"},
		{"negative open for", func(c *Config) { c.Breaker.OpenFor = -1 }, "OpenFor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.edit(&cfg)
			c, err := New(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// TestBackoffYieldsToDeadline: a backoff that would outlast the deadline is
// not waited for; the call ends at once with IDEC's last answer.
func TestBackoffYieldsToDeadline(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, _ *http.Request, _ VerifyRequest, _ int) {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
	})
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) {
		cfg.Timeout = 2 * time.Second
		cfg.BackoffBase, cfg.BackoffMax = 10*time.Second, 10*time.Second
		cfg.Rand = func() float64 { return 0.9 }
	})
	start := time.Now()
	_, err := verify(t, c)
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Verify waited %v", elapsed)
	}
	if e := asError(t, err); !errors.Is(err, idec.ErrUnavailable) || e.Status != http.StatusServiceUnavailable || e.Attempts != 1 {
		t.Errorf("error = %v", err)
	}
}

func TestLoadTLS(t *testing.T) {
	p := newPKI(t)
	dir := writeTLSDir(t, p.ca, p.client)
	cfg, err := LoadTLS(dir)
	if err != nil {
		t.Fatalf("LoadTLS: %v", err)
	}
	f := startIDEC(t, p.server.tls, p.ca, match)
	c, err := New(Config{URL: f.srv.URL, TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := verify(t, c); err != nil {
		t.Fatalf("Verify with loaded TLS: %v", err)
	}

	for name, breakIt := range map[string]func(dir string){
		"no CA file":    func(dir string) { _ = os.Remove(filepath.Join(dir, FileCA)) },
		"CA not PEM":    func(dir string) { _ = os.WriteFile(filepath.Join(dir, FileCA), []byte("junk"), 0o600) },
		"no key file":   func(dir string) { _ = os.Remove(filepath.Join(dir, FileClientKey)) },
		"key not PEM":   func(dir string) { _ = os.WriteFile(filepath.Join(dir, FileClientKey), []byte("junk"), 0o600) },
		"key mismatch":  func(dir string) { _ = os.WriteFile(filepath.Join(dir, FileClientKey), p.server.keyPEM, 0o600) },
		"no cert file":  func(dir string) { _ = os.Remove(filepath.Join(dir, FileClient)) },
		"cert is a key": func(dir string) { _ = os.WriteFile(filepath.Join(dir, FileClient), p.client.keyPEM, 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTLSDir(t, p.ca, p.client)
			breakIt(dir)
			if _, err := LoadTLS(dir); err == nil {
				t.Fatal("LoadTLS succeeded")
			}
		})
	}
}

// TestLogsCarryNoPersonalData: the log lines name the request, outcome,
// status, latency and attempt, and never the photo, IIN, BIN or consent.
func TestLogsCarryNoPersonalData(t *testing.T) {
	p := newPKI(t)
	f := startIDEC(t, p.server.tls, p.ca, func(w http.ResponseWriter, r *http.Request, req VerifyRequest, n int) {
		if n == 1 {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable)
			return
		}
		if n == 3 {
			writeError(w, http.StatusNotFound, CodeUnknownIIN)
			return
		}
		match(w, r, req, n)
	})
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, f.srv.URL, p, func(cfg *Config) { cfg.Logger = logger })
	res, err := verify(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, c); !errors.Is(err, idec.ErrUnknownIIN) {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"request_id":"` + res.RequestID + `"`, `"outcome":"match"`, `"outcome":"unknown_iin"`,
		`"status":503`, `"status":404`, `"attempt":2`, `"latency":`, `"msg":"idec attempt"`, `"msg":"idec verify"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	req := testRequest(t)
	for name, secret := range map[string]string{
		"IIN":          req.IIN.String(),
		"BIN":          req.BIN.String(),
		"consent":      req.ConsentRef,
		"photo base64": base64.StdEncoding.EncodeToString(req.Photo)[:24],
		"photo bytes":  string(req.Photo[4:24]),
		"device":       req.Capture.DeviceID,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains the %s", name)
		}
	}
}
