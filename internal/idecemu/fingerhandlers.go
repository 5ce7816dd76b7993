package idecemu

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/idec/idechttp"
)

func (s *Server) handleVerifyFinger(w http.ResponseWriter, r *http.Request) {
	s.serveVerification(w, r, "verify finger", fingerFaultCode, s.readFinger)
}

// readFinger reads and checks a FingerVerifyRequest: the fields every
// verification has (checkCommon) and the sample's shape and record
// structure (checkSample). Its errors are for the client and carry no
// request data.
func (s *Server) readFinger(r *http.Request) (*pending, error) {
	var req idechttp.FingerVerifyRequest
	if err := s.decodeBody(r, &req, idec.MaxFingerRecord); err != nil {
		return nil, err
	}
	if err := checkCommon(r, req.RequestID, req.IIN, req.BIN, req.ConsentRef, req.Capture); err != nil {
		return nil, err
	}
	fs, err := checkSample(req.Finger)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), ErrBadFinger.Error()+": "))
	}
	return &pending{
		requestID: req.RequestID,
		digest:    digest(idechttp.PathVerifyFinger, &req),
		decide:    func(ctx context.Context) (*answer, string) { return s.matchFinger(ctx, &req, fs) },
	}, nil
}

// fingerFaultCode is faultCode for a fingerprint verification: 409 and 422
// come with the fingerprint's codes.
func fingerFaultCode(status int) string {
	switch status {
	case http.StatusConflict:
		return idechttp.CodeNoReferenceFinger
	case http.StatusUnprocessableEntity:
		return idechttp.CodeNoFinger
	}
	return faultCode(status)
}

func (s *Server) handleEnrollFinger(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	var req idechttp.FingerEnrollRequest
	if err := s.decodeBody(r, &req, idec.MaxFingerRecord); err != nil {
		writeError(w, http.StatusBadRequest, idechttp.CodeInvalidRequest, err.Error(), "")
		return
	}
	err := s.EnrollFinger(r.Context(), req.IIN, req.Finger)
	code := "enrolled"
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrInvalidIIN):
		code = idechttp.CodeInvalidRequest
		writeError(w, http.StatusBadRequest, code, "iin is not a valid IIN", "")
	case errors.Is(err, ErrBadFinger):
		code = idechttp.CodeInvalidRequest
		writeError(w, http.StatusBadRequest, code, strings.TrimPrefix(err.Error(), ErrBadFinger.Error()+": "), "")
	case errors.Is(err, ErrNoFinger):
		code = idechttp.CodeNoFinger
		writeError(w, http.StatusUnprocessableEntity, code, "no usable fingerprint in the record", "")
	case errors.Is(err, ErrBusy), errors.Is(err, ErrClosed):
		code = idechttp.CodeUnavailable
		writeError(w, http.StatusServiceUnavailable, code, "busy; retry later", "")
	case r.Context().Err() != nil:
		return
	default:
		code = idechttp.CodeInternal
		s.log.Error("fingerprint enrolment failed", "err", err)
		writeError(w, http.StatusInternalServerError, code, "internal error", "")
	}
	s.log.Info("enroll finger", "iin", maskIIN(req.IIN), "position", req.Finger.Position, "outcome", code)
}
