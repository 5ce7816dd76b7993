// Package gatewaytest runs biogated's gateway in a test: the real IDEC
// emulator, the real pipeline (models, liveness) and the real gateway
// server, all on loopback, assembled by internal/daemon as biogated is. It is a test
// helper for the packages whose commands talk to a gateway (the CLI's
// session, the load tool), not a fake.
package gatewaytest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/internal/daemon"
	"github.com/biogate/biogate/internal/idecemu/idecemutest"
	"github.com/biogate/biogate/internal/testenv"
)

// Key is the API key of the gateway Start runs (scopes relay and kiosk).
const Key = "gatewaytest-key-0123456789"

// Options configure Start. Zero fields take the default in brackets.
type Options struct {
	// Persons maps IINs to reference photos, as idecemutest.Start takes
	// them (a name in shared/data/faces, or an absolute path).
	Persons map[string]string
	// MaxSessions is the gateway's concurrent sessions [2]; it loads one
	// model set per core, at most that many.
	MaxSessions int
	// AllowFixedCommands honours start.commands.
	AllowFixedCommands bool
	// Fingers are fingerprints enrolled per IIN, and FingerReader the
	// gateway's default reader of finger sessions (a "dir:" folder).
	Fingers      map[string][]idecemutest.Finger
	FingerReader string
	// ReplayChecks turns on the replay cue (daemon.Config.ReplayWindow at
	// its default): a session relaying the frames of an earlier one is
	// then a spoof, replayed_frames. Off by default, since tests relay the
	// same clips in many sessions.
	ReplayChecks bool
}

// Gateway is a running gateway.
type Gateway struct {
	// URL is the gateway's http:// URL; its JWKS is at URL +
	// document.JWKSPath.
	URL string
	// MetricsURL is the http:// URL of its metrics listener; /metrics is
	// at MetricsURL + "/metrics" (never at URL).
	MetricsURL string
	// Evidence is the DSN of its evidence store (SQLite in a temporary
	// folder) and EvidenceKey the file of its image key.
	Evidence, EvidenceKey string
}

// Start runs the IDEC emulator with opt.Persons enrolled and a gateway
// against it, assembled by internal/daemon exactly as biogated is (its
// one key may run every session; no rate caps, as daemon.Config's zero
// values say): a fresh
// keyring signs documents and a fresh SQLite evidence store keeps them, in
// a temporary data folder. Everything stops when the test ends, in reverse
// order of start: the gateway first (running sessions get aborted), then
// its listener, the store and the models, and the emulator last.
func Start(t testing.TB, opt Options) *Gateway {
	t.Helper()
	if opt.MaxSessions == 0 {
		opt.MaxSessions = 2
	}
	url, certs := idecemutest.StartEnrolled(t, opt.Persons, opt.Fingers)
	data := t.TempDir()
	d, err := daemon.New(daemon.Config{
		Listen:             "127.0.0.1:0",
		MetricsListen:      "127.0.0.1:0",
		IDEC:               url,
		IDECTLS:            certs,
		APIKeys:            Key + " relay,kiosk\n",
		Data:               data,
		Models:             testenv.Models(t),
		MaxSessions:        opt.MaxSessions,
		MaxSessionsPerKey:  opt.MaxSessions, // Key is the only key
		AllowFixedCommands: opt.AllowFixedCommands,
		FingerReader:       opt.FingerReader,
		ReplayWindow:       replayWindow(opt.ReplayChecks),
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("gateway: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway: %v", err)
		}
	})
	return &Gateway{
		URL:         "http://" + d.Addr(),
		MetricsURL:  "http://" + d.MetricsAddr(),
		Evidence:    "sqlite:" + filepath.Join(data, "evidence.db"),
		EvidenceKey: filepath.Join(data, "evidence.key"),
	}
}

// replayWindow is daemon.Config.ReplayWindow for Options.ReplayChecks.
func replayWindow(on bool) time.Duration {
	if on {
		return 0 // the daemon's default
	}
	return -1 // off
}

// ClipFrame writes frame index (0-based) of the clip at rel under
// shared/data/video as a JPEG file and returns its path: a reference photo
// taken from a recording.
func ClipFrame(t testing.TB, rel string, index int) string {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(filepath.Join(testenv.Shared(t), "data", "video", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	for i := 0; i <= index; i++ {
		if !vc.Read(&m) || m.Empty() {
			t.Fatalf("%s: fewer than %d frames", rel, index+1)
		}
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.jpg", strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel)), index))
	if !gocv.IMWrite(path, m) {
		t.Fatalf("%s: writing frame %d failed", rel, index)
	}
	return path
}
