package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/internal/idecemu/idecemutest"
	"github.com/biogate/biogate/internal/testenv"
)

// TestMain fails the package if a goroutine outlives the tests: Run must
// wait for everything it started.
func TestMain(m *testing.M) {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines left behind: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

const (
	relayKey = "daemon-relay-key-0123456789"
	adminKey = "daemon-admin-key-0123456789"
)

// testConfig is a daemon against a real emulator, with the real models,
// one session and the kiosk camera on a real clip.
func testConfig(t *testing.T) Config {
	url, certs := idecemutest.Start(t, nil)
	return Config{
		Listen:        "127.0.0.1:0",
		MetricsListen: "127.0.0.1:0",
		IDEC:          url,
		IDECTLS:       certs,
		APIKeys:       relayKey + " relay,kiosk\n" + adminKey + " admin\n",
		Data:          filepath.Join(t.TempDir(), "data"),
		Models:        testenv.Models(t),
		MaxSessions:   1,
		Camera:        "file:" + filepath.Join(testenv.Shared(t), "data", "video", "minivision", "minivision_live_replay_print.mp4"),
		Version:       "test-version",
	}
}

func get(t *testing.T, url, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// Run assembles the whole daemon on real parts, serves, and on the end of
// its context shuts down and returns nil with every goroutine gone.
func TestRunServesAndStops(t *testing.T) {
	cfg := testConfig(t)
	var logs testenv.LogBuffer
	d, err := New(cfg, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("Run: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("not ready")
	}
	base := "http://" + d.Addr()
	if !strings.HasPrefix(d.Addr(), "127.0.0.1:") || strings.HasSuffix(d.Addr(), ":0") {
		t.Errorf("Addr %q, want the port chosen on loopback", d.Addr())
	}
	if err := d.Run(ctx); err == nil {
		t.Error("a second Run was accepted")
	}

	if r := get(t, base+"/readyz", ""); r.StatusCode != http.StatusOK {
		t.Errorf("/readyz %d", r.StatusCode)
	}
	// /metrics on its own listener only.
	if d.MetricsAddr() == "" || d.MetricsAddr() == d.Addr() {
		t.Fatalf("MetricsAddr %q beside Addr %q", d.MetricsAddr(), d.Addr())
	}
	if r := get(t, base+"/metrics", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the session listener: %d, want 404", r.StatusCode)
	}
	if b, _ := io.ReadAll(get(t, "http://"+d.MetricsAddr()+"/metrics", "").Body); !strings.Contains(string(b), "biogate_gateway_sessions_active") {
		t.Errorf("/metrics on the metrics listener lacks the gateway's metrics")
	}
	b, _ := io.ReadAll(get(t, base+document.JWKSPath, "").Body)
	if keys, err := document.ParseJWKS(b); err != nil || len(keys) != 1 {
		t.Errorf("JWKS: %d keys, %v; want the one signing key", len(keys), err)
	}
	if r := get(t, base+"/v1/devices", relayKey); r.StatusCode != http.StatusForbidden {
		t.Errorf("/v1/devices with a relay key: %d, want 403 (keys from memory with their scopes)", r.StatusCode)
	}
	var body struct{ Devices []gateway.Device }
	if err := json.NewDecoder(get(t, base+"/v1/devices", adminKey).Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	want := gateway.Device{ID: "default", Kind: "camera", Backend: "file", Available: true}
	if len(body.Devices) != 1 || body.Devices[0] != want {
		t.Errorf("/v1/devices %+v, want only %+v", body.Devices, want)
	}
	for _, f := range []string{"keys", "evidence.db", "evidence.key", "subject.key"} {
		if _, err := os.Stat(filepath.Join(cfg.Data, f)); err != nil {
			t.Errorf("data folder: %v", err)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after Run returned")
	}
	out := logs.String()
	for _, want := range []string{"part=\"api keys\" keys=2", "part=\"idec client\"", "part=models sets=1", "part=\"signing key\"",
		"part=\"evidence store\" kind=sqlite", "part=\"kiosk camera\" backend=file", "no --fingerprint", "msg=listening addr=" + d.Addr(),
		"msg=listening part=metrics addr=" + d.MetricsAddr(),
		"msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "part=models"), strings.Index(out, "part=\"evidence store\""); i < 0 || j < i {
		t.Errorf("models not loaded before the store is opened:\n%s", out)
	}
}

// A part that does not open stops Run with an error naming the setting,
// after releasing what was opened before it; Ready stays open.
func TestRunFailsOnAPartThatDoesNotOpen(t *testing.T) {
	base := testConfig(t)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"keys file missing", func(c *Config) { c.APIKeys, c.APIKeysFile = "", filepath.Join(t.TempDir(), "none") }, "--api-keys: open"},
		{"bad key line", func(c *Config) { c.APIKeys = "short\n" }, "--api-keys:"},
		{"no TLS material", func(c *Config) { c.IDECTLS = t.TempDir() }, "--idec-tls:"},
		{"no models", func(c *Config) { c.Models = t.TempDir() }, "models:"},
		{"bad evidence DSN", func(c *Config) { c.Evidence = "mysql://nowhere" }, "--evidence:"},
		{"bad camera spec", func(c *Config) { c.Camera = "no-scheme" }, "--camera:"},
		{"port taken", func(c *Config) { c.Listen = takenAddr(t) }, "address already in use"},
		{"metrics port taken", func(c *Config) { c.MetricsListen = takenAddr(t) }, "--metrics-listen: listen tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Data = filepath.Join(t.TempDir(), "data")
			tc.edit(&c)
			d, err := New(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = d.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want it to say %q", err, tc.want)
			}
			select {
			case <-d.Ready():
				t.Error("Ready closed by a Run that failed")
			default:
			}
		})
	}
}
