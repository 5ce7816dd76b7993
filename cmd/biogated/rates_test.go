package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/clipmoves"
)

// Every movement of the shared clips passes in relay sessions through the
// daemon at 6, 10, 15 and 25 fps: the movement's frames kept as a phone
// relaying at that rate would send them (the first at or after each 1/fps
// tick), sent at their own pace (the gateway times frames by their
// arrival), with the movement's commands fixed. --max-fps 25 lets the
// webcam rate in; --command-timeout 8s is announced in hello and with each
// command; the IINs' lockout and rate limits are lifted, since some of
// these sessions end in no_match (their people are not enrolled).
func TestRelayMovementsAtPhoneRates(t *testing.T) {
	addr := startDaemon(t, "--max-fps", "25", "--command-timeout", "8s", "--max-attempts", "1000", "--rate-per-iin", "0", "--rate-per-key", "0")
	for _, m := range clipmoves.Movements {
		frames := m.Frames(t)
		for _, fps := range clipmoves.Rates {
			sent := clipmoves.Resample(frames, fps)
			got, hello := relayMovement(t, addr, m, sent)
			t.Logf("%-16s %2.0f fps (%d frames): %s", m.Name, fps, len(sent), got)
			if hello.Limits.CommandTimeoutMS != 8000 || hello.Limits.MaxFPS != 25 {
				t.Errorf("hello limits %+v: want command_timeout_ms 8000 and max_fps 25", hello.Limits)
			}
			for i, ms := range got.timeout {
				if got.status[i] != "not issued" && ms != 8000 {
					t.Errorf("%s at %.0f fps: %s issued with timeout_ms %d, want 8000", m.Name, fps, got.cmds[i], ms)
				}
			}
			if !got.passed(len(m.Commands)) {
				t.Errorf("%s at %.0f fps: %s, want every command passed", m.Name, fps, got)
			}
		}
	}
}

// relayOutcome is what a session's command messages said about its first
// attempt, command by command.
type relayOutcome struct {
	cmds     []string
	status   []string  // issued, passed, failed:REASON
	progress []float64 // largest progress reported
	timeout  []int     // timeout_ms of issued
	decision protocol.Decision
}

func (o relayOutcome) passed(n int) bool {
	if len(o.status) != n {
		return false
	}
	for _, s := range o.status {
		if s != "passed" {
			return false
		}
	}
	return true
}

func (o relayOutcome) String() string {
	var parts []string
	for i, c := range o.cmds {
		parts = append(parts, fmt.Sprintf("%s %s progress %.2f", c, o.status[i], o.progress[i]))
	}
	return strings.Join(parts, "; ") + fmt.Sprintf("; result %s", o.decision)
}

// relayMovement runs one relay session that sends frames at their offsets,
// then end_of_frames, and reports the commands of its first attempt.
func relayMovement(t *testing.T, addr string, m clipmoves.Movement, frames []clipmoves.Frame) (relayOutcome, protocol.Hello) {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out relayOutcome
	var hello protocol.Hello
	for _, c := range m.Commands {
		out.cmds = append(out.cmds, string(c))
	}
	start := protocol.Start{IIN: cap12IIN, Modality: protocol.ModalityFace, ClientNonce: "e2e-test-nonce-rates",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}, Commands: out.cmds}
	msg, _ := protocol.Encode(start)
	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(typ, b)
	}
	if err := write(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		t0 := time.Now()
		var buf []byte
		for i, f := range frames {
			select {
			case <-stop:
				return
			case <-time.After(time.Until(t0.Add(f.At - frames[0].At))):
			}
			buf = relay.AppendMessage(buf[:0], relay.Header{Seq: uint32(i + 1), CaptureMillis: time.Now().UnixMilli()}, f.JPEG)
			if write(websocket.BinaryMessage, buf) != nil {
				return
			}
		}
		end, _ := protocol.Encode(protocol.EndOfFrames{LastSeq: uint32(len(frames))})
		write(websocket.TextMessage, end)
	}()
	defer func() { close(stop); <-sent }()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("%s: no result: %v", m.Name, err)
		}
		msg, err := protocol.DecodeServer(data)
		if err != nil {
			t.Fatalf("bad message %s: %v", data, err)
		}
		switch msg := msg.(type) {
		case *protocol.Hello:
			hello = *msg
		case *protocol.Command:
			if msg.Attempt != 1 || msg.Index >= len(out.cmds) {
				continue
			}
			for len(out.status) <= msg.Index {
				out.status, out.progress, out.timeout = append(out.status, "not issued"), append(out.progress, 0), append(out.timeout, 0)
			}
			switch msg.Status {
			case protocol.CommandIssued:
				out.status[msg.Index], out.timeout[msg.Index] = "issued", msg.TimeoutMS
			case protocol.CommandProgress:
				out.progress[msg.Index] = max(out.progress[msg.Index], msg.Progress)
			case protocol.CommandPassed:
				out.status[msg.Index], out.progress[msg.Index] = "passed", 1
			case protocol.CommandFailed:
				out.status[msg.Index] = "failed:" + string(msg.Reason)
			}
		case *protocol.ErrorMessage:
			if msg.Fatal {
				t.Fatalf("%s: fatal error %+v", m.Name, msg)
			}
		case *protocol.Result:
			out.decision = msg.Decision
			for len(out.status) < len(out.cmds) {
				out.status, out.progress, out.timeout = append(out.status, "not issued"), append(out.progress, 0), append(out.timeout, 0)
			}
			return out, hello
		}
	}
}
