package idec

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/biogate/biogate/outcome"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("verify: %w", err) }
	cases := []struct {
		name string
		res  Result
		err  error
		want outcome.IDEC
	}{
		{"match", Result{Match: true}, nil, outcome.IDECMatch},
		{"no match", Result{}, nil, outcome.IDECNoMatch},
		{"invalid request", Result{}, &Error{Kind: ErrInvalidRequest}, outcome.IDECInvalidRequest},
		{"no face", Result{}, &Error{Kind: ErrNoFace}, outcome.IDECNoFace},
		{"unknown IIN, wrapped", Result{}, wrap(&Error{Kind: ErrUnknownIIN}), outcome.IDECUnknownIIN},
		{"no reference photo, bare sentinel", Result{}, ErrNoReferencePhoto, outcome.IDECNoReferencePhoto},
		{"no finger", Result{}, &Error{Kind: ErrNoFinger}, outcome.IDECNoFinger},
		{"no reference finger, wrapped", Result{}, wrap(&Error{Kind: ErrNoReferenceFinger}), outcome.IDECNoReferenceFinger},
		{"unavailable", Result{}, &Error{Kind: ErrUnavailable, Code: "internal"}, outcome.IDECUnavailable},
		{"breaker open", Result{}, &Error{Kind: ErrUnavailable, Code: CodeBreakerOpen}, outcome.IDECBreakerOpen},
		{"timeout", Result{}, &Error{Kind: ErrTimeout, Err: context.DeadlineExceeded}, outcome.IDECTimeout},
		{"bare timeout sentinel", Result{}, wrap(ErrTimeout), outcome.IDECTimeout},
		{"bad response", Result{}, &Error{Kind: ErrBadResponse}, outcome.IDECBadResponse},
		{"canceled", Result{}, &Error{Kind: context.Canceled}, outcome.IDECCanceled},
		// The Kind decides, not a cause that happens to match another kind.
		{"unavailable caused by a timeout", Result{}, &Error{Kind: ErrUnavailable, Err: ErrTimeout}, outcome.IDECUnavailable},
		{"an error of no kind", Result{Match: true}, errors.New("boom"), outcome.IDECBadResponse},
	}
	seen := map[outcome.IDEC]bool{}
	for _, c := range cases {
		got := Classify(c.res, c.err)
		if got != c.want {
			t.Errorf("%s: Classify = %q, want %q", c.name, got, c.want)
		}
		seen[got] = true
	}
	for _, o := range outcome.IDECs() {
		if !seen[o] {
			t.Errorf("no case classifies as %q: an outcome Verify can never return, or a missing case", o)
		}
	}
}
