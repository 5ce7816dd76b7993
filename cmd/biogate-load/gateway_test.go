package main

// The gateway under load in the tests: the IDEC emulator and biogated's
// wiring (copied from cmd/biogated, a main package that cannot be
// imported), both on loopback.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/cmd/idec-emulator/emulator"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
)

const (
	testKey  = "relay-key-for-tests-0123456789"
	obamaIIN = "790303402568"
)

// startGateway runs the IDEC emulator (obama2.jpg enrolled) and a gateway
// with maxSessions model sets against it, and returns the gateway's
// http:// address.
func startGateway(t *testing.T, maxSessions int) string {
	t.Helper()
	shared := testenv.Shared(t)
	certs := t.TempDir()
	if err := emulator.WriteDevCerts(certs); err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Config{Gallery: t.TempDir(), ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile(filepath.Join(shared, "data/faces", "obama2.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Enroll(context.Background(), obamaIIN, photo); err != nil {
		t.Fatal(err)
	}
	emuSrv := httptest.NewUnstartedServer(emu.Handler())
	if emuSrv.TLS, err = emulator.ServerTLSConfig(certs); err != nil {
		t.Fatal(err)
	}
	emuSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	emuSrv.StartTLS()
	t.Cleanup(emuSrv.Close)
	t.Cleanup(func() { emu.Close() })

	keys, err := gateway.ParseKeys(strings.NewReader(testKey + " relay\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tlsMat, err := idec.LoadTLS(certs)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := idec.New(idec.Config{URL: emuSrv.URL, TLS: tlsMat, Registerer: reg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	pipe, err := newPipeline(testenv.Models(t), maxSessions, liveness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := iin.ParseBIN("000000000000")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gateway.Config{Keys: keys, BIN: bin, MaxSessions: maxSessions, Logger: logger,
		Registerer: reg, Gatherer: reg}, pipe, client, nil)
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
	t.Cleanup(func() { // reverse order of start: gateway, server, then models
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		gw.Shutdown(ctx)
		srv.Shutdown(ctx)
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("gateway server: %v", err)
		}
		pipe.Close()
	})
	return "http://" + ln.Addr().String()
}

// pipeline is the gateway's Pipeline over the real capture loop and
// liveness check. The models are not safe for concurrent use, so it keeps
// one set per concurrent session in a pool, loaded once at start.
type pipeline struct {
	cfg  liveness.Config
	sets chan *modelSet
	all  []*modelSet
}

// modelSet is what one session needs: a face detector and the
// anti-spoofing models.
type modelSet struct {
	det   *models.FaceDetector
	spoof *models.AntiSpoof
}

// newPipeline loads n model sets from dir.
func newPipeline(dir string, n int, cfg liveness.Config) (*pipeline, error) {
	p := &pipeline{cfg: cfg, sets: make(chan *modelSet, n)}
	for range n {
		det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: dir})
		if err != nil {
			p.Close()
			return nil, err
		}
		spoof, err := models.NewAntiSpoof(models.AntiSpoofConfig{ModelDir: dir})
		if err != nil {
			det.Close()
			p.Close()
			return nil, err
		}
		s := &modelSet{det: det, spoof: spoof}
		p.all = append(p.all, s)
		p.sets <- s
	}
	return p, nil
}

// Close frees every model set. Call it after the gateway has shut down.
func (p *pipeline) Close() {
	for _, s := range p.all {
		s.det.Close()
		s.spoof.Close()
	}
	p.all = nil
}

// Run implements gateway.Pipeline.
func (p *pipeline) Run(ctx context.Context, cam devices.Camera, opt gateway.PipelineOptions, ev gateway.PipelineEvents) (gateway.PipelineOutcome, error) {
	var set *modelSet
	select {
	case set = <-p.sets:
	case <-ctx.Done():
		return gateway.PipelineOutcome{}, ctx.Err()
	}
	defer func() { p.sets <- set }()

	cfg := p.cfg
	for _, c := range opt.Commands {
		cfg.Challenge.Fixed = append(cfg.Challenge.Fixed, challenge.Command(c))
	}
	count := max(len(cfg.Challenge.Fixed), cfg.Challenge.Count, challenge.MinCount)
	timeout := cfg.Challenge.CommandTimeout
	if timeout == 0 {
		timeout = challenge.DefaultCommandTimeout
	}
	cfg.OnEvent = func(e challenge.Event) {
		switch e.Kind {
		case challenge.KindBaseline:
			ev.Baseline()
		case challenge.KindIssued, challenge.KindProgress, challenge.KindPassed, challenge.KindFailed:
			ev.Command(gateway.CommandEvent{Status: string(e.Kind), Command: string(e.Command), Attempt: e.Attempt,
				Index: e.Index, Count: count, Timeout: timeout, Progress: e.Progress, Reason: string(e.Reason)})
		}
	}
	hints := make([]string, 0, 8)
	cfg.Capture.OnFrame = func(r capture.FrameReport) {
		hints = hints[:0]
		for _, h := range r.Hints {
			hints = append(hints, string(h))
		}
		ev.Quality(hints, r.Quality.Score)
	}
	chk, err := liveness.New(cfg, set.det, set.spoof)
	if err != nil {
		return gateway.PipelineOutcome{}, fmt.Errorf("liveness: %w", err)
	}
	defer chk.Close()
	res, err := chk.Run(ctx, cam)
	if err != nil {
		return gateway.PipelineOutcome{}, err
	}
	ev.Passive(string(res.Passive.Decision), res.Passive.Live, res.Passive.Frames)
	out := gateway.PipelineOutcome{Verdict: string(res.Verdict), Reasons: res.Reasons, FixedCommands: !res.Challenge.Random}
	if b := res.Capture.Best; b != nil {
		out.Token, out.Quality, out.CapturedAt = b.Token, b.Quality.Score, b.Time
	}
	return out, nil
}
