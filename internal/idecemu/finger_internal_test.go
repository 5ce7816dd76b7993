package idecemu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	fprecord "github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/testenv"
)

const testIIN = "790303402568"

func readFVC(t testing.TB, name string) *devices.FingerprintImage {
	t.Helper()
	img, err := fingerprint.ReadImage(filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestFingerFaultCode(t *testing.T) {
	for status, want := range map[int]string{503: "unavailable", 429: "unavailable", 500: "internal",
		409: "no_reference_finger", 404: "unknown_iin", 422: "no_finger", 400: "invalid_request"} {
		if got := fingerFaultCode(status); got != want {
			t.Errorf("%d: %q, want %q", status, got, want)
		}
	}
}

func TestParseFingerFile(t *testing.T) {
	name := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for pos := 1; pos <= 10; pos++ {
		if n, p, ok := parseFingerFile(fingerFile(name, pos)); !ok || n != name || p != pos {
			t.Errorf("position %d: %q %d %v", pos, n, p, ok)
		}
	}
	for _, f := range []string{name + ".emb", name + ".f0.fmr", name + ".f11.fmr", name + ".f02.fmr", name + ".f+2.fmr",
		name + ".f.fmr", name + ".f2.fmr.tmp", "790303402568.f2.fmr", "." + name + ".f2.fmr.tmp-123", name[1:] + ".f2.fmr"} {
		if _, _, ok := parseFingerFile(f); ok {
			t.Errorf("%q parsed as a finger file", f)
		}
	}
}

// TestFingerWorkTakesMatcherSlots: fingerprint decoding and comparison run
// in the matchers' pool, so when its slot and queue are taken a
// verification is 503 unavailable rather than one more goroutine at work;
// once the slot is free it is decided.
func TestFingerWorkTakesMatcherSlots(t *testing.T) {
	g, _, err := openGallery(t.TempDir(), "", "model-sha")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := fingerprint.Extract(readFVC(t, "101_1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.storeFinger(testIIN, 2, ref, 90); err != nil {
		t.Fatal(err)
	}
	p := &pool{free: make(chan *matcher, 1), waiting: make(chan struct{}, 1)}
	p.free <- &matcher{}
	s := &Server{cfg: Config{FingerThreshold: fingerprint.DefaultThreshold, ReferenceSource: DefaultReferenceSource},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), gallery: g, pool: p, closing: make(chan struct{})}

	rec, err := fingerprint.ImageRecord(readFVC(t, "101_2"), 2, 80, fprecord.PNG)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := checkSample(idechttp.FingerSample{Position: 2, Format: idec.FormatFingerImage, Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	req := &idechttp.FingerVerifyRequest{RequestID: newUUID(), IIN: testIIN}

	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- p.do(context.Background(), nil, func(*matcher) error { close(held); <-hold; return nil })
	}()
	<-held
	a, outcome := s.matchFinger(context.Background(), req, fs)
	if a.status != http.StatusServiceUnavailable || outcome != idechttp.CodeUnavailable {
		t.Errorf("with the only slot taken: %d %s, want 503", a.status, outcome)
	}
	if err := s.EnrollFinger(context.Background(), testIIN, idechttp.FingerSample{Position: 3, Format: idec.FormatFingerImage, Record: rec}); !errors.Is(err, ErrBusy) {
		t.Errorf("enrolment with the only slot taken: %v, want ErrBusy", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a, outcome = s.matchFinger(context.Background(), req, fs)
	if a.status != http.StatusOK || outcome != idechttp.DecisionMatch {
		t.Errorf("with the slot free: %d %s %s", a.status, outcome, a.body)
	}
}

// FuzzFingerSample: whatever the record, checking and decoding a sample
// do not panic and fail only with ErrBadFinger (400) or ErrNoFinger (422);
// a sample that decodes gives a template with minutiae.
func FuzzFingerSample(f *testing.F) {
	img := readFVC(f, "101_1")
	png, err := fingerprint.ImageRecord(img, 2, 80, fprecord.PNG)
	if err != nil {
		f.Fatal(err)
	}
	tmpl, err := fingerprint.Extract(img)
	if err != nil {
		f.Fatal(err)
	}
	fmr, err := tmpl.MinutiaeRecord(fprecord.ISO19794_2_2005, 2, 60)
	if err != nil {
		f.Fatal(err)
	}
	ansi, err := tmpl.MinutiaeRecord(fprecord.ANSI378_2004, 2, 60)
	if err != nil {
		f.Fatal(err)
	}
	// A small uncompressed record of noise: cheap to extract from.
	noise := make([]byte, 96*96)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	raw, err := (&fprecord.ImageRecord{ScaleUnits: fprecord.PixelsPerInch, ScanXResolution: 500, ScanYResolution: 500,
		XResolution: 500, YResolution: 500, PixelDepth: 8, Compression: fprecord.Uncompressed,
		Fingers: []fprecord.FingerImage{{Position: 2, ViewCount: 1, ViewNumber: 1, Width: 96, Height: 96, Data: noise}}}).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(2, true, png)
	f.Add(2, true, raw)
	f.Add(2, false, fmr)
	f.Add(2, false, ansi)
	f.Add(0, true, raw)
	f.Add(7, true, raw[:len(raw)-1])
	f.Add(7, false, fmr[:20])
	f.Add(1, true, []byte("FIR\x00010\x00"))
	f.Add(1, false, []byte("FMR\x00 20\x00"))
	f.Add(10, true, []byte{})
	f.Fuzz(func(t *testing.T, pos int, image bool, b []byte) {
		format := idec.FormatFingerMinutiae
		if image {
			format = idec.FormatFingerImage
		}
		fs, err := checkSample(idechttp.FingerSample{Position: pos, Format: format, Record: b})
		if err != nil {
			if !errors.Is(err, ErrBadFinger) {
				t.Fatalf("checkSample: %v, want ErrBadFinger", err)
			}
			return
		}
		tm, _, err := fs.template()
		switch {
		case err == nil && len(tm.Minutiae) == 0:
			t.Fatal("a template without minutiae")
		case err != nil && !errors.Is(err, ErrBadFinger) && !errors.Is(err, ErrNoFinger):
			t.Fatalf("template: %v, want ErrBadFinger or ErrNoFinger", err)
		}
	})
}
