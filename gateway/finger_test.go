package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// The finger pipeline and readers of these tests are scripted: the real
// ones (package pipeline over package fingerprint, a folder or a replayed
// USB reader) run in cmd/biogated's TestFingerSessions and
// TestFingerSessionOnReplayedReader. Here the session's own logic is
// tested: states, messages, the IDEC request, the document, the refusals.

// testReaders opens "" (the default) and "usb:1-2"; a reader is held by
// one session at a time.
type testReaders struct {
	mu   sync.Mutex
	held map[string]bool
}

func (r *testReaders) Open(ctx context.Context, id string) (devices.FingerprintReader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id != "" && id != "usb:1-2" {
		return nil, fmt.Errorf("%w: %q", devices.ErrNoDevice, id)
	}
	if r.held[id] {
		return nil, devices.ErrBusy
	}
	r.held[id] = true
	return &testReader{release: func() { r.mu.Lock(); delete(r.held, id); r.mu.Unlock() }}, nil
}

type testReader struct{ release func() }

func (*testReader) Info() devices.FingerprintInfo { return devices.FingerprintInfo{Backend: "test"} }
func (*testReader) Capture(context.Context, ...devices.CaptureOption) (*devices.FingerprintImage, error) {
	return nil, errors.New("testReader: the scripted pipeline does not capture")
}
func (r *testReader) Close() error { r.release(); return nil }

// testFingers rejects one image, then keeps opt.Impressions; err, when
// set, is returned after the rejection; hold blocks until the session ends.
type testFingers struct {
	err  error
	hold bool
	opts []FingerOptions
}

func (p *testFingers) Run(ctx context.Context, r devices.FingerprintReader, opt FingerOptions, ev FingerEvents) (FingerOutcome, error) {
	p.opts = append(p.opts, opt)
	ev.Place(1, opt.Impressions)
	ev.Lift(1, opt.Impressions)
	ev.Rejected(1, opt.Impressions, 0, "no_finger")
	if p.hold {
		<-ctx.Done()
		return FingerOutcome{}, ctx.Err()
	}
	if p.err != nil {
		return FingerOutcome{}, p.err
	}
	for i := 1; i <= opt.Impressions; i++ {
		ev.Place(i, opt.Impressions)
		ev.Lift(i, opt.Impressions)
		ev.Captured(i, opt.Impressions, 60+i, "")
	}
	return FingerOutcome{Record: []byte("FIR\x00010\x00 a finger image record"), Width: 388, Height: 374, Quality: 60 + opt.Impressions,
		TemplateSHA256: strings.Repeat("ab", 32), Impressions: opt.Impressions, CapturedAt: time.Now(), Reader: "test"}, nil
}

func fingerStart(subject string, pos outcome.Finger) *protocol.Start {
	st := startMsg(subject, "")
	st.Modality, st.Camera, st.Finger = protocol.ModalityFinger, protocol.Camera{}, &protocol.FingerStart{Position: pos}
	return st
}

func newFingerHarness(t *testing.T, fingers *testFingers) *harness {
	return newHarness(t, &testPipeline{}, func(c *Config) {
		c.Readers, c.Fingers = &testReaders{held: map[string]bool{}}, fingers
	})
}

func TestFingerSession(t *testing.T) {
	fingers := &testFingers{}
	h := newFingerHarness(t, fingers)
	c := h.dial(keyAll)
	c.send(fingerStart(validIIN, outcome.LeftIndex))
	c.wantState(protocol.StateFinger)
	var statuses []protocol.FingerStatus
	for {
		m := c.next()
		if f, ok := m.(*protocol.Finger); ok {
			if f.Position != outcome.LeftIndex || f.Count != protocol.DefaultImpressions {
				t.Errorf("finger message %+v", f)
			}
			statuses = append(statuses, f.Status)
			continue
		}
		if st, ok := m.(*protocol.State); !ok || st.State != protocol.StateSubmitting {
			t.Fatalf("message %T %+v, want finger messages then state submitting", m, m)
		}
		break
	}
	if len(statuses) != 3+3*protocol.DefaultImpressions || statuses[2] != protocol.FingerRejected {
		t.Errorf("finger statuses %v", statuses)
	}
	res := c.wantResult()
	if res.Decision != protocol.DecisionMatch || res.Finger == nil || res.Finger.Position != outcome.LeftIndex || res.Finger.Impressions != 3 || res.Finger.Quality != 63 {
		t.Fatalf("result %+v, finger %+v", res, res.Finger)
	}
	if fingers.opts[0].MinQuality != DefaultFingerMinQuality || fingers.opts[0].IdleTimeout <= 0 {
		t.Errorf("pipeline options %+v", fingers.opts[0])
	}
	req := h.ver.reqs[0]
	if req.Photo != nil || req.Finger == nil || req.Finger.Position != 7 || req.Finger.Format != "iso19794-4" || req.Capture.Liveness != "" || req.Capture.Quality != 63 {
		t.Errorf("IDEC request: photo %d bytes, finger %+v, capture %+v", len(req.Photo), req.Finger, req.Capture)
	}
}

