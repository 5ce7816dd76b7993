package idec

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds the answer the client reads; the contract's answers are a
// few hundred bytes.
const maxBody = 64 << 10

// maxMessage bounds the ErrorResponse message kept in an Error.
const maxMessage = 256

// attempt makes HTTP attempt n of the verification id, if the breaker, a
// slot and the deadline allow. It returns the result, or an error (with
// Attempts set) and whether a retry is safe.
func (c *Client) attempt(ctx context.Context, id string, body []byte, n int) (res Result, e *Error, retry bool) {
	probe, ok := c.breaker.allow()
	if !ok {
		return Result{}, &Error{Kind: ErrUnavailable, RequestID: id, Code: CodeBreakerOpen, Attempts: n - 1}, false
	}
	v := neutral
	defer func() { c.breaker.done(probe, v) }()
	sent := false
	defer func() {
		if e != nil {
			e.Attempts = n - 1
			if sent {
				e.Attempts = n
			}
		}
	}()

	if ctx.Err() != nil {
		return Result{}, ctxError(ctx, id), false
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctxError(ctx, id), false
	}
	defer func() { <-c.sem }()
	sent = true
	if n > 1 {
		c.metrics.retries.Inc()
	}

	start := time.Now()
	defer func() {
		status := 0
		outcome := outcomeOf(res, nil)
		if e != nil {
			status, outcome = e.Status, outcomeOf(Result{}, e)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "idec attempt",
			slog.String("request_id", id), slog.Int("attempt", n),
			slog.String("outcome", outcome), slog.Int("status", status),
			slog.Duration("latency", time.Since(start)), slog.Bool("retry", retry))
	}()

	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, c.verifyURL, bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Kind: ErrInvalidRequest, RequestID: id, Err: err}, false
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set(HeaderRequestID, id)

	resp, err := c.http.Do(hreq)
	if err != nil {
		// No response was read: a retry cannot duplicate a decision the
		// caller saw, and IDEC deduplicates by request id.
		e, retry, v = transportError(ctx, actx, id, err)
		return Result{}, e, retry
	}
	defer resp.Body.Close()
	if actx.Err() != nil {
		// The deadline passed while the response was arriving: net/http
		// may still hand over what raced the cancelation (possibly a stub
		// written to the closing connection). Treat it as not received,
		// as if it had come a moment later.
		e, retry, v = transportError(ctx, actx, id, context.Cause(actx))
		return Result{}, e, retry
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		// A response was being read: never retry.
		e, _, v = transportError(ctx, actx, id, err)
		e.Status = resp.StatusCode
		return Result{}, e, false
	}
	if ctx.Err() != nil {
		// The caller gave up or the call's deadline passed while the
		// answer arrived: whatever it says, the caller no longer waits
		// for it (and a canceled exchange may have delivered a stub).
		return Result{}, ctxError(ctx, id), false
	}
	if len(data) > maxBody {
		v = healthy
		return Result{}, &Error{Kind: ErrBadResponse, RequestID: id, Status: resp.StatusCode,
			Err: fmt.Errorf("body longer than %d bytes", maxBody)}, false
	}
	if resp.StatusCode == http.StatusOK {
		v = healthy
		res, err := decodeResult(id, data)
		if err != nil {
			return Result{}, &Error{Kind: ErrBadResponse, RequestID: id, Status: resp.StatusCode, Err: err}, false
		}
		return res, nil, false
	}

	var er ErrorResponse
	_ = json.Unmarshal(data, &er) // best effort: a proxy's 502 page is not JSON
	if len(er.Message) > maxMessage {
		er.Message = strings.ToValidUTF8(er.Message[:maxMessage], "")
	}
	e = &Error{
		Kind:          classifyStatus(resp.StatusCode, er.Code),
		RequestID:     id,
		Status:        resp.StatusCode,
		Code:          er.Code,
		IDECRequestID: er.IDECRequestID,
		Message:       er.Message,
	}
	if e.Kind == ErrUnavailable && resp.StatusCode >= 500 {
		v = failed
	} else {
		v = healthy
	}
	return Result{}, e, retryableStatus(resp.StatusCode)
}

// transportError classifies an error of sending a request or reading its
// answer: whether it is a timeout, whether the caller gave up, whether a
// retry could help, and what it says about IDEC's health.
func transportError(ctx, actx context.Context, id string, err error) (*Error, bool, verdict) {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return &Error{Kind: context.Canceled, RequestID: id, Err: err}, false, neutral
	case ctx.Err() != nil:
		// The call's deadline passed: nothing left to retry with.
		return &Error{Kind: ErrTimeout, RequestID: id, Err: deadline(err)}, false, failed
	case actx.Err() != nil:
		return &Error{Kind: ErrTimeout, RequestID: id, Err: deadline(err)}, true, failed
	case isTLSRejection(err):
		// A certificate the other side does not accept will not be
		// accepted on the next attempt either.
		return &Error{Kind: ErrUnavailable, RequestID: id, Err: err}, false, failed
	default:
		return &Error{Kind: ErrUnavailable, RequestID: id, Err: err}, true, failed
	}
}

// ctxError is the error of a call whose ctx ended outside an HTTP exchange.
func ctxError(ctx context.Context, id string) *Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Error{Kind: context.Canceled, RequestID: id, Err: ctx.Err()}
	}
	return &Error{Kind: ErrTimeout, RequestID: id, Err: deadline(ctx.Err())}
}

// deadline makes sure a timeout error matches context.DeadlineExceeded.
func deadline(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
}

// isTLSRejection reports a failed certificate check on either side: ours
// of the server's certificate, or the server's alert rejecting ours.
func isTLSRejection(err error) bool {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return true
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	// crypto/tls reports an alert from the peer as a *net.OpError with
	// Op "remote error".
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// decodeResult decodes and checks a 200 answer.
func decodeResult(id string, data []byte) (Result, error) {
	var vr VerifyResponse
	if err := json.Unmarshal(data, &vr); err != nil {
		return Result{}, fmt.Errorf("decode verify response: %w", err)
	}
	switch {
	case vr.RequestID != id:
		return Result{}, errors.New("verify response: request_id does not echo the request's")
	case vr.IDECRequestID == "":
		return Result{}, errors.New("verify response: idec_request_id missing")
	case vr.Decision != DecisionMatch && vr.Decision != DecisionNoMatch:
		return Result{}, errors.New("verify response: unknown decision")
	case math.IsNaN(vr.Similarity) || vr.Similarity < 0 || vr.Similarity > 1:
		return Result{}, errors.New("verify response: similarity outside 0-1")
	case vr.Time.IsZero():
		return Result{}, errors.New("verify response: time missing")
	}
	return Result{
		Match:           vr.Decision == DecisionMatch,
		Similarity:      vr.Similarity,
		Decision:        vr.Decision,
		ReferenceSource: vr.ReferenceSource,
		IDECRequestID:   vr.IDECRequestID,
		RequestID:       id,
		Time:            vr.Time,
	}, nil
}
