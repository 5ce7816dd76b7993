package idecemu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
)

// rawImageRecord is a one-finger ISO/IEC 19794-4 record at 500 ppi whose
// data is taken as it is, to build records that parse but do not decode.
func rawImageRecord(t testing.TB, c record.Compression, w, h int, data []byte) []byte {
	t.Helper()
	rec := &record.ImageRecord{ScaleUnits: record.PixelsPerInch, ScanXResolution: 500, ScanYResolution: 500,
		XResolution: 500, YResolution: 500, PixelDepth: 8, Compression: c, AcquisitionLevel: 31,
		Fingers: []record.FingerImage{{Position: rightIndex, ViewCount: 1, ViewNumber: 1, Quality: 80,
			Impression: record.LiveScanPlain, Width: uint16(w), Height: uint16(h), Data: data}}}
	b, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyFingerErrors: malformed requests are 400 invalid_request, with
// an IDEC request id only when the record parsed but its content did not
// decode (that is found in a matcher's slot, after the request id was
// taken).
func TestVerifyFingerErrors(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	img := imageSample(t, fvcImage(t, "101_2"), rightIndex)
	fmr := minutiaeSample(t, fvcImage(t, "101_3"), rightIndex)
	tmpl, err := fingerprint.TemplateFromRecord(fmr.Record)
	if err != nil {
		t.Fatal(err)
	}
	ansi, err := tmpl.MinutiaeRecord(record.ANSI378_2004, rightIndex, 60)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(pos int, format string, rec []byte) idechttp.FingerSample {
		return idechttp.FingerSample{Position: pos, Format: format, Record: rec}
	}
	with := func(f func(*idechttp.FingerVerifyRequest)) idechttp.FingerVerifyRequest {
		r := newFingerRequest(obamaIIN, img)
		f(&r)
		return r
	}
	withSample := func(s idechttp.FingerSample) idechttp.FingerVerifyRequest { return newFingerRequest(obamaIIN, s) }
	png := img.Record[bytes.Index(img.Record, []byte("\x89PNG")):]
	for _, tc := range []struct {
		name   string
		req    idechttp.FingerVerifyRequest
		idecID bool
	}{
		{"position 0", withSample(sample(0, idec.FormatFingerImage, img.Record)), false},
		{"position 11", withSample(sample(11, idec.FormatFingerImage, img.Record)), false},
		{"position negative", withSample(sample(-2, idec.FormatFingerImage, img.Record)), false},
		{"format wsq", withSample(sample(rightIndex, "wsq", img.Record)), false},
		{"format missing", withSample(sample(rightIndex, "", img.Record)), false},
		{"format in capitals", withSample(sample(rightIndex, "ISO19794-4", img.Record)), false},
		{"no record", withSample(sample(rightIndex, idec.FormatFingerImage, nil)), false},
		{"garbage record", withSample(sample(rightIndex, idec.FormatFingerImage, []byte("this is no fingerprint at all"))), false},
		{"garbage minutiae record", withSample(sample(rightIndex, idec.FormatFingerMinutiae, []byte("FMR\x00 20\x00\x00\x00\x00\x10garbage!"))), false},
		{"minutiae record sent as an image record", withSample(sample(rightIndex, idec.FormatFingerImage, fmr.Record)), false},
		{"image record sent as a minutiae record", withSample(sample(rightIndex, idec.FormatFingerMinutiae, img.Record)), false},
		{"bare PNG, no record", withSample(sample(rightIndex, idec.FormatFingerImage, png)), false},
		{"ANSI 378 record as ISO 19794-2", withSample(sample(rightIndex, idec.FormatFingerMinutiae, ansi)), false},
		{"truncated image record", withSample(sample(rightIndex, idec.FormatFingerImage, img.Record[:len(img.Record)/2])), false},
		{"truncated minutiae record", withSample(sample(rightIndex, idec.FormatFingerMinutiae, fmr.Record[:len(fmr.Record)-3])), false},
		{"record too large", withSample(sample(rightIndex, idec.FormatFingerImage, append(bytes.Clone(img.Record), make([]byte, idec.MaxFingerRecord)...))), false},
		{"JPEG 2000 inside", withSample(sample(rightIndex, idec.FormatFingerImage, rawImageRecord(t, record.JPEG2000, 388, 374, []byte("jp2 data")))), true},
		{"PNG inside is garbage", withSample(sample(rightIndex, idec.FormatFingerImage, rawImageRecord(t, record.PNG, 388, 374, []byte("\x89PNG\r\n\x1a\nnot really")))), true},
		{"PNG inside of another size", withSample(sample(rightIndex, idec.FormatFingerImage, rawImageRecord(t, record.PNG, 100, 100, png))), true},
		{"bad IIN check digit", with(func(r *idechttp.FingerVerifyRequest) { r.IIN = "790303402569" }), false},
		{"bad BIN", with(func(r *idechttp.FingerVerifyRequest) { r.BIN = "971240001316" }), false},
		{"no consent", with(func(r *idechttp.FingerVerifyRequest) { r.ConsentRef = "" }), false},
		{"quality below 0", with(func(r *idechttp.FingerVerifyRequest) { r.Capture.Quality = -1 }), false},
		{"request id not a UUID", with(func(r *idechttp.FingerVerifyRequest) { r.RequestID = "req-1" }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.verifyFinger(t, tc.req, "")
			if r.status != http.StatusBadRequest || r.err.Code != idechttp.CodeInvalidRequest || r.err.Message == "" {
				t.Fatalf("got %d %+v, want 400 %s", r.status, r.err, idechttp.CodeInvalidRequest)
			}
			if (r.err.IDECRequestID != "") != tc.idecID {
				t.Errorf("idec_request_id %q", r.err.IDECRequestID)
			}
			t.Logf("message: %s", r.err.Message)
		})
	}

	t.Run("request id header differs", func(t *testing.T) {
		req := newFingerRequest(obamaIIN, img)
		resp, body, err := e.post(idechttp.PathVerifyFinger, req, map[string]string{idechttp.HeaderRequestID: uuid()})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || !strings.Contains(string(body), idechttp.CodeInvalidRequest) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("a face request at the finger endpoint", func(t *testing.T) {
		req := newRequest(obamaIIN, photo(t, "obama2.jpg"))
		resp, body, err := e.post(idechttp.PathVerifyFinger, req, map[string]string{idechttp.HeaderRequestID: req.RequestID})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || !strings.Contains(string(body), "unknown field") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := e.hc.Get(e.srv.URL + idechttp.PathVerifyFinger)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET: %d", resp.StatusCode)
		}
	})
	// The errors did not disturb the enrolled finger.
	if r := e.verifyFinger(t, newFingerRequest(obamaIIN, img), ""); r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("after the errors: %d %+v %+v", r.status, r.ok, r.err)
	}
}

func TestEnrollFingerErrors(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	img := imageSample(t, fvcImage(t, "101_1"), rightIndex)
	for _, tc := range []struct {
		name   string
		iin    string
		sample idechttp.FingerSample
		status int
		code   string
	}{
		{"bad IIN", "790303402569", img, 400, idechttp.CodeInvalidRequest},
		{"position 0", obamaIIN, idechttp.FingerSample{Position: 0, Format: img.Format, Record: img.Record}, 400, idechttp.CodeInvalidRequest},
		{"unknown format", obamaIIN, idechttp.FingerSample{Position: 1, Format: "ansi378", Record: img.Record}, 400, idechttp.CodeInvalidRequest},
		{"garbage record", obamaIIN, idechttp.FingerSample{Position: 1, Format: img.Format, Record: []byte("FIR\x00010\x00rubbish")}, 400, idechttp.CodeInvalidRequest},
		{"blank image", obamaIIN, imageSample(t, blankImage(), rightIndex), 422, idechttp.CodeNoFinger},
		{"minutiae record without minutiae", obamaIIN, emptyMinutiaeSample(t), 422, idechttp.CodeNoFinger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, er := e.enrollFinger(t, tc.iin, tc.sample)
			if status != tc.status || er.Code != tc.code || er.Message == "" {
				t.Errorf("got %d %+v, want %d %s", status, er, tc.status, tc.code)
			}
		})
	}
	// Nothing was enrolled by the failures.
	if r := e.verifyFinger(t, newFingerRequest(obamaIIN, img), ""); r.status != http.StatusNotFound {
		t.Errorf("after failed enrolments: %d %+v", r.status, r.err)
	}
}

