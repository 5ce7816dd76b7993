package idechttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/idec"
)

// maxBody bounds the answer the client reads; the contract's answers are a
// few hundred bytes.
const maxBody = 64 << 10

// maxMessage bounds the ErrorResponse message kept in an Error.
const maxMessage = 256

// Send implements idec.Transport: one POST of the verify request (of a
// face to PathVerify, of a fingerprint to PathVerifyFinger), over
// mutual TLS, bounded by timeout. A connection failure or an attempt with
// no response in time is retried (IDEC deduplicates by request id), as are
// 502, 503 and 504; nothing else is, and never once a response was read.
func (t *Transport) Send(ctx context.Context, id string, req idec.Request, timeout time.Duration) (a idec.Attempt) {
	a.Health = idec.NoEvidence
	url, body, err := t.verifyURL, []byte(nil), error(nil)
	if f := req.Finger; f != nil {
		url = t.verifyFingerURL
		body, err = json.Marshal(FingerVerifyRequest{
			RequestID:  id,
			IIN:        req.IIN.String(),
			BIN:        req.BIN.String(),
			ConsentRef: req.ConsentRef,
			Finger:     FingerSample{Position: f.Position, Format: f.Format, Record: f.Record},
			Capture:    wireCapture(req.Capture),
		})
	} else {
		body, err = json.Marshal(VerifyRequest{
			RequestID:  id,
			IIN:        req.IIN.String(),
			BIN:        req.BIN.String(),
			ConsentRef: req.ConsentRef,
			Photo:      req.Photo,
			Capture:    wireCapture(req.Capture),
		})
	}
	if err != nil {
		a.Err = &idec.Error{Kind: idec.ErrInvalidRequest, RequestID: id, Err: err}
		return a
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Err = &idec.Error{Kind: idec.ErrInvalidRequest, RequestID: id, Err: err}
		return a
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set(HeaderRequestID, id)

	resp, err := t.http.Do(hreq)
	if err != nil {
		// No response was read: a retry cannot duplicate a decision the
		// caller saw, and IDEC deduplicates by request id.
		a.Err, a.Retry, a.Health = transportError(ctx, actx, id, err)
		return a
	}
	defer resp.Body.Close()
	if actx.Err() != nil {
		// The deadline passed while the response was arriving: net/http
		// may still hand over what raced the cancelation (possibly a stub
		// written to the closing connection). Treat it as not received,
		// as if it had come a moment later.
		a.Err, a.Retry, a.Health = transportError(ctx, actx, id, context.Cause(actx))
		return a
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		// A response was being read: never retry.
		a.Err, _, a.Health = transportError(ctx, actx, id, err)
		a.Err.Status = resp.StatusCode
		return a
	}
	if ctx.Err() != nil {
		// The caller gave up or the call's deadline passed while the
		// answer arrived: whatever it says, the caller no longer waits
		// for it (and a canceled exchange may have delivered a stub).
		a.Err = idec.ContextError(ctx, id)
		return a
	}
	if len(data) > maxBody {
		a.Health = idec.Healthy
		a.Err = &idec.Error{Kind: idec.ErrBadResponse, RequestID: id, Status: resp.StatusCode,
			Err: fmt.Errorf("body longer than %d bytes", maxBody)}
		return a
	}
	if resp.StatusCode == http.StatusOK {
		a.Health = idec.Healthy
		res, err := decodeResult(id, data)
		if err != nil {
			a.Err = &idec.Error{Kind: idec.ErrBadResponse, RequestID: id, Status: resp.StatusCode, Err: err}
			return a
		}
		a.Result = res
		return a
	}

	var er ErrorResponse
	_ = json.Unmarshal(data, &er) // best effort: a proxy's 502 page is not JSON
	if len(er.Message) > maxMessage {
		er.Message = strings.ToValidUTF8(er.Message[:maxMessage], "")
	}
	a.Err = &idec.Error{
		Kind:          classifyStatus(resp.StatusCode, er.Code),
		RequestID:     id,
		Status:        resp.StatusCode,
		Code:          er.Code,
		IDECRequestID: er.IDECRequestID,
		Message:       er.Message,
	}
	if a.Err.Kind == idec.ErrUnavailable && resp.StatusCode >= 500 {
		a.Health = idec.Failing
	} else {
		a.Health = idec.Healthy
	}
	a.Retry = retryableStatus(resp.StatusCode)
	return a
}

// transportError classifies an error of sending a request or reading its
// answer: whether it is a timeout, whether the caller gave up, whether a
// retry could help, and what it says about IDEC's health.
func transportError(ctx, actx context.Context, id string, err error) (*idec.Error, bool, idec.Health) {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return &idec.Error{Kind: context.Canceled, RequestID: id, Err: err}, false, idec.NoEvidence
	case ctx.Err() != nil:
		// The call's deadline passed: nothing left to retry with.
		return &idec.Error{Kind: idec.ErrTimeout, RequestID: id, Err: idec.Deadline(err)}, false, idec.Failing
	case actx.Err() != nil:
		return &idec.Error{Kind: idec.ErrTimeout, RequestID: id, Err: idec.Deadline(err)}, true, idec.Failing
	case isTLSRejection(err):
		// A certificate the other side does not accept will not be
		// accepted on the next attempt either.
		return &idec.Error{Kind: idec.ErrUnavailable, RequestID: id, Err: err}, false, idec.Failing
	default:
		return &idec.Error{Kind: idec.ErrUnavailable, RequestID: id, Err: err}, true, idec.Failing
	}
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
func decodeResult(id string, data []byte) (idec.Result, error) {
	var vr VerifyResponse
	if err := json.Unmarshal(data, &vr); err != nil {
		return idec.Result{}, fmt.Errorf("decode verify response: %w", err)
	}
	switch {
	case vr.RequestID != id:
		return idec.Result{}, errors.New("verify response: request_id does not echo the request's")
	case vr.IDECRequestID == "":
		return idec.Result{}, errors.New("verify response: idec_request_id missing")
	case vr.Decision != DecisionMatch && vr.Decision != DecisionNoMatch:
		return idec.Result{}, errors.New("verify response: unknown decision")
	case math.IsNaN(vr.Similarity) || vr.Similarity < 0 || vr.Similarity > 1:
		return idec.Result{}, errors.New("verify response: similarity outside 0-1")
	case vr.Time.IsZero():
		return idec.Result{}, errors.New("verify response: time missing")
	}
	return idec.Result{
		Match:           vr.Decision == DecisionMatch,
		Similarity:      vr.Similarity,
		Decision:        vr.Decision,
		ReferenceSource: vr.ReferenceSource,
		IDECRequestID:   vr.IDECRequestID,
		RequestID:       id,
		Time:            vr.Time,
	}, nil
}

// classifyStatus maps a non-200 answer to an idec sentinel: by the
// contract's code when it is known, by the status otherwise.
func classifyStatus(status int, code string) error {
	switch code {
	case CodeInvalidRequest, CodeConflict:
		return idec.ErrInvalidRequest
	case CodeNoFace:
		return idec.ErrNoFace
	case CodeUnknownIIN:
		return idec.ErrUnknownIIN
	case CodeNoReferencePhoto:
		return idec.ErrNoReferencePhoto
	case CodeNoFinger:
		return idec.ErrNoFinger
	case CodeNoReferenceFinger:
		return idec.ErrNoReferenceFinger
	case CodeUnavailable, CodeInternal:
		return idec.ErrUnavailable
	}
	switch {
	case status == http.StatusBadRequest:
		return idec.ErrInvalidRequest
	case status == http.StatusTooManyRequests || status >= 500:
		return idec.ErrUnavailable
	default:
		return idec.ErrBadResponse
	}
}

// retryableStatus reports the statuses after which a retry is safe and
// useful: a gateway or IDEC saying it could not serve the request now.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
