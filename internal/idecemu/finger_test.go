package idecemu_test

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/fingerprint/record"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
)

// rightIndex is the finger the tests enrol: ISO/IEC 19794 position 2.
const rightIndex = 2

// fvcImage reads an FVC2002 DB1_B impression (500 ppi), e.g. "101_1".
func fvcImage(t testing.TB, name string) *devices.FingerprintImage {
	t.Helper()
	img, err := fingerprint.ReadImage(filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", "DB1_B", name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	img.PPI = 500
	return img
}

// imageSample is img as an ISO/IEC 19794-4 record (PNG inside: the WSQ
// encoder is not there yet) of finger pos.
func imageSample(t testing.TB, img *devices.FingerprintImage, pos int) idechttp.FingerSample {
	t.Helper()
	rec, err := fingerprint.ImageRecord(img, pos, 80, record.PNG)
	if err != nil {
		t.Fatal(err)
	}
	return idechttp.FingerSample{Position: pos, Format: idec.FormatFingerImage, Record: rec}
}

// minutiaeSample is the template extracted from img as an ISO/IEC 19794-2
// record of finger pos.
func minutiaeSample(t testing.TB, img *devices.FingerprintImage, pos int) idechttp.FingerSample {
	t.Helper()
	tmpl, err := fingerprint.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := tmpl.MinutiaeRecord(record.ISO19794_2_2005, pos, 60)
	if err != nil {
		t.Fatal(err)
	}
	return idechttp.FingerSample{Position: pos, Format: idec.FormatFingerMinutiae, Record: rec}
}

// blankImage is a white image of an FVC DB1 impression's size: no finger.
func blankImage() *devices.FingerprintImage {
	img := &devices.FingerprintImage{Width: 388, Height: 374, PPI: 500, Pix: make([]byte, 388*374)}
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return img
}

// newFingerRequest is a valid fingerprint verification of id with sample
// and a fresh request id.
func newFingerRequest(id string, sample idechttp.FingerSample) idechttp.FingerVerifyRequest {
	r := newRequest(id, nil)
	r.Capture.Liveness = ""
	r.Capture.DeviceID = "kiosk-1/fp0"
	return idechttp.FingerVerifyRequest{RequestID: r.RequestID, IIN: id, BIN: r.BIN, ConsentRef: r.ConsentRef, Finger: sample, Capture: r.Capture}
}

// verifyFinger posts req to PathVerifyFinger with its X-Request-ID and an
// optional fault header, failing the test on a transport error or an
// undecodable body.
func (e *env) verifyFinger(t testing.TB, req idechttp.FingerVerifyRequest, fault string) result {
	t.Helper()
	hdr := map[string]string{idechttp.HeaderRequestID: req.RequestID}
	if fault != "" {
		hdr[idecemu.HeaderFault] = fault
	}
	resp, body, err := e.post(idechttp.PathVerifyFinger, req, hdr)
	if err != nil {
		t.Fatalf("verify finger: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: body}
	dst := any(&r.err)
	if r.status == http.StatusOK {
		dst = &r.ok
	}
	if err := json.Unmarshal(body, dst); err != nil {
		t.Fatalf("status %d, body not JSON: %v: %q", r.status, err, body)
	}
	return r
}

// enrollFinger posts a FingerEnrollRequest and returns the status and the
// error body (zero on 204).
func (e *env) enrollFinger(t testing.TB, id string, sample idechttp.FingerSample) (int, idechttp.ErrorResponse) {
	t.Helper()
	resp, body, err := e.post(idechttp.PathEnrollFinger, idechttp.FingerEnrollRequest{IIN: id, Finger: sample}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var er idechttp.ErrorResponse
	if resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(body, &er); err != nil {
			t.Fatalf("enroll finger: %d, body not JSON: %q", resp.StatusCode, body)
		}
	}
	return resp.StatusCode, er
}

// mustEnrollFinger is enrollFinger wanting 204.
func (e *env) mustEnrollFinger(t testing.TB, id string, sample idechttp.FingerSample) {
	t.Helper()
	if status, er := e.enrollFinger(t, id, sample); status != http.StatusNoContent {
		t.Fatalf("enroll finger: %d %+v", status, er)
	}
}

// score recovers fingerprint.Compare's score from a reported similarity
// (FingerSimilarity's inverse), for the log.
func score(sim float64) float64 {
	return -fingerprint.DefaultThreshold * math.Log2(1-sim)
}

// TestVerifyFinger enrols impression 1 of FVC2002 DB1_B finger 101 as an
// image record over the admin endpoint and verifies other impressions,
// another finger, a minutiae record, a blank image, a finger not enrolled,
// a person with a photo only and an unknown IIN.
func TestVerifyFinger(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	e.enroll(t, bidenIIN, photo(t, "biden.jpg")) // a photo, no fingerprint

	for _, tc := range []struct {
		name     string
		iin      string
		sample   idechttp.FingerSample
		status   int
		code     string // for an error
		decision string // for a 200
	}{
		{"same finger, impression 2", obamaIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex), 200, "", idechttp.DecisionMatch},
		{"same finger, impression 4", obamaIIN, imageSample(t, fvcImage(t, "101_4"), rightIndex), 200, "", idechttp.DecisionMatch},
		{"same finger, minutiae record of impression 3", obamaIIN, minutiaeSample(t, fvcImage(t, "101_3"), rightIndex), 200, "", idechttp.DecisionMatch},
		{"another finger", obamaIIN, imageSample(t, fvcImage(t, "102_1"), rightIndex), 200, "", idechttp.DecisionNoMatch},
		{"another finger, minutiae record", obamaIIN, minutiaeSample(t, fvcImage(t, "103_1"), rightIndex), 200, "", idechttp.DecisionNoMatch},
		{"blank image", obamaIIN, imageSample(t, blankImage(), rightIndex), 422, idechttp.CodeNoFinger, ""},
		{"finger not enrolled", obamaIIN, imageSample(t, fvcImage(t, "101_2"), 3), 409, idechttp.CodeNoReferenceFinger, ""},
		{"photo but no fingerprint", bidenIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex), 409, idechttp.CodeNoReferenceFinger, ""},
		{"unknown IIN", otherIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex), 404, idechttp.CodeUnknownIIN, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newFingerRequest(tc.iin, tc.sample)
			r := e.verifyFinger(t, req, "")
			if r.status != tc.status {
				t.Fatalf("status %d %+v, want %d", r.status, r.err, tc.status)
			}
			if got := r.header.Get(idechttp.HeaderRequestID); got != req.RequestID {
				t.Errorf("X-Request-ID %q, want it echoed", got)
			}
			if tc.status != 200 {
				if r.err.Code != tc.code || r.err.IDECRequestID == "" {
					t.Errorf("error %+v, want code %s with an IDEC id", r.err, tc.code)
				}
				return
			}
			v := r.ok
			t.Logf("similarity %.4f (score %.2f, threshold %.2f)", v.Similarity, score(v.Similarity), fingerprint.DefaultThreshold)
			if v.Decision != tc.decision || v.RequestID != req.RequestID || v.IDECRequestID == "" ||
				v.ReferenceSource != idecemu.DefaultReferenceSource || v.Time.IsZero() {
				t.Errorf("answer %+v, want decision %s", v, tc.decision)
			}
			if match := tc.decision == idechttp.DecisionMatch; match != (v.Similarity > 0.5) || v.Similarity < 0 || v.Similarity >= 1 {
				t.Errorf("similarity %v with decision %s: want > 0.5 exactly for a match, within [0, 1)", v.Similarity, v.Decision)
			}
		})
	}

	// A person enrolled with fingerprints only has no reference photo: 409,
	// not 404.
	r := e.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), "")
	if r.status != http.StatusConflict || r.err.Code != idechttp.CodeNoReferencePhoto {
		t.Errorf("face verification of a person with fingerprints only: %d %+v, want 409 %s", r.status, r.err, idechttp.CodeNoReferencePhoto)
	}
}

