package main

// The gateway under load in the tests: the IDEC emulator and biogated's
// wiring (copied from cmd/biogated, a main package that cannot be
// imported), both on loopback.

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/biogate/biogate/cmd/biogated/pipeline"
	"github.com/biogate/biogate/cmd/idec-emulator/emulatortest"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
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
	url, certs := emulatortest.Start(t, map[string]string{obamaIIN: "obama2.jpg"})

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
	client, err := idec.New(idec.Config{URL: url, TLS: tlsMat, Registerer: reg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	pipe, err := pipeline.New(testenv.Models(t), maxSessions, liveness.Config{})
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
