//go:build matprofile

package idecemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
)

// TestNoMatLeftOpen enrols, verifies (matches, no-matches and every error
// path that reaches OpenCV) and closes a Server, and fails if any gocv Mat
// is still open. Run with: go test -tags matprofile ./internal/idecemu
func TestNoMatLeftOpen(t *testing.T) {
	probe := probe640(t) // made (and its Mats closed) before counting
	before := gocv.MatProfile.Count()
	emu, err := idecemu.New(idecemu.Config{Gallery: t.TempDir(), ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := emu.Enroll(ctx, obamaIIN, photo(t, "obama.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := emu.Enroll(ctx, alexIIN, photo(t, "alex-lacamoire.png")); err != nil {
		t.Fatal(err)
	}
	if err := emu.Enroll(ctx, bidenIIN, fingerprintJPEG(t)); err == nil {
		t.Fatal("enrolled a fingerprint")
	}
	for _, tc := range []struct {
		iin    string
		photo  []byte
		status int
	}{
		{obamaIIN, probe, 200},
		{obamaIIN, photo(t, "tests_obama3.jpg"), 200},
		{alexIIN, photo(t, "obama2.jpg"), 200},
		{obamaIIN, fingerprintJPEG(t), 422},
		{obamaIIN, append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 500)...), 400},
		{obamaIIN, photo(t, "obama2.jpg")[:4000], 400},
	} {
		req := newRequest(tc.iin, tc.photo)
		body, _ := json.Marshal(req)
		r := httptest.NewRequest(http.MethodPost, idechttp.PathVerify, bytes.NewReader(body))
		r.Header.Set(idechttp.HeaderRequestID, req.RequestID)
		w := httptest.NewRecorder()
		emu.Handler().ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
		}
	}
	emu.Close()
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("Mat count %d before, %d after: Mats left open:\n%s", before, after, b.String())
	}
}
