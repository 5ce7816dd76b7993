package idecemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// probe640 is obama_small.jpg (320x240) scaled to 640x480 and encoded as a
// JPEG (quality 90): a VGA frame with a face about 130 px wide.
func probe640(b testing.TB) []byte {
	b.Helper()
	img := gocv.IMRead(filepath.Join(testenv.Shared(b), "data", "faces", "obama_small.jpg"), gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		b.Fatal("obama_small.jpg did not load")
	}
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(img, &big, image.Pt(640, 480), 0, 0, gocv.InterpolationLinear)
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, big, []int{gocv.IMWriteJpegQuality, 90})
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Close()
	return bytes.Clone(buf.GetBytes())
}

// BenchmarkVerify is one full verification through the handler, without
// the network: JSON decoding, JPEG decoding of a 640x480 probe, detection,
// alignment, embedding, comparison with the enrolled reference, the JSON
// answer. OpenCV runs on one thread.
func BenchmarkVerify(b *testing.B) {
	models.SetNumThreads(1)
	defer models.SetNumThreads(-1)
	emu, err := idecemu.New(idecemu.Config{Gallery: b.TempDir(), ModelDir: testenv.Models(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Enroll(context.Background(), obamaIIN, photo(b, "obama.jpg")); err != nil {
		b.Fatal(err)
	}
	const placeholder = "00000000-0000-4000-8000-000000000000"
	req := newRequest(obamaIIN, probe640(b))
	req.RequestID = placeholder
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	h := emu.Handler()
	verify := func() *httptest.ResponseRecorder {
		id := uuid() // a fresh request each time, not a replay
		r := httptest.NewRequest(http.MethodPost, idechttp.PathVerify, bytes.NewReader(bytes.Replace(body, []byte(placeholder), []byte(id), 1)))
		r.Header.Set(idechttp.HeaderRequestID, id)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	// Warm up (the first run at a new input size reshapes the networks),
	// and check the answer.
	w := verify()
	var resp idechttp.VerifyResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != 200 || err != nil || resp.Decision != idechttp.DecisionMatch {
		b.Fatalf("%d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if w := verify(); w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
