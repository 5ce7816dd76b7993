package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
)

// consentSHA is the SHA-256 the soak's sessions claim for their consent
// text (the gateway checks only its form).
const consentSHA = "5b2a2c8e8f1f1e3e6f4f0d5c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a19080"

// clientDeadline bounds every client: the gateway's session limit (120 s)
// and a margin. A client that reaches it is hung, which the invariants
// forbid.
const clientDeadline = 150 * time.Second

// relayFPS is the rate frames are relayed at, under the gateway's 15.
const relayFPS = 14

// behaviour is what a client does after the upgrade.
type behaviour int

const (
	// follow: start, relay frames (if any) from state capturing at
	// relayFPS, then end_of_frames, and read to the end.
	follow behaviour = iota
	// vanish: as follow, but close the TCP connection without a word
	// after plan.vanishAfter.
	vanish
	// sendBadIIN: a start with an invalid IIN, then cancel.
	sendBadIIN
	// sendGarbage: a text that is not JSON and one of an unknown type,
	// then cancel.
	sendGarbage
	// sendOversized: start, then one binary message over the socket's
	// read limit (max_frame_bytes + 64 KiB): the gateway closes with 1009.
	sendOversized
	// sendTooLarge: start, then a frame over max_frame_bytes and a JPEG
	// declaring more than max_frame_pixels, each frame_too_large, then
	// cancel.
	sendTooLarge
	// sendNotJPEG: start, then frames that are not JPEG
	// (frame_not_jpeg), then end_of_frames: a result (error).
	sendNotJPEG
)

// plan is one client's session as the harness means it.
type plan struct {
	kind        Kind
	iin         string
	key         string
	kiosk       bool
	finger      bool // a finger session on the daemon's reader
	frames      [][]byte
	commands    []string
	how         behaviour
	vanishAfter time.Duration
	done        func(*Session) // gives the IIN back; may be nil
}

