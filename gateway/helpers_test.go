package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/biogate/biogate/outcome"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

const (
	keyAll    = "test-key-all-0123456789"
	keyKiosk  = "test-key-kiosk-0123456789"
	keyAdmin  = "test-key-admin-0123456789"
	keyRelay  = "test-key-relay-0123456789"
	validIIN  = "790303402568"
	otherIIN  = "061211600012"
	testBIN   = "971240001315"
	testNonce = "q7Lx0d3J-2fKq9wZr1Tb"
)

var testJPEG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

func frameMsg(seq uint32, jpg []byte) []byte {
	return relay.AppendMessage(nil, relay.Header{Seq: seq, CaptureMillis: time.Now().UnixMilli()}, jpg)
}

// testPipeline stands in for the real capture and liveness pipeline, which
// lives in pipeline/ and is tested end to end through cmd/biogated. It really reads the
// camera it is given: it decodes Frames JPEG frames (relay frames the test
// client pushed), then reports a scripted liveness run and Verdict, with the
// last frame as the token.
type testPipeline struct {
	Frames  int
	Verdict outcome.Liveness
	// Block: after the frames, read on until the camera or ctx ends.
	Block bool
	// Flood: send command messages as fast as possible until ctx ends.
	Flood bool
	// Dropped is the outcome's Capture.Dropped.
	Dropped int
	// Failed attempts come first, each failing its first command; then
	// Hold reads on until the camera or ctx ends, or the next attempt
	// passes (Verdict refused: none does).
	Failed int
	Hold   bool

	mu       sync.Mutex
	commands [][]string
	attempts []int // PipelineOptions.Attempts of each run
}

// opts returns the Attempts the runs were given.
func (p *testPipeline) opts() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.attempts...)
}

func (p *testPipeline) Run(ctx context.Context, cam devices.Camera, opt PipelineOptions, ev PipelineEvents) (PipelineOutcome, error) {
	p.mu.Lock()
	p.commands = append(p.commands, outcome.Strings(opt.Commands))
	p.attempts = append(p.attempts, opt.Attempts)
	p.mu.Unlock()
	if p.Flood {
		for ctx.Err() == nil {
			ev.Command(CommandEvent{Status: "issued", Command: "turn_left", Attempt: 1, Count: 3, Timeout: 6 * time.Second})
		}
		return PipelineOutcome{}, ctx.Err()
	}
	var token []byte
	var at time.Time
	for i := 0; i < p.Frames; i++ {
		f, err := cam.Read(ctx)
		if err != nil {
			return PipelineOutcome{}, err
		}
		if _, err := jpeg.Decode(bytes.NewReader(f.Data)); err != nil {
			f.Close()
			return PipelineOutcome{}, errors.Join(devices.ErrBadFrame, err)
		}
		token, at = bytes.Clone(f.Data), f.Time
		f.Close()
		ev.Quality([]string{"too_far"}, 40)
	}
	for p.Block {
		f, err := cam.Read(ctx)
		if err != nil {
			return PipelineOutcome{}, err
		}
		f.Close()
	}
	ev.Baseline()
	cmds := opt.Commands
	if cmds == nil {
		cmds = []outcome.Command{outcome.TurnLeft, outcome.TiltRight, outcome.MoveCloser}
	}
	for a := 1; a <= p.Failed; a++ {
		ev.Command(CommandEvent{Status: outcome.CommandIssued, Command: cmds[0], Attempt: a, Count: len(cmds), Timeout: 6 * time.Second})
		ev.Command(CommandEvent{Status: outcome.CommandFailed, Command: cmds[0], Attempt: a, Count: len(cmds), Reason: outcome.CommandTimeout})
	}
	for p.Hold {
		f, err := cam.Read(ctx)
		if err != nil {
			return PipelineOutcome{}, err
		}
		f.Close()
	}
	attempt := p.Failed + 1
	if p.Verdict == VerdictRefused && p.Failed > 0 {
		attempt = p.Failed
	} else {
		for i, c := range cmds {
			ev.Command(CommandEvent{Status: outcome.CommandIssued, Command: c, Attempt: attempt, Index: i, Count: len(cmds), Timeout: 6 * time.Second})
			ev.Command(CommandEvent{Status: outcome.CommandPassed, Command: c, Attempt: attempt, Index: i, Count: len(cmds), Progress: 1})
		}
	}
	ev.Passive(outcome.Live, 0.97, p.Frames)
	return PipelineOutcome{Verdict: p.Verdict, Token: token, Best: token, BestWidth: 32, BestHeight: 24, Quality: 81.5, CapturedAt: at, FixedCommands: opt.Commands != nil,
		Capture: CaptureCounts{Dropped: p.Dropped}, Attempts: attempt}, nil
}

