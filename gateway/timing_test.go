package gateway

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// The session's timers under testing/synctest: the session runs in the
// bubble on the real state machine, the real relay camera and the test
// pipeline, with its conn's queue standing in for the socket (the writer
// is not started), so the fake clock can be moved to a timer's edge.

// bubbleSession opens a session of a new Server in the calling synctest
// bubble and starts its control goroutine. msgs returns the messages
// queued since the last call; done closes the session and waits for its
// goroutines, as the handler does when the client is gone.
func bubbleSession(t *testing.T, pipe Pipeline, configure func(*Config)) (s *session, msgs func() []protocol.ServerMessage, done func()) {
	t.Helper()
	keys, err := ParseKeys(strings.NewReader(keyAll + " kiosk,relay\n"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := iin.ParseBIN(testBIN)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Keys: keys, BIN: bin, Relay: RelayCamerasForTest}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := New(cfg, pipe, &testVerifier{match: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := srv.cfg.Keys.lookup(keyAll)
	if ref := srv.enter(k.name); ref != nil {
		t.Fatalf("refused: %s", ref.code)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &conn{cfg: srv.cfg, m: srv.m, log: log,
		out: make(chan []byte, 256), quit: make(chan struct{}),
		readerDone: make(chan struct{}), writerDone: make(chan struct{})}
	s = newSession(srv, "bubble-session", k, c, log)
	s.open()
	go s.control()
	msgs = func() []protocol.ServerMessage {
		t.Helper()
		synctest.Wait()
		var ms []protocol.ServerMessage
		for {
			select {
			case data := <-c.out:
				m, err := protocol.DecodeServer(data)
				if err != nil {
					t.Fatalf("decode %s: %v", data, err)
				}
				ms = append(ms, m)
			default:
				return ms
			}
		}
	}
	return s, msgs, s.close
}

// types lists the messages' types, with the error codes and done reasons.
func types(ms []protocol.ServerMessage) string {
	var b []string
	for _, m := range ms {
		switch m := m.(type) {
		case *protocol.ErrorMessage:
			b = append(b, "error:"+string(m.Code))
		case *protocol.State:
			b = append(b, "state:"+string(m.State))
		default:
			b = append(b, string(m.MessageType()))
		}
	}
	return strings.Join(b, " ")
}

// TestStartTimeoutAtItsEdge: a connection that sends no start ends when
// start_seconds have passed, whatever idle_seconds say.
func TestStartTimeoutAtItsEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, msgs, done := bubbleSession(t, &testPipeline{Frames: 1, Verdict: VerdictLive},
			func(c *Config) { c.Limits.StartSeconds, c.Limits.IdleSeconds = 2, 60 })
		defer done()
		if got := types(msgs()); got != "hello state:waiting_start" {
			t.Fatalf("opening: %s", got)
		}
		time.Sleep(2*time.Second - time.Nanosecond)
		if got := types(msgs()); got != "" {
			t.Fatalf("before start_seconds: %s", got)
		}
		time.Sleep(time.Nanosecond)
		if got := types(msgs()); got != "error:start_timeout state:done" {
			t.Fatalf("at start_seconds: %s", got)
		}
	})
}

// TestRelayIdleTimeoutAtItsEdge: a relay session whose client sends no
// frame ends when the relay camera has waited idle_seconds.
func TestRelayIdleTimeoutAtItsEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, msgs, done := bubbleSession(t, &testPipeline{Frames: 1, Verdict: VerdictLive},
			func(c *Config) { c.Limits.IdleSeconds = 3 })
		defer done()
		msgs()
		time.Sleep(time.Second) // the start comes a second in
		s.onStart(startMsg(validIIN, protocol.CameraRelay))
		if got := types(msgs()); got != "state:capturing" {
			t.Fatalf("start: %s", got)
		}
		time.Sleep(3*time.Second - time.Nanosecond)
		if got := types(msgs()); got != "" {
			t.Fatalf("before idle_seconds without a frame: %s", got)
		}
		time.Sleep(time.Nanosecond)
		ms := msgs()
		if got := types(ms); got != "error:idle_timeout result state:done" {
			t.Fatalf("at idle_seconds: %s", got)
		}
		if r := ms[1].(*protocol.Result); r.Decision != protocol.DecisionError || r.Reasons[0] != "idle_timeout" {
			t.Errorf("result %+v", r)
		}
	})
}

// TestSessionTimeoutAtItsEdge: session_seconds count from the socket's
// opening, whatever the session is doing.
func TestSessionTimeoutAtItsEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, msgs, done := bubbleSession(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true},
			func(c *Config) { c.Limits.SessionSeconds, c.Limits.IdleSeconds = 5, 60 })
		defer done()
		msgs()
		time.Sleep(time.Second)
		s.onStart(startMsg(validIIN, protocol.CameraRelay))
		s.onFrame(frameMsg(1, testJPEG))
		if got := types(msgs()); !strings.HasPrefix(got, "state:capturing") { // and the frame's progress
			t.Fatalf("start: %s", got)
		}
		time.Sleep(4*time.Second - time.Nanosecond)
		if got := types(msgs()); got != "" {
			t.Fatalf("before session_seconds: %s", got)
		}
		time.Sleep(time.Nanosecond)
		ms := msgs()
		if got := types(ms); got != "error:session_timeout result state:done" {
			t.Fatalf("at session_seconds: %s", got)
		}
		if r := ms[1].(*protocol.Result); r.Reasons[0] != "session_timeout" {
			t.Errorf("result %+v", r)
		}
	})
}

// TestQualityThrottle: quality goes out at most QualityMaxPerSecond times
// a second, and the same hints at most once a second.
func TestQualityThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, msgs, done := bubbleSession(t, &testPipeline{}, nil)
		defer done()
		msgs()
		ev := &events{s: s}
		gap := time.Second / protocol.QualityMaxPerSecond
		for _, step := range []struct {
			after time.Duration // since the previous step
			hints string
			sent  bool
		}{
			{0, "move_closer", true},
			{gap - time.Nanosecond, "too_dark", false}, // too soon
			{time.Nanosecond, "too_dark", true},
			{gap, "too_dark", false},                                 // the same hints within a second
			{time.Second - gap - time.Nanosecond, "too_dark", false}, // still within the second
			{time.Nanosecond, "too_dark", true},
			{gap, "hold_still", true},
		} {
			time.Sleep(step.after)
			ev.Quality([]string{step.hints}, 50)
			ms := msgs()
			if sent := len(ms) == 1; sent != step.sent || len(ms) > 1 {
				t.Fatalf("at %v, %s: %d messages (%s); want sent %v", time.Since(s.created), step.hints, len(ms), types(ms), step.sent)
			}
		}
	})
}