// emptyMinutiaeSample is a valid ISO/IEC 19794-2 record with one view of
// the right index and no minutiae.
func emptyMinutiaeSample(t testing.TB) idechttp.FingerSample {
	t.Helper()
	tmpl, err := fingerprint.NewTemplate(388, 374, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := tmpl.MinutiaeRecord(record.ISO19794_2_2005, rightIndex, 0)
	if err != nil {
		t.Fatal(err)
	}
	return idechttp.FingerSample{Position: rightIndex, Format: idec.FormatFingerMinutiae, Record: rec}
}

// TestVerifyFingerIdempotency: a retry gets the first answer (the same
// idec_request_id), the same id with another body, or used for a face,
// is 409 request_id_reused.
func TestVerifyFingerIdempotency(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	e.enroll(t, bidenIIN, photo(t, "biden.jpg"))
	req := newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex))
	first := e.verifyFinger(t, req, "")
	if first.status != 200 || first.ok.IDECRequestID == "" {
		t.Fatalf("first: %d %+v", first.status, first.err)
	}
	again := e.verifyFinger(t, req, "")
	if again.status != 200 || again.ok.IDECRequestID != first.ok.IDECRequestID || string(again.raw) != string(first.raw) {
		t.Errorf("retry answered %d %s, want the first answer %s", again.status, again.raw, first.raw)
	}
	for name, mutate := range map[string]func(*idechttp.FingerVerifyRequest){
		"other impression": func(r *idechttp.FingerVerifyRequest) { r.Finger = imageSample(t, fvcImage(t, "101_3"), rightIndex) },
		"other position":   func(r *idechttp.FingerVerifyRequest) { r.Finger.Position = 3 },
		"other IIN":        func(r *idechttp.FingerVerifyRequest) { r.IIN = bidenIIN },
		"other quality":    func(r *idechttp.FingerVerifyRequest) { r.Capture.Quality = 12 },
	} {
		changed := req
		mutate(&changed)
		if r := e.verifyFinger(t, changed, ""); r.status != http.StatusConflict || r.err.Code != idechttp.CodeConflict {
			t.Errorf("%s: got %d %+v, want 409 %s", name, r.status, r.err, idechttp.CodeConflict)
		}
	}
	face := newRequest(bidenIIN, photo(t, "biden.jpg"))
	face.RequestID = req.RequestID
	if r := e.verify(t, face, ""); r.status != http.StatusConflict || r.err.Code != idechttp.CodeConflict {
		t.Errorf("the id of a fingerprint verification reused for a face: %d %+v", r.status, r.err)
	}
	if r := e.verifyFinger(t, req, ""); string(r.raw) != string(first.raw) {
		t.Errorf("after conflicts: %s", r.raw)
	}
	// A final error is recorded too: a 409 replays its IDEC id.
	missing := newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "101_2"), 4))
	m1, m2 := e.verifyFinger(t, missing, ""), e.verifyFinger(t, missing, "")
	if m1.status != 409 || m2.status != 409 || m1.err.IDECRequestID == "" || m1.err.IDECRequestID != m2.err.IDECRequestID {
		t.Errorf("409 not replayed: %+v %+v", m1.err, m2.err)
	}
}