// testVerifier answers like IDEC: match or no-match, and keeps the requests.
type testVerifier struct {
	mu    sync.Mutex
	match bool
	// finger, when set, is the answer to fingerprint requests (match the
	// face's).
	finger *bool
	err    error // returned instead of a result when set
	reqs   []idec.Request
	// asked, when set, is called with each request before it is answered.
	asked func(idec.Request)
}

func (v *testVerifier) Verify(ctx context.Context, req idec.Request) (idec.Result, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.reqs = append(v.reqs, req)
	if v.asked != nil {
		v.asked(req)
	}
	if v.err != nil {
		return idec.Result{}, v.err
	}
	match, id := v.match, "IDEC-TEST-1"
	if req.Finger != nil && v.finger != nil {
		match, id = *v.finger, "IDEC-TEST-FINGER"
	}
	sim, d := 0.31, idec.DecisionNoMatch
	if match {
		sim, d = 0.982, idec.DecisionMatch
	}
	return idec.Result{Match: match, Similarity: sim, Decision: d, IDECRequestID: id, RequestID: "r1"}, nil
}

type harness struct {
	t    *testing.T
	srv  *Server
	ts   *httptest.Server
	url  string
	pipe *testPipeline
	ver  *testVerifier
	reg  *prometheus.Registry
}

func newHarness(t *testing.T, pipe *testPipeline, configure func(*Config)) *harness {
	t.Helper()
	return newHarnessCameras(t, pipe, nil, configure)
}

