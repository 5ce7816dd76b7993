package idecemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

func TestVerify(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	e.enroll(t, bidenIIN, photo(t, "train_biden_biden2.jpg")) // a painted face beside him: a reference, never a probe
	e.enroll(t, alexIIN, photo(t, "alex-lacamoire.png"))      // PNG enrols as given

	tests := []struct {
		name  string
		iin   string
		photo string
		match bool
	}{
		{"obama2 is obama", obamaIIN, "obama2.jpg", true},
		{"obama3 is obama", obamaIIN, "tests_obama3.jpg", true},
		{"obama2 is not biden", bidenIIN, "obama2.jpg", false},
		{"obama3 is not biden", bidenIIN, "tests_obama3.jpg", false},
		{"biden is biden2's", bidenIIN, "biden.jpg", true},
		{"biden is not obama", obamaIIN, "biden.jpg", false},
		{"lacamoire pair", alexIIN, "train_alex_lacamoire_img1.jpg", true},
		{"lacamoire is not obama", obamaIIN, "train_alex_lacamoire_img1.jpg", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(tc.iin, photo(t, tc.photo))
			r := e.verify(t, req, "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %+v", r.status, r.err)
			}
			want := idechttp.DecisionNoMatch
			if tc.match {
				want = idechttp.DecisionMatch
			}
			t.Logf("similarity %.3f", r.ok.Similarity)
			if r.ok.Decision != want {
				t.Errorf("decision %q (similarity %.3f), want %q", r.ok.Decision, r.ok.Similarity, want)
			}
			if tc.match != (r.ok.Similarity >= idecemu.DefaultThreshold) {
				t.Errorf("similarity %.3f on the wrong side of %v", r.ok.Similarity, idecemu.DefaultThreshold)
			}
			// Margins, so a drift of the matcher shows before it flips a
			// decision: the measured values are 0.967 and up, 0.233 and down.
			if tc.match && r.ok.Similarity < 0.96 || !tc.match && r.ok.Similarity > 0.4 {
				t.Errorf("similarity %.3f too close to the threshold", r.ok.Similarity)
			}
			if r.ok.RequestID != req.RequestID || !validUUID(r.ok.IDECRequestID) || r.ok.IDECRequestID == req.RequestID {
				t.Errorf("ids: request %q, idec %q", r.ok.RequestID, r.ok.IDECRequestID)
			}
			if got := r.header.Get(idechttp.HeaderRequestID); got != req.RequestID {
				t.Errorf("X-Request-ID echoed as %q", got)
			}
			if r.ok.ReferenceSource != idecemu.DefaultReferenceSource {
				t.Errorf("reference source %q", r.ok.ReferenceSource)
			}
			if d := time.Since(r.ok.Time); d < 0 || d > time.Minute {
				t.Errorf("time %v", r.ok.Time)
			}
		})
	}
}

func validUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return strings.Trim(strings.ReplaceAll(s, "-", ""), "0123456789abcdef") == ""
}

