package attack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/loopback"
	"github.com/biogate/biogate/outcome"
)

// ErrNotLoopback: attack tools talk only to gateways on this machine.
var ErrNotLoopback = loopback.ErrNotLoopback

// GatewayURL parses an http:// gateway address and refuses any host that
// is not loopback (loopback.GatewayURL).
func GatewayURL(s string) (*url.URL, error) { return loopback.GatewayURL(s) }

// consentSHA is the SHA-256 the attack sessions claim for their consent
// text (the gateway checks only its form).
const consentSHA = "a77ac4e0c1a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b"

// SessionConfig is one relay session.
type SessionConfig struct {
	// Gateway is http://HOST:PORT on loopback.
	Gateway string
	// Key is an API key with the relay scope.
	Key string
	// IIN is the person claimed.
	IIN string
	// FPS is the rate frames are sent at, 1-15.
	FPS float64
	// Timeout ends the session if no result came (default 90 s).
	Timeout time.Duration
	// Out, if set, is a folder the frames sent are written to.
	Out string
	// Commands, if set, are fixed liveness commands asked for in start:
	// for relaying a genuine recording that performs them (the gateway
	// must allow fixed commands, and its result says they were fixed).
	// An attack never sets them: it follows the random commands.
	Commands []string
}

// ErrConnect: Run could not reach the gateway.
var ErrConnect = errors.New("cannot connect to the gateway")

// RefusedError: the gateway refused the WebSocket upgrade with an HTTP
// status (401 a bad key, 429 the key's rate cap, 503 full), so no session
// began.
type RefusedError struct {
	StatusCode int
	Status     string
	// Body is the start of the response's body (an error message).
	Body string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("attack: %s: %s", e.Status, e.Body) }

// ErrEndOfFrames is what a Generator's Frame returns when it has no more
// frames (a recording played once): Run then sends end_of_frames and
// waits for the result.
var ErrEndOfFrames = errors.New("attack: end of frames")

// CommandReport is one issued command and how it ended.
type CommandReport struct {
	Attempt int             `json:"attempt"`
	Index   int             `json:"index"`
	Count   int             `json:"count"`
	Command outcome.Command `json:"command"`
	// Status is issued (not judged when the session ended), passed or
	// failed.
	Status outcome.CommandStatus `json:"status"`
	Reason outcome.CommandReason `json:"reason,omitempty"`
}

// Report is what one attack session achieved.
type Report struct {
	Species     Species  `json:"species"`
	Seed        uint64   `json:"seed"`
	FPS         float64  `json:"fps"`
	JPEGQuality int      `json:"jpeg_quality,omitempty"`
	Source      string   `json:"source"`
	Decision    string   `json:"decision"`
	Reasons     []string `json:"reasons,omitempty"`
	// PLive is the passive p(live), when the gateway reported it.
	PLive   *float64 `json:"p_live,omitempty"`
	Passive string   `json:"passive,omitempty"`
	// Submitted: the gateway sent the session's frame to IDEC, so its
	// liveness check (commands and passive) passed.
	Submitted bool            `json:"submitted"`
	Attempts  int             `json:"attempts"`
	Commands  []CommandReport `json:"commands"`
	Issued    int             `json:"commands_issued"`
	Passed    int             `json:"commands_passed"`
	Failed    int             `json:"commands_failed"`
	Frames    int             `json:"frames_sent"`
	Seconds   float64         `json:"duration_seconds"`
	// Errors are the error codes the gateway sent.
	Errors []string `json:"errors,omitempty"`
	// Document is the result's signed document (a JWS), for a caller
	// that verifies it; not in the JSON report.
	Document string `json:"-"`
}

// FullAttempt reports whether every command of some attempt passed.
func (r *Report) FullAttempt() bool {
	by := map[int][]CommandReport{}
	for _, c := range r.Commands {
		by[c.Attempt] = append(by[c.Attempt], c)
	}
	for _, cs := range by {
		n := 0
		for _, c := range cs {
			if c.Status == outcome.CommandPassed {
				n++
			}
		}
		if len(cs) > 0 && n == cs[0].Count {
			return true
		}
	}
	return false
}

