package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/protocol"
)

// valid is the smallest Config New accepts.
func valid() Config {
	return Config{Data: "/nonexistent/data", APIKeys: "key-0123456789abcdef relay\n", IDEC: "https://idec.test:8443", IDECTLS: "/nonexistent/tls"}
}

func TestNewFillsDefaults(t *testing.T) {
	d, err := New(valid(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := d.cfg
	if c.Listen != DefaultListen || c.BIN != DefaultBIN || c.MaxSessions != protocol.DefaultMaxSessions || c.Lockout != DefaultLockout || c.Version == "" ||
		c.HTTPIdleTimeout != DefaultHTTPIdleTimeout || c.MetricsListen != "" {
		t.Errorf("defaults not filled: %+v", c)
	}
	if d.Addr() != "" {
		t.Errorf("Addr %q before Run", d.Addr())
	}
	given := valid()
	given.Listen, given.BIN, given.MaxSessions, given.Lockout, given.Version = "[::1]:0", "971240001315", 3, time.Hour, "v9"
	d, err = New(given, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.cfg.Listen != given.Listen || d.cfg.BIN != given.BIN || d.cfg.MaxSessions != 3 || d.cfg.Lockout != time.Hour || d.cfg.Version != "v9" {
		t.Errorf("given values replaced: %+v", d.cfg)
	}
}

// The messages are biogated's, word for word: its operators know them.
func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"listen without port", func(c *Config) { c.Listen = "127.0.0.1" }, `--listen "127.0.0.1"`},
		{"public without TLS", func(c *Config) { c.Listen = "0.0.0.0:8443" }, "--listen 0.0.0.0:8443 is not loopback: --tls-cert and --tls-key are required"},
		{"public with half TLS", func(c *Config) { c.Listen, c.TLSCert = "10.0.0.1:8443", "cert.pem" }, "not loopback"},
		{"no data", func(c *Config) { c.Data = "" }, "--data is required"},
		{"bad BIN", func(c *Config) { c.BIN = "12" }, "--bin:"},
		{"no API keys", func(c *Config) { c.APIKeys = "" }, "--api-keys is required"},
		{"no IDEC", func(c *Config) { c.IDEC = "" }, "--idec and --idec-tls are required"},
		{"no IDEC TLS", func(c *Config) { c.IDECTLS = "" }, "--idec and --idec-tls are required"},
		{"negative sessions", func(c *Config) { c.MaxSessions = -1 }, "--max-sessions -1"},
		{"negative sessions per key", func(c *Config) { c.MaxSessionsPerKey = -1 }, "--max-sessions-per-key -1"},
		{"negative pending", func(c *Config) { c.MaxPending = -2 }, "--max-pending -2"},
		{"negative key rate", func(c *Config) { c.RatePerKey = -1 }, "--rate-per-key -1"},
		{"negative IIN rate", func(c *Config) { c.RatePerIIN = -1 }, "--rate-per-iin -1"},
		{"negative idle timeout", func(c *Config) { c.HTTPIdleTimeout = -time.Second }, "--http-idle-timeout -1s"},
		{"metrics without port", func(c *Config) { c.MetricsListen = "127.0.0.1" }, `--metrics-listen "127.0.0.1"`},
		{"checkpoint witness of no kind", func(c *Config) { c.CheckpointWitness = "ftp://witness.test" }, "--checkpoint-witness: "},
		{"checkpoint witness URL without host", func(c *Config) { c.CheckpointWitness = "https:///path" }, "--checkpoint-witness: "},
		{"checkpoint witness without address", func(c *Config) { c.CheckpointWitness = "udp://" }, "--checkpoint-witness: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			if _, err := New(c, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to say %q", err, tc.want)
			}
		})
	}
	for _, ok := range []func(*Config){
		func(c *Config) { c.Listen = "localhost:0" },
		func(c *Config) { c.Listen = "[::1]:8080" },
		func(c *Config) { c.Listen, c.TLSCert, c.TLSKey = "0.0.0.0:8443", "cert.pem", "key.pem" },
		func(c *Config) { c.APIKeys, c.APIKeysFile = "", "/etc/biogated/keys" },
		func(c *Config) { c.CheckpointWitness = "syslog" },
		func(c *Config) { c.CheckpointWitness = "tcp://syslog.example:514" },
		func(c *Config) { c.CheckpointWitness = "https://witness.example/checkpoints" },
	} {
		c := valid()
		ok(&c)
		if _, err := New(c, nil); err != nil {
			t.Errorf("%+v refused: %v", c, err)
		}
	}
}