func TestVerifyErrors(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	good := photo(t, "obama2.jpg")
	with := func(f func(*idechttp.VerifyRequest)) idechttp.VerifyRequest {
		r := newRequest(obamaIIN, good)
		f(&r)
		return r
	}
	tests := []struct {
		name   string
		req    idechttp.VerifyRequest
		status int
		code   string
		idecID bool // an IDEC request id was assigned
	}{
		{"no face", newRequest(obamaIIN, fingerprintJPEG(t)), 422, idechttp.CodeNoFace, true},
		{"two people", newRequest(obamaIIN, photo(t, "two_people.jpg")), 422, idechttp.CodeNoFace, true},
		{"three people", newRequest(obamaIIN, photo(t, "test_obama_and_biden.jpg")), 422, idechttp.CodeNoFace, true},
		{"png is not a JPEG", newRequest(obamaIIN, photo(t, "alex-lacamoire.png")), 400, idechttp.CodeInvalidRequest, false},
		{"text is not a JPEG", newRequest(obamaIIN, []byte("hello, this is not a photo")), 400, idechttp.CodeInvalidRequest, false},
		{"JPEG magic, garbage after", newRequest(obamaIIN, append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 500)...)), 400, idechttp.CodeInvalidRequest, true},
		{"truncated JPEG", newRequest(obamaIIN, good[:200]), 400, idechttp.CodeInvalidRequest, true},
		{"unknown IIN", newRequest(otherIIN, good), 404, idechttp.CodeUnknownIIN, true},
		{"bad IIN check digit", newRequest("790303402569", good), 400, idechttp.CodeInvalidRequest, false},
		{"IIN not digits", newRequest("79030340256x", good), 400, idechttp.CodeInvalidRequest, false},
		{"IIN short", newRequest("7903034025", good), 400, idechttp.CodeInvalidRequest, false},
		{"bad BIN", with(func(r *idechttp.VerifyRequest) { r.BIN = "971240001316" }), 400, idechttp.CodeInvalidRequest, false},
		{"no consent", with(func(r *idechttp.VerifyRequest) { r.ConsentRef = "" }), 400, idechttp.CodeInvalidRequest, false},
		{"consent too long", with(func(r *idechttp.VerifyRequest) { r.ConsentRef = strings.Repeat("c", 257) }), 400, idechttp.CodeInvalidRequest, false},
		{"quality over 100", with(func(r *idechttp.VerifyRequest) { r.Capture.Quality = 101 }), 400, idechttp.CodeInvalidRequest, false},
		{"no photo", with(func(r *idechttp.VerifyRequest) { r.Photo = nil }), 400, idechttp.CodeInvalidRequest, false},
		{"request id not a UUID", with(func(r *idechttp.VerifyRequest) { r.RequestID = "req-1" }), 400, idechttp.CodeInvalidRequest, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.verify(t, tc.req, "")
			if r.status != tc.status || r.err.Code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.err.Code, r.err.Message, tc.status, tc.code)
			}
			if r.err.Message == "" {
				t.Error("no message")
			}
			if (r.err.IDECRequestID != "") != tc.idecID {
				t.Errorf("idec_request_id %q", r.err.IDECRequestID)
			}
		})
	}

	t.Run("request id header differs", func(t *testing.T) {
		req := newRequest(obamaIIN, good)
		resp, body, err := e.post(idechttp.PathVerify, req, map[string]string{idechttp.HeaderRequestID: uuid()})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || !strings.Contains(string(body), idechttp.CodeInvalidRequest) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	raw := func(t *testing.T, method, path, body string) (int, idechttp.ErrorResponse) {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var er idechttp.ErrorResponse
		if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
			t.Fatalf("%d: body not an ErrorResponse: %v", resp.StatusCode, err)
		}
		return resp.StatusCode, er
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"not JSON", "POST", idechttp.PathVerify, "{not json", 400},
		{"unknown field", "POST", idechttp.PathVerify, `{"request_id":"x","selfie":"AAAA"}`, 400},
		{"two values", "POST", idechttp.PathVerify, `{} {}`, 400},
		{"photo not base64", "POST", idechttp.PathVerify, `{"photo":"%%%"}`, 400},
		{"GET verify", "GET", idechttp.PathVerify, "", 405},
		{"enroll not JSON", "POST", idechttp.PathEnroll, "[]", 400},
		{"no such path", "GET", "/v2/verify", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, er := raw(t, tc.method, tc.path, tc.body)
			if status != tc.status || er.Code != idechttp.CodeInvalidRequest {
				t.Errorf("got %d %+v, want %d invalid_request", status, er, tc.status)
			}
		})
	}
	t.Run("photo too large", func(t *testing.T) {
		big := append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, idecemu.DefaultMaxPhotoBytes+1)...)
		r := e.verify(t, newRequest(obamaIIN, big), "")
		if r.status != 400 || r.err.Code != idechttp.CodeInvalidRequest {
			t.Errorf("got %d %+v", r.status, r.err)
		}
	})
}

