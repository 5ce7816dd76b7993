package idecemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
)

// TestCloseReleasesHeldRequestInProcess is TestCloseReleasesHeldRequests
// without the network and without the sleep: in a synctest bubble,
// synctest.Wait returns once the handler is blocked in the timeout fault's
// hold, so Close is known to find it there. The handler gives no answer
// before Close and aborts (http.ErrAbortHandler) after it, and Close
// returns.
func TestCloseReleasesHeldRequestInProcess(t *testing.T) {
	models := testenv.Models(t)
	gallery := filepath.Join(t.TempDir(), "gallery")
	enrolled, probe := photo(t, "obama.jpg"), photo(t, "obama2.jpg")
	synctest.Test(t, func(t *testing.T) {
		emu, err := idecemu.New(idecemu.Config{Gallery: gallery, ModelDir: models, Faults: idecemu.Faults{Timeout: true}})
		if err != nil {
			t.Fatal(err)
		}
		defer emu.Close()
		if err := emu.Enroll(context.Background(), obamaIIN, enrolled); err != nil {
			t.Fatal(err)
		}
		vr := newRequest(obamaIIN, probe)
		body, err := json.Marshal(vr)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, idechttp.PathVerify, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(idechttp.HeaderRequestID, vr.RequestID)
		rec := httptest.NewRecorder()
		aborted := make(chan any, 1)
		go func() {
			defer func() { aborted <- recover() }()
			emu.Handler().ServeHTTP(rec, req)
		}()

		synctest.Wait() // the request is processed and held
		select {
		case p := <-aborted:
			t.Fatalf("the handler returned before Close (recovered %v, status %d)", p, rec.Code)
		default:
		}

		closed := make(chan struct{})
		go func() { emu.Close(); close(closed) }()
		synctest.Wait()
		select {
		case <-closed:
		default:
			t.Fatal("Close did not return")
		}
		select {
		case p := <-aborted:
			if p != http.ErrAbortHandler {
				t.Errorf("held handler ended with %v, want http.ErrAbortHandler", p)
			}
		default:
			t.Fatal("the held request was not released")
		}
		if rec.Body.Len() != 0 {
			t.Errorf("the held request got an answer: %d %s", rec.Code, rec.Body)
		}
	})
}