// TestVerifyFingerThreshold: the decision follows Config.FingerThreshold
// on the score, and the similarity is 0.5 at it.
func TestVerifyFingerThreshold(t *testing.T) {
	e := newEnv(t, idecemu.Config{FingerThreshold: 10000})
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	r := e.verifyFinger(t, newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex)), "")
	if r.status != 200 || r.ok.Decision != idechttp.DecisionNoMatch || r.ok.Similarity <= 0 || r.ok.Similarity >= 0.5 {
		t.Errorf("a genuine pair under a threshold no score reaches: %d %+v", r.status, r.ok)
	}
}

func TestFingerSimilarity(t *testing.T) {
	const th = fingerprint.DefaultThreshold
	for _, tc := range []struct{ score, want float64 }{
		{0, 0}, {-5, 0}, {math.NaN(), 0}, {th, 0.5}, {2 * th, 0.75}, {3 * th, 0.875}, {math.Inf(1), 1},
	} {
		if got := idecemu.FingerSimilarity(tc.score, th); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("FingerSimilarity(%v) = %v, want %v", tc.score, got, tc.want)
		}
	}
	prev := 0.0
	for s := 0.5; s < 500; s += 0.5 {
		got := idecemu.FingerSimilarity(s, th)
		if got <= prev || got >= 1 || (got >= 0.5) != (s >= th) {
			t.Fatalf("FingerSimilarity(%v) = %v after %v: want increasing, below 1, >= 0.5 exactly from the threshold", s, got, prev)
		}
		prev = got
	}
}

