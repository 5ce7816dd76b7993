package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway/protocol"
)

// previewPipeline reads Frames frames, offering each as a preview, and
// ends in a spoof (no IDEC request).
type previewPipeline struct{ Frames int }

func (p previewPipeline) Run(ctx context.Context, cam devices.Camera, opt PipelineOptions, ev PipelineEvents) (PipelineOutcome, error) {
	for range p.Frames {
		f, err := cam.Read(ctx)
		if err != nil {
			return PipelineOutcome{}, err
		}
		ev.Preview(f.Data, 32, 24)
		f.Close()
	}
	ev.Passive("spoof", 0.1, p.Frames)
	return PipelineOutcome{Verdict: VerdictSpoof}, nil
}

// previews runs one session in mode and counts the previews that arrive
// before the result.
func previews(t *testing.T, mode protocol.CameraMode) (int, time.Duration) {
	t.Helper()
	base := newHarness(t, &testPipeline{}, nil).srv.cfg // its keys and BIN
	srv, err := New(Config{Keys: base.Keys, BIN: base.BIN, Relay: base.Relay}, previewPipeline{Frames: 25}, &testVerifier{}, kioskCameras{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
	})
	h := &harness{t: t, srv: srv, ts: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/v1/session"}
	c := h.dial(keyAll)
	if mode == protocol.CameraRelay {
		c.relaySession(validIIN, 25)
	} else {
		st := startMsg(validIIN, mode)
		st.Camera.Name = "front"
		c.send(st)
	}
	n, t0 := 0, time.Now()
	for {
		m := c.next()
		switch m := m.(type) {
		case *protocol.Preview:
			if _, err := jpeg.Decode(bytes.NewReader(m.JPEG)); err != nil || m.Width != 32 || m.Height != 24 {
				t.Fatalf("preview %dx%d: %v", m.Width, m.Height, err)
			}
			n++
		case *protocol.Result:
			if m.Decision != protocol.DecisionSpoof {
				t.Fatalf("decision %s", m.Decision)
			}
			return n, time.Since(t0)
		}
	}
}

func TestPreviewKioskOnly(t *testing.T) {
	n, took := previews(t, protocol.CameraKiosk)
	if most := int(took.Seconds()*protocol.PreviewMaxPerSecond) + 1; n < 1 || n > most {
		t.Errorf("kiosk mode: %d previews in %v, want 1-%d", n, took, most)
	}
	if n, _ := previews(t, protocol.CameraRelay); n != 0 {
		t.Errorf("relay mode: %d previews, want none", n)
	}
}

func TestSubprotocolKey(t *testing.T) {
	h := newHarness(t, &testPipeline{}, nil)
	proto := func(key string) http.Header {
		return http.Header{"Sec-WebSocket-Protocol": {SubprotocolV1 + ", " + SubprotocolKeyPrefix + base64.RawURLEncoding.EncodeToString([]byte(key))}}
	}
	ws, resp, err := h.dialHeader(proto(keyAll))
	if err != nil {
		t.Fatalf("dial with the key as a subprotocol: %v", err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != SubprotocolV1 {
		t.Errorf("answered subprotocol %q, want %q alone", got, SubprotocolV1)
	}
	c := &client{t: t, ws: ws}
	if m := c.next(); m.MessageType() != protocol.TypeHello {
		t.Fatalf("first message %T", m)
	}
	for _, hdr := range []http.Header{
		proto("not-a-key-0123456789"),
		{"Sec-WebSocket-Protocol": {SubprotocolV1 + ", " + SubprotocolKeyPrefix + "!!!"}},
		{"Sec-WebSocket-Protocol": {SubprotocolV1}},
	} {
		_, resp, err := h.dialHeader(hdr)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%v: got %v, want 401", hdr, err)
		}
	}
	// A key-only scope still applies: an admin key cannot open sessions.
	if _, resp, _ := h.dialHeader(proto(keyAdmin)); resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin key as subprotocol: want 403")
	}
}

func TestUIMounted(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) })
	h := newHarness(t, &testPipeline{Frames: 1, Verdict: VerdictLive}, func(c *Config) { c.UI = ui })
	for path, want := range map[string]string{"/": "page /", "/app/dist/main.js": "page /app/dist/main.js", "/healthz": "ok\n"} {
		resp, err := http.Get(h.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("GET %s: %q, want %q", path, b, want)
		}
	}
	// Sessions still need their key.
	if _, resp, err := websocket.DefaultDialer.Dial(h.url, nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session without a key: %v", err)
	}
	h.dial(keyAll).relaySession(validIIN, 1)
}