// TestVerifyFingerFaults: injected faults apply to fingerprint
// verifications as to faces, with the fingerprint's codes; enrolment is
// never faulted.
func TestVerifyFingerFaults(t *testing.T) {
	e := newEnv(t, idecemu.Config{Faults: idecemu.Faults{Status: http.StatusServiceUnavailable}})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	probe := imageSample(t, fvcImage(t, "101_2"), rightIndex)
	for fault, want := range map[string]struct {
		status int
		code   string
	}{
		"":           {503, idechttp.CodeUnavailable}, // the configured fault
		"status=409": {409, idechttp.CodeNoReferenceFinger},
		"status=422": {422, idechttp.CodeNoFinger},
		"status=404": {404, idechttp.CodeUnknownIIN},
		"status=500": {500, idechttp.CodeInternal},
		"explode":    {400, idechttp.CodeInvalidRequest},
	} {
		r := e.verifyFinger(t, newFingerRequest(obamaIIN, probe), fault)
		if r.status != want.status || r.err.Code != want.code {
			t.Errorf("fault %q: %d %+v, want %d %s", fault, r.status, r.err, want.status, want.code)
		}
	}

	// A reset after processing: the answer is recorded, so the retry gets
	// the decision the lost answer carried.
	e = newEnv(t, idecemu.Config{})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	req := newFingerRequest(obamaIIN, probe)
	if _, _, err := e.post(idechttp.PathVerifyFinger, req, map[string]string{idechttp.HeaderRequestID: req.RequestID, idecemu.HeaderFault: "reset"}); err == nil {
		t.Fatal("reset: got an answer")
	}
	if r := e.verifyFinger(t, req, ""); r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("retry after a reset: %d %+v", r.status, r.err)
	}
	req = newFingerRequest(obamaIIN, probe)
	resp, body, err := e.post(idechttp.PathVerifyFinger, req, map[string]string{idechttp.HeaderRequestID: req.RequestID, idecemu.HeaderFault: "malformed"})
	if err != nil || resp.StatusCode != 200 || json.Valid(body) {
		t.Errorf("malformed: %v %s", err, body)
	}
}