func TestEnrollErrors(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	for _, tc := range []struct {
		name   string
		iin    string
		photo  []byte
		status int
		code   string
	}{
		{"no face", obamaIIN, fingerprintJPEG(t), 422, idechttp.CodeNoFace},
		{"bad IIN", "123", photo(t, "obama.jpg"), 400, idechttp.CodeInvalidRequest},
		{"not an image", obamaIIN, []byte("GIF89a nope"), 400, idechttp.CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, err := e.post(idechttp.PathEnroll, idechttp.EnrollRequest{IIN: tc.iin, Photo: tc.photo}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var er idechttp.ErrorResponse
			json.Unmarshal(body, &er)
			if resp.StatusCode != tc.status || er.Code != tc.code {
				t.Errorf("got %d %s", resp.StatusCode, body)
			}
		})
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 1 || entries[0].Name() != idecemu.NameKeyFile {
		t.Errorf("failed enrolments left files: %v; want only the name key", entries)
	}
	// Through the Go API the errors are the sentinels.
	ctx := context.Background()
	if err := e.emu.Enroll(ctx, "790303402569", photo(t, "obama.jpg")); !errors.Is(err, idecemu.ErrInvalidIIN) {
		t.Errorf("bad IIN: %v", err)
	}
	if err := e.emu.Enroll(ctx, obamaIIN, fingerprintJPEG(t)); !errors.Is(err, idecemu.ErrNoFace) {
		t.Errorf("no face: %v", err)
	}
	if err := e.emu.Enroll(ctx, obamaIIN, []byte("nope")); !errors.Is(err, idecemu.ErrBadPhoto) {
		t.Errorf("bad photo: %v", err)
	}
}

// TestGalleryPersists enrols through the admin endpoint, checks the files,
// and serves the same folder from a second Server; a person enrolled by a
// separate Server on the folder (what `idec-emulator enroll` does while
// `serve` runs) is seen at once, a re-enrolment replaces the reference, and
// a damaged record is no_reference_photo.
func TestGalleryPersists(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	e.enroll(t, alexIIN, photo(t, "alex-lacamoire.png"))

	obama, alex := idecemu.GalleryName(e.emu, obamaIIN), idecemu.GalleryName(e.emu, alexIIN)
	want := map[string]bool{obama + ".jpg": true, obama + ".emb": true, alex + ".png": true, alex + ".emb": true, idecemu.NameKeyFile: true}
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if !want[de.Name()] {
			t.Errorf("unexpected file %s", de.Name())
			continue
		}
		delete(want, de.Name())
		info, _ := de.Info()
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", de.Name(), perm)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing files %v", want)
	}
	if st, _ := os.Stat(e.dir); st.Mode().Perm() != 0o700 {
		t.Errorf("gallery mode %v, want 0700", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(filepath.Join(e.dir, obama+".jpg")); string(b) != string(photo(t, "obama.jpg")) {
		t.Error("the reference photo is not stored as given")
	}

	// A second server on the same folder, as after a restart.
	e2 := newEnv(t, idecemu.Config{Gallery: e.dir})
	if r := e2.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("after restart: %d %+v %+v", r.status, r.ok, r.err)
	}

	// Enrolled by another Server (the CLI's code path) while e serves.
	if r := e.verify(t, newRequest(bidenIIN, photo(t, "biden.jpg")), ""); r.status != 404 {
		t.Fatalf("before enrolment: %d", r.status)
	}
	cli, err := idecemu.New(idecemu.Config{Gallery: e.dir, ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Enroll(context.Background(), bidenIIN, photo(t, "train_biden_biden2.jpg")); err != nil {
		t.Fatal(err)
	}
	if r := e.verify(t, newRequest(bidenIIN, photo(t, "biden.jpg")), ""); r.status != 200 || r.ok.Decision != idechttp.DecisionMatch {
		t.Errorf("enrolled by another process: %d %+v %+v", r.status, r.ok, r.err)
	}
	// Re-enrolled under the same IIN with another face: the next
	// verification compares with the new reference.
	if err := cli.Enroll(context.Background(), bidenIIN, photo(t, "obama.jpg")); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	if r := e.verify(t, newRequest(bidenIIN, photo(t, "biden.jpg")), ""); r.status != 200 || r.ok.Decision != idechttp.DecisionNoMatch {
		t.Errorf("after re-enrolment: %d %+v %+v", r.status, r.ok, r.err)
	}

	// A damaged record: the person exists but has no usable reference.
	if err := os.WriteFile(filepath.Join(e.dir, alex+".emb"), []byte(`{"version":2,"subject":"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.verify(t, newRequest(alexIIN, photo(t, "train_alex_lacamoire_img1.jpg")), ""); r.status != 409 || r.err.Code != idechttp.CodeNoReferencePhoto {
		t.Errorf("damaged record: %d %+v", r.status, r.err)
	}
	// Removed: unknown again.
	os.Remove(filepath.Join(e.dir, obama+".emb"))
	if r := e.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), ""); r.status != 404 {
		t.Errorf("removed record: %d", r.status)
	}
}

func TestHealthAndClose(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	resp, err := e.hc.Get(e.srv.URL + idechttp.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("health: %d %s", resp.StatusCode, body)
	}
	e.emu.Close()
	e.emu.Close() // idempotent
	resp, err = e.hc.Get(e.srv.URL + idechttp.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("health after Close: %d", resp.StatusCode)
	}
	r := e.verify(t, newRequest(obamaIIN, photo(t, "obama2.jpg")), "")
	if r.status != 503 || r.err.Code != idechttp.CodeUnavailable {
		t.Errorf("verify after Close: %d %+v", r.status, r.err)
	}
	if err := e.emu.Enroll(context.Background(), obamaIIN, photo(t, "obama.jpg")); !errors.Is(err, idecemu.ErrClosed) {
		t.Errorf("enroll after Close: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	for _, cfg := range []idecemu.Config{
		{},
		{Gallery: dir, Threshold: 1.5},
		{Gallery: dir, Threshold: -0.1},
		{Gallery: dir, Matchers: -1},
		{Gallery: dir, FingerThreshold: -1},
		{Gallery: dir, FingerThreshold: math.NaN()},
		{Gallery: dir, FingerThreshold: math.Inf(1)},
		{Gallery: dir, Faults: idecemu.Faults{ErrorRate: 2}},
		{Gallery: dir, Faults: idecemu.Faults{Status: 200}},
		{Gallery: dir, Faults: idecemu.Faults{Latency: -time.Second}},
	} {
		if _, err := idecemu.New(cfg); !errors.Is(err, idecemu.ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", cfg, err)
		}
	}
	// A folder without the models is an error, not a crash.
	if _, err := idecemu.New(idecemu.Config{Gallery: dir, ModelDir: t.TempDir()}); !errors.Is(err, models.ErrMissing) {
		t.Errorf("no models: %v, want models.ErrMissing", err)
	}
}