// TestFingerGallery: the finger's file is an ISO/IEC 19794-2 record of
// that finger, named by the keyed hash, 0600; another finger and the photo
// are kept beside it; a re-enrolment by another Server on the same folder
// is seen by the next verification.
func TestFingerGallery(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	e.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	e.mustEnrollFinger(t, obamaIIN, minutiaeSample(t, fvcImage(t, "102_1"), 7))

	name := idecemu.GalleryName(e.emu, obamaIIN)
	for pos, probe := range map[int]string{rightIndex: "101_2", 7: "102_2"} {
		p := filepath.Join(e.dir, name+".f"+strconv.Itoa(pos)+".fmr")
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("finger %d: mode %v", pos, st.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := record.DecodeISO19794_2(b)
		if err != nil || len(rec.Views) != 1 || int(rec.Views[0].Position) != pos || len(rec.Views[0].Minutiae) == 0 {
			t.Errorf("finger %d: file is not an ISO/IEC 19794-2 record of that finger: %v", pos, err)
		}
		if r := e.verifyFinger(t, newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, probe), pos)), ""); r.ok.Decision != idechttp.DecisionMatch {
			t.Errorf("finger %d against %s: %d %+v %+v", pos, probe, r.status, r.ok, r.err)
		}
	}
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		if strings.Contains(f.Name(), obamaIIN) {
			t.Errorf("gallery file %s names the IIN", f.Name())
		}
	}
	if r := e.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("the photo after enrolling fingers: %d %+v", r.status, r.err)
	}

	// Another process (here another Server) re-enrols the right index with
	// finger 103: the running one sees it at once.
	other, err := idecemu.New(idecemu.Config{Gallery: e.dir, ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.EnrollFingerImage(t.Context(), obamaIIN, rightIndex, fvcImage(t, "103_1")); err != nil {
		t.Fatal(err)
	}
	if r := e.verifyFinger(t, newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "101_2"), rightIndex)), ""); r.ok.Decision != idechttp.DecisionNoMatch {
		t.Errorf("101 after re-enrolment with 103: %d %+v", r.status, r.ok)
	}
	if r := e.verifyFinger(t, newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "103_2"), rightIndex)), ""); r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("103 after re-enrolment with 103: %d %+v", r.status, r.ok)
	}

	// A damaged file is no usable reference: 409.
	if err := os.WriteFile(filepath.Join(e.dir, name+".f7.fmr"), []byte("FMR\x00 20\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.verifyFinger(t, newFingerRequest(obamaIIN, imageSample(t, fvcImage(t, "102_2"), 7)), ""); r.status != http.StatusConflict || r.err.Code != idechttp.CodeNoReferenceFinger {
		t.Errorf("damaged finger file: %d %+v", r.status, r.err)
	}
}
