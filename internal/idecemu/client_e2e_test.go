package idecemu_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/idecemu"
)

// attempts records the request id of every request that reached the
// emulator's handler (after the TLS handshake).
type attempts struct {
	mu  sync.Mutex
	ids []string
}

func (a *attempts) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == idechttp.PathVerify {
			a.mu.Lock()
			a.ids = append(a.ids, r.Header.Get(idechttp.HeaderRequestID))
			a.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (a *attempts) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.ids...)
}

// e2e is the emulator behind a counting mutual-TLS server and the real
// gateway client configured by mod.
type e2e struct {
	att    attempts
	url    string
	client *idec.Client
	env    *env // the emulator behind it, for enrolments
}

func newE2E(t *testing.T, faults idecemu.Faults, tlsDir string, mod func(*idec.Config)) *e2e {
	t.Helper()
	e := newEnv(t, idecemu.Config{Faults: faults})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	x := &e2e{env: e}
	srv := startTLS(t, x.att.wrap(e.emu.Handler()), e.tlsd)
	x.url = srv.URL
	if tlsDir == "" {
		tlsDir = e.tlsd
	}
	mat, err := idechttp.LoadTLS(tlsDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := idec.Config{Timeout: 20 * time.Second, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	if x.client, err = idechttp.New(idechttp.Config{URL: srv.URL, TLS: mat, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.client.Close)
	return x
}

func (x *e2e) verify(t *testing.T, name string) (idec.Result, error) {
	t.Helper()
	n, _ := iin.Parse(obamaIIN)
	bin, _ := iin.ParseBIN(bankBIN)
	return x.client.Verify(context.Background(), idec.Request{IIN: n, BIN: bin, ConsentRef: "consent-e2e", Photo: photo(t, name),
		Capture: idec.CaptureMeta{Time: time.Now(), Quality: 80, Liveness: "live", DeviceID: "kiosk-e2e"}})
}

// controlled is a fault source: every draw faults while down is set.
func controlled(down *atomic.Bool) func() float64 {
	return func() float64 {
		if down.Load() {
			return 0
		}
		return 0.99
	}
}

func TestClientAgainstEmulatorRetriesA503WithTheSameRequestID(t *testing.T) {
	var n atomic.Int32
	x := newE2E(t, idecemu.Faults{ErrorRate: 0.5, Rand: func() float64 {
		if n.Add(1) == 1 {
			return 0 // the first attempt draws a 503
		}
		return 0.99
	}}, "", nil)
	res, err := x.verify(t, "obama2.jpg")
	if err != nil || !res.Match {
		t.Fatalf("%+v, %v", res, err)
	}
	ids := x.att.list()
	if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] || ids[0] != res.RequestID {
		t.Errorf("attempts carried ids %v, result %s; want two attempts with one id", ids, res.RequestID)
	}
}

func TestClientAgainstEmulatorDoesNotRetryA400(t *testing.T) {
	x := newE2E(t, idecemu.Faults{Status: http.StatusBadRequest}, "", nil)
	_, err := x.verify(t, "obama2.jpg")
	if !errors.Is(err, idec.ErrInvalidRequest) {
		t.Fatalf("err %v, want ErrInvalidRequest", err)
	}
	if got := len(x.att.list()); got != 1 {
		t.Errorf("%d attempts, want 1", got)
	}
}

func TestClientAgainstEmulatorBreakerOpensAndRecovers(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	x := newE2E(t, idecemu.Faults{ErrorRate: 0.5, Rand: controlled(&down)}, "", func(c *idec.Config) {
		c.MaxRetries = -1
		c.Breaker = idec.BreakerConfig{FailureThreshold: 3, OpenFor: 10 * time.Second}
		c.Clock = clock
	})
	for i := range 3 {
		if _, err := x.verify(t, "obama2.jpg"); !errors.Is(err, idec.ErrUnavailable) {
			t.Fatalf("call %d while down: %v", i, err)
		}
	}
	if st := x.client.BreakerState(); st != idec.BreakerOpen {
		t.Fatalf("breaker %v after 3 failures, want open", st)
	}
	if _, err := x.verify(t, "obama2.jpg"); !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("call while open: %v", err)
	}
	if got := len(x.att.list()); got != 3 {
		t.Errorf("%d attempts reached the emulator, want 3 (the open breaker fails fast)", got)
	}
	down.Store(false)
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	if res, err := x.verify(t, "obama2.jpg"); err != nil || !res.Match {
		t.Fatalf("probe after recovery: %+v, %v", res, err)
	}
	if st := x.client.BreakerState(); st != idec.BreakerClosed {
		t.Errorf("breaker %v after a good probe, want closed", st)
	}
}

func TestClientAgainstEmulatorDeadlineHoldsUnderLatency(t *testing.T) {
	x := newE2E(t, idecemu.Faults{Latency: 5 * time.Second}, "", func(c *idec.Config) { c.Timeout = 400 * time.Millisecond })
	start := time.Now()
	_, err := x.verify(t, "obama2.jpg")
	if !errors.Is(err, idec.ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
	// Generous: the point is that 5 s of injected latency did not hold the
	// caller, not how fast the timeout fires.
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("returned after %v with a 400ms deadline", el)
	}
}

func TestClientAgainstEmulatorMalformedBody(t *testing.T) {
	x := newE2E(t, idecemu.Faults{Malformed: true}, "", nil)
	_, err := x.verify(t, "obama2.jpg")
	if !errors.Is(err, idec.ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
}

func TestClientWithAnotherCertificateIsRejected(t *testing.T) {
	// The right CA (the client trusts the server) but a client certificate
	// from another development CA.
	good := devCerts(t)
	other := t.TempDir()
	if err := idecemu.WriteDevCerts(other); err != nil {
		t.Fatal(err)
	}
	mixed := t.TempDir()
	for src, name := range map[string]string{
		filepath.Join(good, "ca.pem"):          "ca.pem",
		filepath.Join(other, "client.pem"):     "client.pem",
		filepath.Join(other, "client-key.pem"): "client-key.pem",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mixed, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	x := newE2E(t, idecemu.Faults{}, mixed, func(c *idec.Config) { c.MaxRetries = -1 })
	_, err := x.verify(t, "obama2.jpg")
	if err == nil || !errors.Is(err, idec.ErrUnavailable) {
		t.Fatalf("err %v, want the handshake refused (ErrUnavailable)", err)
	}
	if got := len(x.att.list()); got != 0 {
		t.Errorf("%d requests reached the handler with a foreign certificate", got)
	}
}
