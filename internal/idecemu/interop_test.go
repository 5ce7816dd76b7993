package idecemu_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/idecemu"
)

// TestClientInterop runs gateway/idec's client against the emulator over
// mutual TLS with the certificates of WriteDevCerts: the two halves of the
// assumed contract must agree on the wire.
func TestClientInterop(t *testing.T) {
	// The first verification draws a 503 (retried by the client); the rest
	// are answered.
	var mu sync.Mutex
	draws := 0
	rnd := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		draws++
		if draws == 1 {
			return 0
		}
		return 0.99
	}
	e := newEnv(t, idecemu.Config{Faults: idecemu.Faults{ErrorRate: 0.5, Rand: rnd}})
	e.enroll(t, obamaIIN, photo(t, "obama.jpg"))
	tlsMat, err := idechttp.LoadTLS(e.tlsd)
	if err != nil {
		t.Fatal(err)
	}
	c, err := idechttp.New(idechttp.Config{URL: e.srv.URL, TLS: tlsMat, Config: idec.Config{Timeout: 20 * time.Second, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bin, _ := iin.ParseBIN(bankBIN)
	req := func(id, name string) idec.Request {
		n, err := iin.Parse(id)
		if err != nil {
			t.Fatal(err)
		}
		return idec.Request{IIN: n, BIN: bin, ConsentRef: "consent-1", Photo: photo(t, name),
			Capture: idec.CaptureMeta{Time: time.Now(), Quality: 80, Liveness: "live", DeviceID: "kiosk-1"}}
	}
	ctx := context.Background()

	res, err := c.Verify(ctx, req(obamaIIN, "obama2.jpg"))
	if err != nil || !res.Match || res.Decision != idec.DecisionMatch || res.IDECRequestID == "" {
		t.Errorf("same person after a 503: %+v, %v", res, err)
	}
	res, err = c.Verify(ctx, req(obamaIIN, "biden.jpg"))
	if err != nil || res.Match || res.Decision != idec.DecisionNoMatch {
		t.Errorf("another person: %+v, %v", res, err)
	}
	_, err = c.Verify(ctx, req(otherIIN, "obama2.jpg"))
	var ie *idec.Error
	if !errors.Is(err, idec.ErrUnknownIIN) || !errors.As(err, &ie) || ie.Code != idechttp.CodeUnknownIIN || ie.IDECRequestID == "" {
		t.Errorf("unknown IIN: %v", err)
	}
	_, err = c.Verify(ctx, req(obamaIIN, "two_people.jpg"))
	if !errors.Is(err, idec.ErrNoFace) {
		t.Errorf("two people: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if draws != 5 { // 503 and retry, then one attempt each
		t.Errorf("%d attempts reached the emulator, want 5", draws)
	}
}
