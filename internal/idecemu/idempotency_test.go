package idecemu_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/internal/idecemu"
)

func TestIdempotency(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	e.enroll(t, bidenIIN, photo(t, "biden.jpg"))
	req := newRequest(obamaIIN, photo(t, "obama2.jpg"))

	first := e.verify(t, req, "")
	if first.status != 200 {
		t.Fatalf("first: %d %+v", first.status, first.err)
	}
	again := e.verify(t, req, "")
	if again.status != 200 || string(again.raw) != string(first.raw) {
		t.Errorf("retry answered %d %s, want the first answer %s", again.status, again.raw, first.raw)
	}

	// Another request (fresh id) gets a fresh IDEC request id.
	other := req
	other.RequestID = uuid()
	if r := e.verify(t, other, ""); r.ok.IDECRequestID == first.ok.IDECRequestID || r.ok.IDECRequestID == "" {
		t.Errorf("fresh request reused IDEC id %q", r.ok.IDECRequestID)
	}

	// The same id with another body is refused, and refusing it does not
	// disturb the recorded answer.
	for name, mutate := range map[string]func(*idechttp.VerifyRequest){
		"other IIN":   func(r *idechttp.VerifyRequest) { r.IIN = bidenIIN },
		"other photo": func(r *idechttp.VerifyRequest) { r.Photo = photo(t, "tests_obama3.jpg") },
		"other BIN":   func(r *idechttp.VerifyRequest) { r.BIN = "000740001307" },
	} {
		changed := req
		mutate(&changed)
		r := e.verify(t, changed, "")
		if r.status != http.StatusConflict || r.err.Code != idechttp.CodeConflict {
			t.Errorf("%s: got %d %+v, want 409 %s", name, r.status, r.err, idechttp.CodeConflict)
		}
	}
	if r := e.verify(t, req, ""); string(r.raw) != string(first.raw) {
		t.Errorf("after conflicts: %s", r.raw)
	}

	// Outcomes that are final are recorded too: a 404 replays its IDEC id.
	unknown := newRequest(otherIIN, photo(t, "obama2.jpg"))
	u1, u2 := e.verify(t, unknown, ""), e.verify(t, unknown, "")
	if u1.status != 404 || u2.status != 404 || u1.err.IDECRequestID != u2.err.IDECRequestID {
		t.Errorf("404 not replayed: %+v %+v", u1.err, u2.err)
	}
}

// TestIdempotencyConcurrent: attempts of one request arriving together get
// one answer.
func TestIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t, idecemu.Config{})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	req := newRequest(obamaIIN, photo(t, "obama2.jpg"))
	const n = 6
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.verify(t, req, "")
			if r.status != 200 {
				t.Errorf("attempt %d: %d %+v", i, r.status, r.err)
			}
			ids[i] = r.ok.IDECRequestID
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("IDEC ids differ: %v", ids)
		}
	}
}

// TestIdempotencyBounded: the oldest ids are forgotten beyond
// IdempotencyEntries, so reusing one is processed afresh.
func TestIdempotencyBounded(t *testing.T) {
	e := newEnv(t, idecemu.Config{IdempotencyEntries: 2})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	p := photo(t, "obama2.jpg")
	reqs := []idechttp.VerifyRequest{newRequest(otherIIN, p), newRequest(otherIIN, p), newRequest(otherIIN, p)}
	var first []string
	for _, r := range reqs {
		first = append(first, e.verify(t, r, "").err.IDECRequestID)
	}
	if got := e.verify(t, reqs[2], "").err.IDECRequestID; got != first[2] {
		t.Errorf("recent id not replayed")
	}
	if got := e.verify(t, reqs[0], "").err.IDECRequestID; got == first[0] {
		t.Errorf("id beyond the bound still replayed")
	}
}