// testSigner is a document signer and the keys that verify it.
func testSigner(t *testing.T) (*document.KeySigner, document.KeySet) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := document.NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, document.KeySet{{ID: signer.KeyID(), Algorithm: signer.Algorithm(), Public: pub, NotBefore: time.Now().Add(-time.Hour)}}
}

func TestFingerSessionDocument(t *testing.T) {
	signer, keys := testSigner(t)
	h := newHarness(t, &testPipeline{}, func(c *Config) {
		c.Readers, c.Fingers, c.Signer = &testReaders{held: map[string]bool{}}, &testFingers{}, signer
	})
	c := h.dial(keyAll)
	c.send(fingerStart(validIIN, outcome.RightIndex))
	res := c.wantResult()
	doc, err := document.Verify(res.Document, keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Modality != document.ModalityFinger || doc.Finger == nil || doc.Finger.Position != outcome.RightIndex ||
		doc.Finger.Record == nil || doc.Finger.Record.Name != "finger-right_index" || doc.Device.Mode != document.ModeKiosk || doc.BestFrame != nil {
		t.Errorf("document %+v finger %+v", doc, doc.Finger)
	}
}

// face_and_finger: the face session first; only once IDEC matched the
// face is the fingerprint asked for, and it decides.
func TestFaceAndFingerSession(t *testing.T) {
	both := func(h *harness) *protocol.Result {
		c := h.dial(keyAll)
		st := startMsg(validIIN, protocol.CameraKiosk)
		st.Camera.Name = "front"
		st.Modality, st.Finger = protocol.ModalityFaceAndFinger, &protocol.FingerStart{Position: outcome.RightThumb, Impressions: 1}
		c.send(st)
		return c.wantResult()
	}
	signer, keys := testSigner(t)
	harness := func(t *testing.T, fingers *testFingers, face, finger bool) *harness {
		h := newHarnessCameras(t, &testPipeline{Frames: 3, Verdict: outcome.Live}, kioskCameras{}, func(c *Config) {
			c.Readers, c.Fingers, c.Signer = &testReaders{held: map[string]bool{}}, fingers, signer
		})
		h.ver.match, h.ver.finger = face, &finger
		return h
	}
	t.Run("both match", func(t *testing.T) {
		fingers := &testFingers{}
		h := harness(t, fingers, true, true)
		res := both(h)
		if res.Decision != protocol.DecisionMatch || res.Finger == nil || res.Finger.Similarity == nil || res.Finger.IDECRequestID != "IDEC-TEST-FINGER" ||
			res.IDECRequestID != "IDEC-TEST-1" || res.Similarity == nil || len(h.ver.reqs) != 2 || h.ver.reqs[0].Photo == nil || h.ver.reqs[1].Finger == nil {
			t.Fatalf("result %+v finger %+v, %d IDEC requests", res, res.Finger, len(h.ver.reqs))
		}
		doc, err := document.Verify(res.Document, keys, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if doc.Modality != document.ModalityFaceAndFinger || doc.IDEC == nil || doc.Finger == nil || doc.Finger.IDEC == nil ||
			doc.Finger.IDEC.RequestID != "IDEC-TEST-FINGER" || doc.BestFrame == nil || doc.Liveness.Attempts != 1 {
			t.Errorf("document %+v finger %+v", doc, doc.Finger)
		}
	})
	t.Run("face no_match: the finger is not asked", func(t *testing.T) {
		fingers := &testFingers{}
		h := harness(t, fingers, false, true)
		if res := both(h); res.Decision != protocol.DecisionNoMatch || res.Finger != nil || len(fingers.opts) != 0 || len(h.ver.reqs) != 1 {
			t.Fatalf("result %+v, finger pipeline runs %d, IDEC requests %d", res, len(fingers.opts), len(h.ver.reqs))
		}
	})
	t.Run("face match, finger no_match", func(t *testing.T) {
		h := harness(t, &testFingers{}, true, false)
		res := both(h)
		if res.Decision != protocol.DecisionNoMatch || res.Finger == nil || *res.Finger.Similarity > 0.5 {
			t.Fatalf("result %+v", res)
		}
		if _, err := document.Verify(res.Document, keys, time.Now()); err != nil {
			t.Error(err)
		}
	})
	t.Run("relay face, kiosk reader needs the kiosk scope", func(t *testing.T) {
		h := harness(t, &testFingers{}, true, true)
		c := h.dial(keyRelay)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Modality, st.Finger = protocol.ModalityFaceAndFinger, &protocol.FingerStart{Position: outcome.RightThumb}
		c.send(st)
		if e := c.wantError(protocol.CodeForbiddenScope); e.Fatal || e.Field != "modality" {
			t.Errorf("error %+v", e)
		}
	})
}

func TestFingerSessionRefusals(t *testing.T) {
	t.Run("no readers", func(t *testing.T) {
		h := newHarness(t, &testPipeline{}, nil)
		c := h.dial(keyAll)
		c.send(fingerStart(validIIN, outcome.RightIndex))
		c.wantError(protocol.CodeReaderUnavailable)
	})
	t.Run("relay key", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{})
		c := h.dial(keyRelay)
		c.send(fingerStart(validIIN, outcome.RightIndex))
		if e := c.wantError(protocol.CodeForbiddenScope); e.Fatal || e.Field != "modality" {
			t.Errorf("error %+v", e)
		}
	})
	t.Run("unknown reader", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{})
		c := h.dial(keyAll)
		st := fingerStart(validIIN, outcome.RightIndex)
		st.Finger.Reader = "dir:/etc"
		c.send(st)
		c.waitError(protocol.CodeReaderUnavailable)
		if res := c.wantResult(); res.Decision != protocol.DecisionError {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("reader held by another session", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{hold: true})
		a := h.dial(keyAll)
		a.send(fingerStart(validIIN, outcome.RightIndex))
		a.wantState(protocol.StateFinger)
		a.next() // place: the reader is held
		b := h.dial(keyAll)
		b.send(fingerStart(otherIIN, outcome.RightIndex))
		b.waitError(protocol.CodeReaderUnavailable)
	})
	t.Run("no usable finger", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{err: ErrNoUsableFinger})
		c := h.dial(keyAll)
		c.send(fingerStart(validIIN, outcome.RightIndex))
		if res := c.wantResult(); res.Decision != protocol.DecisionError || len(res.Reasons) != 1 || res.Reasons[0] != "no_finger" {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("reader stops answering", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{err: fmt.Errorf("usbfp: %w", devices.ErrTimeout)})
		c := h.dial(keyAll)
		c.send(fingerStart(validIIN, outcome.RightIndex))
		c.waitError(protocol.CodeIdleTimeout)
		if res := c.wantResult(); res.Decision != protocol.DecisionError || res.Reasons[0] != "idle_timeout" {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("no_match counts a failure", func(t *testing.T) {
		h := newFingerHarness(t, &testFingers{})
		h.ver.match = false
		for i := 0; i < 3; i++ {
			c := h.dial(keyAll)
			c.send(fingerStart(validIIN, outcome.RightIndex))
			if res := c.wantResult(); res.Decision != protocol.DecisionNoMatch {
				t.Fatalf("session %d: %+v", i, res)
			}
		}
		c := h.dial(keyAll)
		c.send(fingerStart(validIIN, outcome.RightIndex))
		c.waitError(protocol.CodeLockedOut)
	})
}

// The reader is released as soon as the impressions are taken, before
// IDEC is asked and so before the result goes out: a client that starts
// again the moment it has its result (a retry after no_match, the next
// person at a kiosk) finds the reader free, not busy.
func TestFingerReaderFreeBeforeIDEC(t *testing.T) {
	h := newFingerHarness(t, &testFingers{})
	readers := h.srv.cfg.Readers.(*testReaders)
	var heldAtIDEC []bool
	h.ver.asked = func(idec.Request) {
		readers.mu.Lock()
		heldAtIDEC = append(heldAtIDEC, readers.held[""])
		readers.mu.Unlock()
	}
	for i, subject := range []string{validIIN, otherIIN} {
		c := h.dial(keyAll)
		c.send(fingerStart(subject, outcome.LeftIndex))
		if res := c.wantResult(); res.Decision != protocol.DecisionMatch {
			t.Fatalf("session %d: %s %v, want match", i, res.Decision, res.Reasons)
		}
	}
	h.ver.mu.Lock()
	defer h.ver.mu.Unlock()
	if len(heldAtIDEC) != 2 || heldAtIDEC[0] || heldAtIDEC[1] {
		t.Errorf("reader held when IDEC was asked: %v, want [false false]", heldAtIDEC)
	}
}
