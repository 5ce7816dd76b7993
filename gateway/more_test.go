package gateway

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
)

func TestIDECErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   protocol.ErrorCode // fatal error sent, or ""
		reason string
		close  int
	}{
		{&idec.Error{Kind: idec.ErrUnknownIIN}, "", "unknown_iin", protocol.CloseNormal},
		{&idec.Error{Kind: idec.ErrNoReferencePhoto}, "", "no_reference_photo", protocol.CloseNormal},
		{&idec.Error{Kind: idec.ErrNoFace}, "", "no_face", protocol.CloseNormal},
		{&idec.Error{Kind: idec.ErrUnavailable}, protocol.CodeIDECUnavailable, "idec_unavailable", protocol.CloseTryAgainLater},
		{&idec.Error{Kind: idec.ErrTimeout}, protocol.CodeIDECTimeout, "idec_timeout", protocol.CloseTryAgainLater},
		{&idec.Error{Kind: idec.ErrBadResponse}, protocol.CodeInternal, "internal", protocol.CloseInternal},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, nil)
			h.ver.err = tc.err
			c := h.dial(keyAll)
			c.relaySession(validIIN, 1)
			if tc.code != "" {
				if e := c.waitError(tc.code); !e.Fatal {
					t.Fatalf("%+v", e)
				}
			}
			r := c.wantResult()
			if r.Decision != protocol.DecisionError || strings.Join(r.Reasons, ",") != tc.reason || r.Similarity != nil {
				t.Errorf("result %+v", r)
			}
			want := protocol.DoneCompleted
			if tc.code != "" {
				want = protocol.DoneError
			}
			if s := c.wantState(protocol.StateDone); s.Reason != want {
				t.Errorf("done reason %q, want %q", s.Reason, want)
			}
			c.wantClose(tc.close)
		})
	}
	// An error does not count for the lockout: the IIN can start again.
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.MaxAttempts = 1 })
	h.ver.err = &idec.Error{Kind: idec.ErrUnavailable}
	c := h.dial(keyAll)
	c.relaySession(validIIN, 1)
	c.waitError(protocol.CodeIDECUnavailable)
	c = h.dial(keyAll)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	c.wantState(protocol.StateCapturing)
}

func TestKioskSession(t *testing.T) {
	h := newHarnessCameras(t, &testPipeline{Frames: 3, Verdict: VerdictLive}, kioskCameras{}, nil)
	c := h.dial(keyKiosk)
	st := startMsg(validIIN, protocol.CameraKiosk)
	st.Camera.Name = "front"
	c.send(st)
	c.wantState(protocol.StateCapturing)
	c.sendFrame(frameMsg(1, testJPEG))
	c.wantError(protocol.CodeWrongMode)
	if r := c.wantResult(); r.Decision != protocol.DecisionMatch {
		t.Errorf("%+v", r)
	}
	h.ver.mu.Lock()
	if id := h.ver.reqs[0].Capture.DeviceID; strings.Contains(id, "/dev/") {
		t.Errorf("device id %q holds a device path", id)
	}
	h.ver.mu.Unlock()

	c = h.dial(keyKiosk)
	st.Camera.Name = "back"
	c.send(st)
	c.wantState(protocol.StateCapturing)
	c.waitError(protocol.CodeCameraUnavailable)
	if r := c.wantResult(); r.Decision != protocol.DecisionError || r.Reasons[0] != "camera_unavailable" {
		t.Errorf("%+v", r)
	}
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseTryAgainLater)
}

func TestIdleTimeout(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.Limits.StartSeconds, c.Limits.IdleSeconds = 1, 1 })
	c := h.dial(keyAll) // no start
	c.wantError(protocol.CodeStartTimeout)
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseNormal)

	c = h.dial(keyAll) // relay, no frame
	c.send(startMsg(validIIN, protocol.CameraRelay))
	c.wantState(protocol.StateCapturing)
	c.waitError(protocol.CodeIdleTimeout)
	if r := c.wantResult(); r.Reasons[0] != "idle_timeout" {
		t.Errorf("%+v", r)
	}
}

func TestSessionTimeout(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, func(c *Config) { c.Limits.SessionSeconds = 1 })
	c := h.dial(keyAll)
	c.relaySession(validIIN, 1)
	c.waitError(protocol.CodeSessionTimeout)
	if r := c.wantResult(); r.Reasons[0] != "session_timeout" {
		t.Errorf("%+v", r)
	}
	c.wantState(protocol.StateDone)
	c.wantClose(protocol.CloseNormal)
}

// TestNoForbiddenImports: the gateway never links gocv or gousb.
func TestNoForbiddenImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"gocv.io/", "github.com/google/gousb", "/capture", "/liveness"} {
			if strings.Contains(dep, bad) && !strings.HasPrefix(dep, "github.com/biogate/biogate/gateway") {
				t.Errorf("gateway depends on %s", dep)
			}
		}
	}
}

func TestHelloAndReadLimit(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive, Block: true}, func(c *Config) {
		c.Limits.MaxFrameBytes = 16 << 10
		c.MaxAttempts = 4
	})
	ws, _, err := h.dialHeader(http.Header{"X-API-Key": {keyAll}})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, ws: ws}
	hello, ok := c.next().(*protocol.Hello)
	if !ok {
		t.Fatal("no hello")
	}
	want := protocol.DefaultLimits
	want.MaxFrameBytes, want.MaxAttempts = 16<<10, 4
	if hello.Limits != want || len(hello.SessionID) != 36 || hello.FixedCommandsAllowed || len(hello.Versions) != 1 {
		t.Errorf("hello %+v", hello)
	}
	c.wantState(protocol.StateWaitingStart)
	c.relaySession(validIIN, 1)
	c.sendFrame(frameMsg(2, make([]byte, 16<<10+64<<10+relay.HeaderLen+1)))
	c.wantClose(websocket.CloseMessageTooBig)
}

// TestRelayWithoutCameras: a gateway configured without Config.Relay
// refuses relay sessions as it refuses kiosk sessions without Cameras.
func TestRelayWithoutCameras(t *testing.T) {
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.Relay = nil })
	c := h.dial(keyAll)
	c.send(startMsg(validIIN, protocol.CameraRelay))
	if e := c.wantError(protocol.CodeCameraUnavailable); !e.Fatal {
		t.Errorf("%+v: want fatal", e)
	}
}
