package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/liveness/challenge"
)

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "biogated.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:9000\ncamera: file:clip.mp4\nmax_sessions: 4\nsession_timeout: 30s\nallow_fixed_commands: true\n"), 0o600)
	env := map[string]string{"BIOGATED_MAX_SESSIONS": "6", "BIOGATED_IDEC": "https://idec.test:8443"}
	cfg, err := loadConfig([]string{"--config", file, "--max-sessions", "8"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.Listen, want.Camera, want.SessionTimeout, want.AllowFixedCommands = "127.0.0.1:9000", "file:clip.mp4", 30*time.Second, true
	want.IDEC = "https://idec.test:8443" // environment over default
	want.MaxSessions = 8                 // flag over environment over file
	if cfg != want {
		t.Errorf("config\n %+v\nwant\n %+v", cfg, want)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("lisen: 127.0.0.1:9000\n"), 0o600)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)
	noenv := func(string) string { return "" }
	cases := []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"--config", unknown}, noenv, "lisen"},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, noenv, "no such file"},
		{[]string{"--max-sessions", "many"}, noenv, "invalid value"},
		{nil, func(k string) string { return map[string]string{"BIOGATED_SESSION_TIMEOUT": "soon"}[k] }, "BIOGATED_SESSION_TIMEOUT"},
		{[]string{"stray"}, noenv, "unexpected argument"},
	}
	for _, c := range cases {
		if _, err := loadConfig(c.args, c.env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want it to mention %q", c.args, err, c.want)
		}
	}
	if _, err := loadConfig([]string{"--config", empty}, noenv); err != nil {
		t.Errorf("an empty file: %v", err)
	}
}

// The defaults biogated hands the daemon cap what one API key or one IIN
// may ask, keep /metrics off the session listener on loopback, and close
// idle keep-alive connections; "off" serves no metrics.
func TestConfigDefaultsGuardTheGateway(t *testing.T) {
	cfg, err := loadConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.daemon()
	if d.RatePerKey != 60 || d.RatePerIIN != 10 || d.MetricsListen != "127.0.0.1:9464" || d.HTTPIdleTimeout != 30*time.Second ||
		d.CommandTimeout != challenge.DefaultCommandTimeout || d.MaxFPS != 15 {
		t.Errorf("daemon config %+v: want 60 and 10 a minute, metrics on 127.0.0.1:9464, keep-alive idle 30s, 6 s a command, 15 fps", d)
	}
	// hello announces the challenge's own default.
	if got := time.Duration(protocol.DefaultLimits.CommandTimeoutMS) * time.Millisecond; got != challenge.DefaultCommandTimeout {
		t.Errorf("protocol.DefaultLimits.CommandTimeoutMS is %v, the challenge's default %v", got, challenge.DefaultCommandTimeout)
	}
	cfg, err = loadConfig([]string{"--metrics-listen", "off", "--rate-per-key", "0", "--max-sessions-per-key", "3"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.daemon(); d.MetricsListen != "" || d.RatePerKey != 0 || d.MaxSessionsPerKey != 3 {
		t.Errorf("daemon config %+v: want no metrics listener, no key rate, 3 sessions per key", d)
	}
}
