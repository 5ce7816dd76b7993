package idecemu_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/internal/idecemu"
)

// TestClientAgainstEmulatorFinger: the gateway's client verifies
// fingerprints (image and minutiae records) against the emulator over
// mutual TLS, and maps its fingerprint errors to the client's.
func TestClientAgainstEmulatorFinger(t *testing.T) {
	x := newE2E(t, idecemu.Faults{}, "", nil)
	x.env.mustEnrollFinger(t, obamaIIN, imageSample(t, fvcImage(t, "101_1"), rightIndex))
	n, _ := iin.Parse(obamaIIN)
	bin, _ := iin.ParseBIN(bankBIN)
	verify := func(s idechttp.FingerSample) (idec.Result, error) {
		return x.client.Verify(context.Background(), idec.Request{IIN: n, BIN: bin, ConsentRef: "consent-e2e",
			Finger:  &idec.Finger{Position: s.Position, Format: s.Format, Record: s.Record},
			Capture: idec.CaptureMeta{Time: time.Now(), Quality: 70, DeviceID: "kiosk-e2e/fp0"}})
	}
	for _, tc := range []struct {
		name   string
		sample idechttp.FingerSample
		match  bool
		err    error
	}{
		{"image record, same finger", imageSample(t, fvcImage(t, "101_2"), rightIndex), true, nil},
		{"minutiae record, same finger", minutiaeSample(t, fvcImage(t, "101_3"), rightIndex), true, nil},
		{"image record, another finger", imageSample(t, fvcImage(t, "102_1"), rightIndex), false, nil},
		{"blank image", imageSample(t, blankImage(), rightIndex), false, idec.ErrNoFinger},
		{"finger not enrolled", imageSample(t, fvcImage(t, "101_2"), 6), false, idec.ErrNoReferenceFinger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := verify(tc.sample)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Match != tc.match || (res.Similarity > 0.5) != tc.match || res.IDECRequestID == "" || res.RequestID == "" {
				t.Errorf("result %+v, want match %v", res, tc.match)
			}
		})
	}
	// The face enrolled by newE2E is still there beside the finger.
	if res, err := x.verify(t, "obama2.jpg"); err != nil || !res.Match {
		t.Errorf("face after finger enrolment: %+v, %v", res, err)
	}
}