// Run runs one relay session against cfg.Gateway, sending gen's frames
// at cfg.FPS and telling gen each command as it is issued, until the
// result, a fatal error, the socket's end, cfg.Timeout or ctx. rep is
// filled in as the session goes (Species, Seed, Source are the caller's).
// It returns only when its sender has stopped.
func Run(ctx context.Context, cfg SessionConfig, gen Generator, rep *Report) error {
	u, err := GatewayURL(cfg.Gateway)
	if err != nil {
		return err
	}
	if !(cfg.FPS >= 1 && cfg.FPS <= float64(protocol.DefaultLimits.MaxFPS)) {
		return fmt.Errorf("attack: fps %g: want 1-%d", cfg.FPS, protocol.DefaultLimits.MaxFPS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	rep.FPS = cfg.FPS
	if rep.Commands == nil {
		rep.Commands = []CommandReport{}
	}

	hdr := http.Header{"Authorization": {"Bearer " + cfg.Key}}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+u.Host+"/v1/session", hdr)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return &RefusedError{StatusCode: resp.StatusCode, Status: resp.Status, Body: string(body)}
		}
		return fmt.Errorf("attack: %w: %w", ErrConnect, err)
	}
	defer conn.Close()
	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return conn.WriteMessage(typ, b)
	}
	start := protocol.Start{IIN: cfg.IIN, Modality: protocol.ModalityFace, ClientNonce: nonce(),
		Consent: &protocol.Consent{TextID: "biogate-attack-consent-v1", TextSHA256: consentSHA, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}, Commands: cfg.Commands}
	msg, err := protocol.Encode(start)
	if err != nil {
		return err
	}
	began := time.Now()
	defer func() { rep.Seconds = time.Since(began).Seconds() }()
	if err := write(websocket.TextMessage, msg); err != nil {
		return fmt.Errorf("attack: start: %w", err)
	}

	var frames atomic.Int64
	sendCtx, stopSending := context.WithCancel(ctx)
	var sender sync.WaitGroup
	sendErr := make(chan error, 1)
	sender.Add(1)
	go func() {
		defer sender.Done()
		if err := send(sendCtx, cfg, gen, began, write, &frames); err != nil {
			sendErr <- err
			conn.Close() // a generator that fails ends the session
		}
	}()
	defer func() {
		stopSending()
		sender.Wait()
		rep.Frames = int(frames.Load())
	}()
	stopClose := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClose()

	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("attack: no result within %s: %w", cfg.Timeout, ctx.Err())
			}
			select {
			case err := <-sendErr:
				return fmt.Errorf("attack: relay: %w", err)
			default:
			}
			return fmt.Errorf("attack: connection closed before the result: %w", err)
		}
		m, err := protocol.DecodeServer(data)
		if err != nil {
			continue // a message this version does not know
		}
		switch m := m.(type) {
		case *protocol.Command:
			rep.command(m)
			if m.Status == outcome.CommandIssued {
				gen.Command(m.Command, time.Since(began))
			}
		case *protocol.Passive:
			p := m.PLive
			rep.PLive, rep.Passive = &p, string(m.Decision)
		case *protocol.Submitting:
			rep.Submitted = true
		case *protocol.Result:
			rep.Decision = string(m.Decision)
			rep.Reasons = m.Reasons
			rep.Attempts = m.Attempts
			rep.Document = m.Document
			return nil
		case *protocol.ErrorMessage:
			rep.Errors = append(rep.Errors, string(m.Code))
		case *protocol.Aborted:
			return errors.New("attack: the gateway shut down")
		}
	}
}

// command records a command message in the report.
func (r *Report) command(m *protocol.Command) {
	for i := range r.Commands {
		c := &r.Commands[i]
		if c.Attempt != m.Attempt || c.Index != m.Index {
			continue
		}
		switch m.Status {
		case outcome.CommandPassed:
			c.Status = m.Status
			r.Passed++
		case outcome.CommandFailed:
			c.Status, c.Reason = m.Status, m.Reason
			r.Failed++
		}
		return
	}
	if m.Status == outcome.CommandIssued {
		r.Commands = append(r.Commands, CommandReport{Attempt: m.Attempt, Index: m.Index, Count: m.Count, Command: m.Command, Status: m.Status})
		r.Issued++
	}
}

// send sends gen's frames at cfg.FPS until ctx ends, a write fails or gen
// has no more (then it sends end_of_frames).
func send(ctx context.Context, cfg SessionConfig, gen Generator, began time.Time, write func(int, []byte) error, frames *atomic.Int64) error {
	t := time.NewTicker(time.Duration(float64(time.Second) / cfg.FPS))
	defer t.Stop()
	var buf []byte
	for seq := uint32(1); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := time.Now()
		jpeg, err := gen.Frame(now.Sub(began))
		if errors.Is(err, ErrEndOfFrames) {
			b, err := protocol.Encode(protocol.EndOfFrames{LastSeq: seq - 1})
			if err != nil {
				return err
			}
			write(websocket.TextMessage, b) // a failure: the reader sees the socket end
			return nil
		}
		if err != nil {
			return err
		}
		if cfg.Out != "" {
			if err := os.WriteFile(filepath.Join(cfg.Out, fmt.Sprintf("frame-%05d.jpg", seq)), jpeg, 0o644); err != nil {
				return err
			}
		}
		buf = relay.AppendMessage(buf[:0], relay.Header{Seq: seq, CaptureMillis: now.UnixMilli()}, jpeg)
		if err := write(websocket.BinaryMessage, buf); err != nil {
			return nil // the reader sees the socket end
		}
		frames.Add(1)
	}
}

func nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "attack-" + hex.EncodeToString(b)
}
