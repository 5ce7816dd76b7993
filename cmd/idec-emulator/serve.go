package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/models"
)

// shutdownGrace bounds how long serve waits for requests in flight.
const shutdownGrace = 10 * time.Second

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on (host:port; port 0 picks a free one)")
	gallery := fs.String("gallery", "", "gallery folder (created 0700 when missing)")
	nameKey := fs.String("name-key", "", "file with the key of the gallery's file names, which are keyed hashes of the IINs (default DIR/.name-key, created when missing); serve and enroll must use the same one")
	tlsDir := fs.String("tls", "", "folder with ca.pem, server.pem and server-key.pem (see 'idec-emulator certs'); clients must present a certificate from that CA")
	threshold := fs.Float64("threshold", idecemu.DefaultThreshold, "decision threshold on the reported similarity of faces, in (0, 1]")
	fingerThreshold := fs.Float64("finger-threshold", fingerprint.DefaultThreshold, "decision threshold on the fingerprint matcher's score (> 0; the default is FMR 1/10,000 by its calibration); the reported similarity is 0.5 there")
	modelDir := fs.String("models", "", "models folder (default $BIOGATE_MODELS, else $BIOGATE_SHARED/models, else ../shared/models)")
	var f idecemu.Faults
	fs.DurationVar(&f.Latency, "fault-latency", 0, "add this latency to every verification")
	fs.Float64Var(&f.ErrorRate, "fault-error-rate", 0, "answer this fraction (0-1) of verifications with --fault-status (default 503)")
	fs.IntVar(&f.Status, "fault-status", 0, "error status (400-599) for --fault-error-rate; alone, answer every verification with it")
	fs.BoolVar(&f.Timeout, "fault-timeout", false, "never answer a verification: hold it until the client gives up")
	fs.BoolVar(&f.Malformed, "fault-malformed", false, "answer verifications with 200 and a broken JSON body")
	fs.BoolVar(&f.Reset, "fault-reset", false, "close the connection instead of answering a verification")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !required(fs, stderr, "gallery", "tls") {
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	tlsCfg, err := idecemu.ServerTLSConfig(*tlsDir)
	if err != nil {
		log.Error("loading TLS", "err", err)
		return exitFailure
	}
	emu, err := idecemu.New(idecemu.Config{
		Gallery:         *gallery,
		NameKeyFile:     *nameKey,
		Threshold:       *threshold,
		FingerThreshold: *fingerThreshold,
		ModelDir:        *modelDir,
		Faults:          f,
		Logger:          log,
	})
	if errors.Is(err, idecemu.ErrInvalidConfig) {
		fmt.Fprintf(stderr, "idec-emulator serve: %v\n", err)
		return exitUsage
	}
	if err != nil {
		log.Error("starting", "err", err)
		return exitFailure
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Error("listening", "err", err)
		return exitFailure
	}
	srv := &http.Server{
		Handler:           emu.Handler(),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Shutdown waits for handlers; Close releases those a fault holds.
	srv.RegisterOnShutdown(func() { emu.Close() })
	if f.Active() {
		log.Warn("fault injection on", "latency", f.Latency, "error_rate", f.ErrorRate, "status", f.Status,
			"timeout", f.Timeout, "malformed", f.Malformed, "reset", f.Reset)
	}
	log.Info("listening", "addr", ln.Addr().String(), "gallery", *gallery, "models", models.Dir(*modelDir), "mtls", true)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		log.Error("serving", "err", err)
		return exitFailure
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown; closing them", "err", err)
		srv.Close()
	}
	<-errc // http.ErrServerClosed
	emu.Close()
	log.Info("stopped")
	return exitOK
}
