// Package gatewaytest runs biogated's gateway in a test: the real IDEC
// emulator, the real pipeline (models, liveness) and the real gateway
// server, all on loopback, wired as cmd/biogated wires them. It is a test
// helper for the packages whose commands talk to a gateway (the CLI's
// session, the load tool), not a fake.
package gatewaytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gocv.io/x/gocv"

	"github.com/biogate/biogate/cmd/biogated/pipeline"
	"github.com/biogate/biogate/cmd/idec-emulator/emulatortest"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/relaycam"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
)

// Key is the API key of the gateway Start runs (scopes relay and kiosk).
const Key = "gatewaytest-key-0123456789"

// Options configure Start. Zero fields take the default in brackets.
type Options struct {
	// Persons maps IINs to reference photos, as emulatortest.Start takes
	// them (a name in shared/data/faces, or an absolute path).
	Persons map[string]string
	// MaxSessions is the gateway's concurrent sessions and model sets [2].
	MaxSessions int
	// AllowFixedCommands honours start.commands.
	AllowFixedCommands bool
}

// Gateway is a running gateway.
type Gateway struct {
	// URL is the gateway's http:// URL; its JWKS is at URL +
	// document.JWKSPath.
	URL string
	// Evidence is the DSN of its evidence store (SQLite in a temporary
	// folder) and EvidenceKey the file of its image key.
	Evidence, EvidenceKey string
}

// Start runs the IDEC emulator with opt.Persons enrolled and a gateway
// against it, signing documents with a fresh keyring and keeping them in a
// fresh SQLite evidence store. Everything stops when the test ends: the
// gateway first (running sessions get aborted), then its listener, then
// the store and the models.
func Start(t testing.TB, opt Options) *Gateway {
	t.Helper()
	if opt.MaxSessions == 0 {
		opt.MaxSessions = 2
	}
	url, certs := emulatortest.Start(t, opt.Persons)

	keys, err := gateway.ParseKeys(strings.NewReader(Key + " relay,kiosk\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tlsMat, err := idechttp.LoadTLS(certs)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := idechttp.New(idechttp.Config{URL: url, TLS: tlsMat, Config: idec.Config{Registerer: reg, Logger: logger}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	pipe, err := pipeline.New(testenv.Models(t), opt.MaxSessions, liveness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := iin.ParseBIN("000000000000")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	ring, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(data, "keys")})
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{Evidence: "sqlite:" + filepath.Join(data, "evidence.db"), EvidenceKey: filepath.Join(data, "evidence.key")}
	imageKey, err := evidence.LoadOrCreateKey(g.EvidenceKey)
	if err != nil {
		t.Fatal(err)
	}
	store, err := evidence.Open(context.Background(), g.Evidence, evidence.Options{ImageKey: imageKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	gw, err := gateway.New(gateway.Config{Keys: keys, BIN: bin, MaxSessions: opt.MaxSessions, AllowFixedCommands: opt.AllowFixedCommands,
		Relay: relaycam.New(), Signer: ring, Evidence: store, JWKS: ring.Handler(), Logger: logger, Registerer: reg, Gatherer: reg}, pipe, client, nil)
	if err != nil {
		pipe.Close()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pipe.Close()
		t.Fatal(err)
	}
	srv := &http.Server{Handler: gw.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		gw.Shutdown(ctx)
		srv.Shutdown(ctx)
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("gateway server: %v", err)
		}
		pipe.Close()
	})
	g.URL = "http://" + ln.Addr().String()
	return g
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
