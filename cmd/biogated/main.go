// Command biogated is the biogate daemon: it serves verification sessions
// over WebSocket to kiosks, field laptops and mobile apps (through the
// relay), runs capture and liveness on their frames, asks IDEC and streams
// every step back.
//
//	biogated [--config FILE] --listen ADDR [--camera SPEC] --idec URL --idec-tls DIR
//	         --api-keys FILE --data DIR [--allow-fixed-commands] [--evidence DSN]
//
// Every setting of the YAML file also has a flag and a BIOGATED_*
// environment variable (see Config). It shuts down on SIGTERM or SIGINT:
// running sessions get a final aborted message, then the models are freed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/biogate/biogate/gateway/document/token"
	"github.com/biogate/biogate/internal/daemon"
	"github.com/biogate/biogate/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil))
}

// run starts the daemon and serves until ctx ends. ready, if not nil,
// receives the listener's address once it accepts connections (for tests).
func run(ctx context.Context, args []string, env func(string) string, stderr io.Writer, ready chan<- string) int {
	cfg, err := loadConfig(args, env)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "biogated: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	models.QuietNativeLogs()
	if err := serve(ctx, cfg, log, ready); err != nil {
		log.Error("biogated stopped", "err", err)
		if errors.Is(err, token.ErrPIN) {
			return exitPINRefused
		}
		return 1
	}
	return 0
}

// exitPINRefused (EX_CONFIG) is biogated's exit status when the signing
// key's token refused the PIN. The systemd unit does not restart on it
// (RestartPreventExitStatus): every try with a wrong PIN counts towards
// the token's lockout (an HSM's retry counter, a TPM's dictionary-attack
// protection), and a restart loop would lock the token within minutes.
const exitPINRefused = 78

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// serve runs the daemon assembled from cfg until ctx ends. ready, if not
// nil, receives the listener's address once it accepts connections.
func serve(ctx context.Context, cfg Config, log *slog.Logger, ready chan<- string) error {
	d, err := daemon.New(cfg.daemon(), log)
	if err != nil {
		return err
	}
	if ready == nil {
		return d.Run(ctx)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
		ready <- d.Addr()
	case err := <-done:
		return err
	}
	return <-done
}