func newHarnessCameras(t *testing.T, pipe *testPipeline, cams Cameras, configure func(*Config)) *harness {
	t.Helper()
	keys, err := ParseKeys(strings.NewReader("# test keys\n" +
		keyAll + " kiosk,relay\n" + keyKiosk + " kiosk\n" + keyAdmin + " admin\n" + keyRelay + " relay\n"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := iin.ParseBIN(testBIN)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg := Config{Keys: keys, BIN: bin, Registerer: reg, Relay: RelayCamerasForTest}
	if configure != nil {
		configure(&cfg)
	}
	ver := &testVerifier{match: true}
	srv, err := New(cfg, pipe, ver, cams)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	h := &harness{t: t, srv: srv, ts: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/v1/session", pipe: pipe, ver: ver, reg: reg}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return h
}

// get returns the status of GET path on the gateway's handler.
func (h *harness) get(path string) int {
	h.t.Helper()
	resp, err := http.Get(h.ts.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) dialHeader(hdr http.Header) (*websocket.Conn, *http.Response, error) {
	ws, resp, err := websocket.DefaultDialer.Dial(h.url, hdr)
	if ws != nil {
		h.t.Cleanup(func() { ws.Close() })
	}
	return ws, resp, err
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

// dial opens a session with keyAll and reads hello and waiting_start.
func (h *harness) dial(key string) *client {
	h.t.Helper()
	ws, _, err := h.dialHeader(http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	c := &client{t: h.t, ws: ws}
	if m := c.next(); m.MessageType() != protocol.TypeHello {
		h.t.Fatalf("first message %T, want hello", m)
	}
	c.wantState(protocol.StateWaitingStart)
	return c
}

// next reads one message; it fails the test on a read error.
func (c *client) next() protocol.ServerMessage {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *client) read() (protocol.ServerMessage, error) {
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if typ != websocket.TextMessage {
		c.t.Fatalf("message type %d from the gateway", typ)
	}
	m, err := protocol.DecodeServer(data)
	if err != nil {
		c.t.Fatalf("decode %s: %v", data, err)
	}
	return m, nil
}

// skip reads until a message that is not quality, command or passive.
func (c *client) skip() protocol.ServerMessage {
	c.t.Helper()
	for {
		switch m := c.next(); m.(type) {
		case *protocol.Quality, *protocol.Command, *protocol.Passive, *protocol.Finger:
		default:
			return m
		}
	}
}

func (c *client) wantState(st protocol.SessionState) *protocol.State {
	c.t.Helper()
	m := c.skip()
	s, ok := m.(*protocol.State)
	if !ok || s.State != st {
		c.t.Fatalf("got %#v, want state %s", m, st)
	}
	return s
}

func (c *client) wantError(code protocol.ErrorCode) *protocol.ErrorMessage {
	c.t.Helper()
	m := c.skip()
	e, ok := m.(*protocol.ErrorMessage)
	if !ok || e.Code != code {
		c.t.Fatalf("got %#v, want error %s", m, code)
	}
	return e
}

// waitError reads up to an error message with code, skipping states,
// submitting and progress.
func (c *client) waitError(code protocol.ErrorCode) *protocol.ErrorMessage {
	c.t.Helper()
	for {
		switch m := c.skip().(type) {
		case *protocol.ErrorMessage:
			if m.Code != code {
				c.t.Fatalf("got %+v, want error %s", m, code)
			}
			return m
		case *protocol.Submitting, *protocol.State:
		default:
			c.t.Fatalf("got %#v, want error %s", m, code)
		}
	}
}

// wantResult reads up to the result, skipping progress, states before done
// and submitting.
func (c *client) wantResult() *protocol.Result {
	c.t.Helper()
	for {
		switch m := c.skip().(type) {
		case *protocol.Result:
			return m
		case *protocol.Submitting:
		case *protocol.State:
			if m.State == protocol.StateDone {
				c.t.Fatalf("done (%s) before a result", m.Reason)
			}
		default:
			c.t.Fatalf("got %#v, want result", m)
		}
	}
}

// wantClose reads until the close and checks its status.
func (c *client) wantClose(code int) {
	c.t.Helper()
	for {
		_, err := c.read()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			c.t.Fatalf("read: %v, want close %d", err, code)
		}
		return
	}
}

func (c *client) sendText(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) send(m protocol.Message) {
	c.t.Helper()
	b, err := protocol.Encode(m)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) sendFrame(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

func startMsg(subject string, mode protocol.CameraMode) *protocol.Start {
	return &protocol.Start{
		IIN: subject, Modality: protocol.ModalityFace, ClientNonce: testNonce,
		Consent: &protocol.Consent{TextID: "mfo-consent-biometrics-v3",
			TextSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			AcceptedAt: time.Now().Add(-5 * time.Second).UTC().Truncate(time.Second)},
		Camera: protocol.Camera{Mode: mode},
	}
}

// relaySession starts a relay session and pushes n frames.
func (c *client) relaySession(subject string, n int) {
	c.t.Helper()
	c.send(startMsg(subject, protocol.CameraRelay))
	c.wantState(protocol.StateCapturing)
	for i := 1; i <= n; i++ {
		if i > 1 {
			// The relay camera is a live source that keeps only the newest
			// frames: pace them like a camera would.
			time.Sleep(100 * time.Millisecond)
		}
		c.sendFrame(frameMsg(uint32(i), testJPEG))
	}
}

// kioskCameras opens "front", a camera that repeats testJPEG, and nothing
// else.
type kioskCameras struct{}

func (kioskCameras) Open(ctx context.Context, name string) (devices.Camera, error) {
	if name != "front" {
		return nil, fmt.Errorf("open %q: %w", name, devices.ErrNoDevice)
	}
	return &loopCamera{}, nil
}

// loopCamera is a live kiosk camera that delivers testJPEG at 50 fps.
type loopCamera struct{ seq uint64 }

func (c *loopCamera) Info() devices.Info {
	return devices.Info{Backend: "test", ID: "/dev/video-test", Live: true}
}

func (c *loopCamera) Read(ctx context.Context) (*devices.Frame, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(20 * time.Millisecond):
	}
	c.seq++
	return devices.NewFrame(c.seq, time.Now(), "test", devices.JPEG, 0, 0, 0, bytes.Clone(testJPEG), nil), nil
}

func (c *loopCamera) Close() error { return nil }
