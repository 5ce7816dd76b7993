package devices

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// testReader is what the "regtest" scheme opens: it records the target.
type testReader struct{ target string }

func (r *testReader) Info() FingerprintInfo { return FingerprintInfo{Backend: "regtest"} }
func (r *testReader) Capture(context.Context, ...CaptureOption) (*FingerprintImage, error) {
	return nil, ErrEndOfStream
}
func (r *testReader) Close() error { return nil }

var errRegtestNone = errors.New("regtest: no such reader")

func init() {
	RegisterFingerprintReader("regtest", func(ctx context.Context, target string) (FingerprintReader, error) {
		if target == "absent" {
			return nil, errRegtestNone
		}
		return &testReader{target: target}, nil
	})
}

func TestOpenFingerprintReader(t *testing.T) {
	if !slices.Contains(FingerprintBackends(), "regtest") {
		t.Fatalf("backends %v", FingerprintBackends())
	}
	if slices.Contains(CameraBackends(), "regtest") {
		t.Fatal("a fingerprint scheme shows up among the camera backends")
	}
	for _, tc := range []struct {
		spec       string
		wantTarget string // "" with wantErr set: an error is expected
		wantErr    error  // nil: a reader; errBadSpec: any error but these
	}{
		{"regtest:1-10", "1-10", nil},
		{"regtest:05ba:000a", "05ba:000a", nil}, // the target keeps its colons
		{"regtest:", "", nil},                   // empty target: the default reader
		{"regtest:absent", "", errRegtestNone},  // the backend's error as it is
		{"nosuch:1-10", "", ErrUnknownBackend},
		{"1-10", "", errBadSpec},
		{"", "", errBadSpec},
		{":1-10", "", errBadSpec},
	} {
		r, err := OpenFingerprintReader(context.Background(), tc.spec)
		switch {
		case tc.wantErr == nil:
			if err != nil {
				t.Errorf("%q: %v", tc.spec, err)
				continue
			}
			if got := r.(*testReader).target; got != tc.wantTarget {
				t.Errorf("%q: target %q, want %q", tc.spec, got, tc.wantTarget)
			}
		case tc.wantErr == errBadSpec:
			if err == nil || r != nil || errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), "SCHEME:TARGET") {
				t.Errorf("%q: %v, %v; want a bad-spec error", tc.spec, r, err)
			}
		default:
			if !errors.Is(err, tc.wantErr) || r != nil {
				t.Errorf("%q: %v, %v; want %v", tc.spec, r, err, tc.wantErr)
			}
		}
	}
	if _, err := OpenFingerprintReader(context.Background(), "nosuch:x"); err == nil || !strings.Contains(err.Error(), "regtest") {
		t.Errorf("unknown scheme: %v; want the registered schemes listed", err)
	}
}

// errBadSpec marks table rows that expect a malformed-spec error.
var errBadSpec = errors.New("bad spec")

func TestRegisterFingerprintReaderTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering a scheme twice did not panic")
		}
	}()
	RegisterFingerprintReader("regtest", nil)
}