// Session is what one client saw, for the report and the checks.
type Session struct {
	N    int    `json:"n"`
	Kind Kind   `json:"kind"`
	IIN  string `json:"-"`
	// IINRef names the IIN in the session log without writing it: the
	// first 8 hex digits of its SHA-256.
	IINRef string `json:"iin_ref,omitempty"`
	// Start and End are the client's times; Offset is Start from the
	// run's beginning, in seconds.
	Start  time.Time `json:"-"`
	End    time.Time `json:"-"`
	Offset float64   `json:"offset_s"`

	HTTPStatus int    `json:"http_status,omitempty"`
	HTTPCode   string `json:"http_code,omitempty"`
	DialError  string `json:"dial_error,omitempty"`
	SessionID  string `json:"session_id,omitempty"`
	// Accepted: state capturing (finger, for a finger session) came, so
	// the start took a slot (and the IIN's lease); AcceptedAt is when.
	Accepted   bool      `json:"accepted"`
	AcceptedAt time.Time `json:"-"`
	// Errors are the codes of every error message, in order; Fatal the
	// fatal one.
	Errors  []string         `json:"errors,omitempty"`
	Fatal   string           `json:"fatal,omitempty"`
	Result  *protocol.Result `json:"-"`
	Aborted bool             `json:"aborted,omitempty"`
	// Done is state done's reason, when it came.
	Done string `json:"done,omitempty"`
	// CloseCode is the WebSocket close code received (0: none, the
	// connection just ended).
	CloseCode int    `json:"close_code,omitempty"`
	ReadError string `json:"read_error,omitempty"`
	Vanished  bool   `json:"vanished,omitempty"`
	Hung      bool   `json:"hung,omitempty"`
	// Failures are the failed attempts the client was told of: an attempt
	// with a failed command, or that ended in a spoof or a no_match, each
	// once. Attempts is the highest attempt number it saw (commands or
	// the result).
	Failures int `json:"failures,omitempty"`
	Attempts int `json:"attempts,omitempty"`
	// Outcome is the class of the ending (classify).
	Outcome string `json:"outcome"`
	// Decision and Reasons repeat the result's, for the session log.
	Decision string   `json:"decision,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	// AcceptedS and EndS are AcceptedAt and End from the run's
	// beginning, seconds (0: not accepted).
	AcceptedS float64 `json:"accepted_s,omitempty"`
	EndS      float64 `json:"end_s"`
}

// runSession runs one client of p against the gateway at host (HOST:PORT)
// and fills s. It returns when the connection is closed; the client's
// deadline bounds it.
func runSession(ctx context.Context, host string, p plan, s *Session) {
	s.Start = time.Now()
	if s.IIN != "" {
		sum := sha256.Sum256([]byte(s.IIN))
		s.IINRef = hex.EncodeToString(sum[:4])
	}
	defer func() {
		s.End = time.Now()
		s.Outcome = classify(s)
	}()
	ctx, cancel := context.WithTimeout(ctx, clientDeadline)
	defer cancel()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, "ws://"+host+"/v1/session",
		http.Header{"Authorization": {"Bearer " + p.key}})
	dcancel()
	if err != nil {
		if resp != nil {
			s.HTTPStatus = resp.StatusCode
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if m, err := protocol.DecodeServer(body); err == nil {
				if e, ok := m.(*protocol.ErrorMessage); ok {
					s.HTTPCode = string(e.Code)
				}
			}
			return
		}
		s.DialError = err.Error()
		return
	}
	defer conn.Close()
	// The deadline closes the socket, which ends the read below; so does
	// a vanishing client.
	var vanished, hung atomic.Bool
	defer func() { s.Vanished, s.Hung = vanished.Load(), hung.Load() }()
	stopDeadline := context.AfterFunc(ctx, func() {
		if !vanished.Load() {
			hung.Store(true)
		}
		conn.NetConn().Close()
	})
	defer stopDeadline()

	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return conn.WriteMessage(typ, b)
	}
	text := func(m protocol.Message) error {
		b, err := protocol.Encode(m)
		if err != nil {
			return err
		}
		return write(websocket.TextMessage, b)
	}
	start := protocol.Start{IIN: p.iin, Modality: protocol.ModalityFace, ClientNonce: nonce(),
		Consent:  &protocol.Consent{TextID: "biogate-soak-consent-v1", TextSHA256: consentSHA, AcceptedAt: time.Now().UTC()},
		Camera:   protocol.Camera{Mode: protocol.CameraRelay},
		Commands: p.commands}
	if p.kiosk {
		start.Camera.Mode = protocol.CameraKiosk
	}
	if p.finger {
		start.Modality, start.Camera, start.Commands = protocol.ModalityFinger, protocol.Camera{}, nil
		start.Finger = &protocol.FingerStart{Position: fingerPosition, Impressions: 1}
	}
	switch p.how {
	case sendBadIIN:
		start.IIN = invalidIIN(p.iin)
	case sendGarbage:
		write(websocket.TextMessage, []byte("}{ this is not JSON"))
		write(websocket.TextMessage, []byte(`{"v":1,"type":"frobnicate"}`))
	}
	if p.how != sendGarbage {
		text(start)
	}
	// Invalid input is cancelled once the gateway said what was wrong.
	cancelOnce := sync.OnceFunc(func() { text(protocol.Cancel{}) })

	// The sender runs from state capturing until the session ends.
	sendCtx, stopSending := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer func() { stopSending(); sender.Wait() }()
	startSending := sync.OnceFunc(func() {
		sender.Add(1)
		go func() {
			defer sender.Done()
			send(sendCtx, p, write, text)
		}()
	})
	if p.how == vanish {
		t := time.AfterFunc(p.vanishAfter, func() {
			vanished.Store(true)
			conn.NetConn().Close()
		})
		defer t.Stop()
	}

	// failed holds the attempts the client was told failed: each counts
	// once for the lockout (docs/protocol.md, "Lockout").
	failed := map[int]bool{}
	defer func() { s.Failures = len(failed) }()
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.CloseCode = ce.Code
			} else if !vanished.Load() && !hung.Load() {
				s.ReadError = err.Error()
			}
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		m, err := protocol.DecodeServer(data)
		if err != nil {
			s.Errors = append(s.Errors, "bad_message_from_gateway")
			continue
		}
		switch m := m.(type) {
		case *protocol.Hello:
			s.SessionID = m.SessionID
		case *protocol.State:
			switch m.State {
			case protocol.StateCapturing, protocol.StateFinger:
				if !s.Accepted {
					s.Accepted, s.AcceptedAt = true, time.Now()
					startSending()
				}
			case protocol.StateDone:
				s.Done = string(m.Reason)
			}
		case *protocol.Command:
			s.Attempts = max(s.Attempts, m.Attempt)
			if m.Status == protocol.CommandFailed {
				failed[m.Attempt] = true
			}
		case *protocol.Result:
			s.Result = m
			s.Decision, s.Reasons = string(m.Decision), m.Reasons
			s.Attempts = max(s.Attempts, m.Attempts)
			if m.Decision == protocol.DecisionSpoof || m.Decision == protocol.DecisionNoMatch {
				// The attempt that ended so failed (once, if a command of
				// it failed too).
				failed[max(1, s.Attempts)] = true
			}
		case *protocol.ErrorMessage:
			s.Errors = append(s.Errors, string(m.Code))
			if m.Fatal {
				s.Fatal = string(m.Code)
			} else if p.how == sendBadIIN || p.how == sendGarbage || (p.how == sendTooLarge && len(s.Errors) >= 2) {
				cancelOnce()
			}
		case *protocol.Aborted:
			s.Aborted = true
		}
	}
}

// send relays what p says from state capturing on. write and text are
// the session's serialised writers.
func send(ctx context.Context, p plan, write func(int, []byte) error, text func(protocol.Message) error) {
	var buf []byte
	frame := func(seq uint32, jpeg []byte) error {
		buf = relay.AppendMessage(buf[:0], relay.Header{Seq: seq, CaptureMillis: time.Now().UnixMilli()}, jpeg)
		return write(websocket.BinaryMessage, buf)
	}
	switch p.how {
	case sendOversized:
		// Over the socket's read limit: the gateway closes with 1009.
		frame(1, fakeJPEG(int(protocol.DefaultLimits.MaxFrameBytes)+96<<10))
		return
	case sendTooLarge:
		frame(1, fakeJPEG(int(protocol.DefaultLimits.MaxFrameBytes)+8<<10))
		sleep(ctx, 1100*time.Millisecond) // frame errors are reported once a second per code
		frame(2, jpegBomb())
		// Cancelled on the second error; if the gateway folded it into the
		// first (once a second per code), cancel anyway.
		if sleep(ctx, 1500*time.Millisecond) == nil {
			text(protocol.Cancel{})
		}
		return
	case sendNotJPEG:
		junk := make([]byte, 2048)
		rand.Read(junk)
		for i := range 3 {
			if frame(uint32(i+1), junk) != nil {
				return
			}
		}
		text(protocol.EndOfFrames{LastSeq: 3})
		return
	case sendBadIIN, sendGarbage:
		return
	}
	if len(p.frames) == 0 {
		return // kiosk: the gateway's camera
	}
	t := time.NewTicker(time.Second / relayFPS)
	defer t.Stop()
	for i, f := range p.frames {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if frame(uint32(i+1), f) != nil {
			return
		}
	}
	text(protocol.EndOfFrames{LastSeq: uint32(len(p.frames))})
}

// fakeJPEG is n bytes framed as a JPEG (SOI, zeros, EOI): the gateway
// checks the size before anything else.
func fakeJPEG(n int) []byte {
	b := make([]byte, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF})
	b[n-2], b[n-1] = 0xFF, 0xD9
	return b
}

// jpegBomb is a small JPEG whose frame header declares 30000x30000
// pixels: refused unread, frame_too_large.
func jpegBomb() []byte {
	b := []byte{0xFF, 0xD8, // SOI
		0xFF, 0xC0, 0x00, 0x11, 0x08, // SOF0, length 17, 8 bits
		0x75, 0x30, 0x75, 0x30, // height, width 30000
		0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01}
	b = append(b, make([]byte, 64)...)
	return append(b, 0xFF, 0xD9) // EOI
}

func nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "soak-" + hex.EncodeToString(b)
}

// classify names how a session ended, most telling first: a result by
// its decision; a fatal error; the gateway's abort; an HTTP refusal; no
// connection; the client's own ending (vanished, hung); a close with its
// code; a connection that just ended (cut).
func classify(s *Session) string {
	switch {
	case s.Hung:
		return "hung"
	case s.Result != nil && s.Result.Decision == protocol.DecisionError && len(s.Result.Reasons) > 0:
		return "result/error:" + s.Result.Reasons[0]
	case s.Result != nil:
		return "result/" + string(s.Result.Decision)
	case s.Fatal != "":
		return "refused/" + s.Fatal
	case s.Aborted:
		return "aborted"
	case s.HTTPStatus != 0:
		return fmt.Sprintf("http/%d", s.HTTPStatus)
	case s.DialError != "":
		return "unavailable"
	case s.Vanished:
		return "vanished"
	case s.Done == string(protocol.DoneCancelled) && len(s.Errors) > 0:
		return "rejected/" + s.Errors[0]
	case s.CloseCode != 0 && s.CloseCode != websocket.CloseAbnormalClosure:
		return fmt.Sprintf("closed/%d", s.CloseCode)
	}
	return "cut"
}
