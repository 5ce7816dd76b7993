package idecemu

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/models"
)

// maxBodyOverhead is what a request body may hold besides the photo's (or
// the fingerprint record's) base64.
const maxBodyOverhead = 64 << 10

// maxConsentRef is the contract's longest consent_ref, in bytes.
const maxConsentRef = 256

func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	s.serveVerification(w, r, "verify", faultCode, s.readFace)
}

// serveVerification answers a verification request of one modality: it
// echoes the request id, applies the faults (an injected status answered
// with codeOf's code), reads and decides the request through read (once per
// request id: verify) and logs one line named msg.
func (s *Server) serveVerification(w http.ResponseWriter, r *http.Request, msg string, codeOf func(status int) string, read func(*http.Request) (*pending, error)) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	start := time.Now()
	if id := r.Header.Get(idechttp.HeaderRequestID); validUUID(id) {
		w.Header().Set(idechttp.HeaderRequestID, id) // echoed on every answer
	}
	p, err := s.faultPlan(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, idechttp.CodeInvalidRequest, "bad "+HeaderFault+" header: "+err.Error(), "")
		return
	}
	if p.latency > 0 && !wait(r.Context(), s.closing, p.latency) {
		panic(http.ErrAbortHandler) // the client left, or the server closes
	}
	if p.status != 0 {
		s.log.Info(msg, "request_id", r.Header.Get(idechttp.HeaderRequestID), "status", p.status, "outcome", "injected fault")
		writeError(w, p.status, codeOf(p.status), "injected fault", "")
		return
	}
	a, outcome := s.verify(r, read)
	if a == nil {
		return // the client left while its request waited
	}
	s.log.Info(msg, "request_id", r.Header.Get(idechttp.HeaderRequestID), "status", a.status,
		"outcome", outcome, "ms", time.Since(start).Milliseconds())
	s.deliver(w, r, p, a)
}

// pending is a verification request read and checked, not yet decided.
type pending struct {
	// requestID is the caller's idempotency key.
	requestID string
	// digest identifies the request's endpoint and content, whatever the
	// body's spelling: the same id with another digest is a reuse.
	digest [32]byte
	// decide compares the sample with the reference; its answer is nil
	// only when ctx ended (the client went away).
	decide func(ctx context.Context) (*answer, string)
}

// digest is pending.digest of a request to path whose decoded body is v.
func digest(path string, v any) [32]byte {
	canon, _ := json.Marshal(v) // of the contract's types: cannot fail
	return sha256.Sum256(append([]byte(path+"\x00"), canon...))
}

// verify reads a verification through read and decides it, once per
// request id, and returns its answer and, for the log, its outcome (a
// decision or an error code; never biometric data). The answer is nil only
// when the client went away.
func (s *Server) verify(r *http.Request, read func(*http.Request) (*pending, error)) (a *answer, outcome string) {
	v, err := read(r)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, idechttp.CodeInvalidRequest, err.Error(), ""), idechttp.CodeInvalidRequest
	}
	replay, conflict, finish, err := s.replay.begin(r.Context(), v.requestID, v.digest)
	switch {
	case err != nil:
		return nil, "client gone"
	case conflict:
		return errorAnswer(http.StatusConflict, idechttp.CodeConflict, "the request id was used for a different request", ""), idechttp.CodeConflict
	case replay != nil:
		return replay, "replayed"
	}
	a, outcome = v.decide(r.Context())
	if a != nil && keep(a.status) {
		finish(a)
	} else {
		finish(nil)
	}
	return a, outcome
}

// readFace reads a face verification (readVerify).
func (s *Server) readFace(r *http.Request) (*pending, error) {
	req, err := s.readVerify(r)
	if err != nil {
		return nil, err
	}
	return &pending{
		requestID: req.RequestID,
		digest:    digest(idechttp.PathVerify, req),
		decide:    func(ctx context.Context) (*answer, string) { return s.match(ctx, req) },
	}, nil
}

// keep reports whether an answer with status is the request's final one,
// recorded for retries; 5xx answers are not, so a retry is processed again.
func keep(status int) bool { return status < 500 }

// match compares the request's photo with the IIN's reference.
func (s *Server) match(ctx context.Context, req *idechttp.VerifyRequest) (*answer, string) {
	id := newUUID()
	rec, err := s.gallery.lookup(req.IIN)
	switch {
	case errors.Is(err, errUnknown):
		return errorAnswer(http.StatusNotFound, idechttp.CodeUnknownIIN, "no person with this IIN", id), idechttp.CodeUnknownIIN
	case errors.Is(err, errNoReference):
		return errorAnswer(http.StatusConflict, idechttp.CodeNoReferencePhoto, "the person has no reference photo", id), idechttp.CodeNoReferencePhoto
	case errors.Is(err, errUnusable):
		s.log.Warn("reference record unusable", "idec_request_id", id, "iin", maskIIN(req.IIN), "err", err)
		return errorAnswer(http.StatusConflict, idechttp.CodeNoReferencePhoto, "the person has no usable reference photo", id), idechttp.CodeNoReferencePhoto
	case err != nil:
		return s.internal(id, err)
	}
	var probe models.Embedding
	err = s.pool.do(ctx, s.closing, func(m *matcher) error {
		var err error
		probe, err = m.embed(req.Photo, kindProbe, s.cfg.MaxPhotoBytes)
		return err
	})
	switch {
	case errors.Is(err, ErrBadPhoto):
		return errorAnswer(http.StatusBadRequest, idechttp.CodeInvalidRequest, "photo: "+strings.TrimPrefix(err.Error(), ErrBadPhoto.Error()+": "), id), idechttp.CodeInvalidRequest
	case errors.Is(err, errSeveralFaces):
		return errorAnswer(http.StatusUnprocessableEntity, idechttp.CodeNoFace, "several faces in the photo; capture the person alone", id), idechttp.CodeNoFace
	case errors.Is(err, ErrNoFace):
		return errorAnswer(http.StatusUnprocessableEntity, idechttp.CodeNoFace, "no face found in the photo", id), idechttp.CodeNoFace
	case errors.Is(err, ErrBusy), errors.Is(err, ErrClosed):
		return errorAnswer(http.StatusServiceUnavailable, idechttp.CodeUnavailable, "IDEC is busy; retry later", id), idechttp.CodeUnavailable
	case ctx.Err() != nil:
		return nil, "client gone"
	case err != nil:
		return s.internal(id, err)
	}
	cos := float64(models.Cosine(probe, rec.Embedding))
	sim := Similarity(cos)
	decision := idechttp.DecisionNoMatch
	if sim >= s.cfg.Threshold {
		decision = idechttp.DecisionMatch
	}
	return s.decided(id, req.RequestID, sim, decision, time.Now())
}

// decided is the 200 answer of the verification id (IDEC's) of the
// caller's requestID.
func (s *Server) decided(id, requestID string, similarity float64, decision string, now time.Time) (*answer, string) {
	body, err := json.Marshal(idechttp.VerifyResponse{
		RequestID:       requestID,
		IDECRequestID:   id,
		Similarity:      similarity,
		Decision:        decision,
		ReferenceSource: s.cfg.ReferenceSource,
		Time:            now.UTC(),
	})
	if err != nil {
		return s.internal(id, err)
	}
	return &answer{status: http.StatusOK, body: body}, decision
}

// internal logs err (which may name files) and answers 500 without it.
func (s *Server) internal(id string, err error) (*answer, string) {
	s.log.Error("verification failed", "idec_request_id", id, "err", err)
	return errorAnswer(http.StatusInternalServerError, idechttp.CodeInternal, "internal error", id), idechttp.CodeInternal
}

// readVerify reads and checks a VerifyRequest. Its errors are for the
// client and carry no request data.
func (s *Server) readVerify(r *http.Request) (*idechttp.VerifyRequest, error) {
	var req idechttp.VerifyRequest
	if err := s.decodeBody(r, &req, s.cfg.MaxPhotoBytes); err != nil {
		return nil, err
	}
	if err := checkCommon(r, req.RequestID, req.IIN, req.BIN, req.ConsentRef, req.Capture); err != nil {
		return nil, err
	}
	switch {
	case len(req.Photo) == 0:
		return nil, errors.New("photo is missing")
	case sniff(req.Photo) != formatJPEG:
		return nil, errors.New("photo is not a JPEG")
	}
	return &req, nil
}

// checkCommon checks what every verification request has: the request id
// (a UUID, repeated in the HeaderRequestID header), the IIN and BIN (their
// check digits), consent_ref and capture.quality. Its errors are for the
// client and carry no request data.
func checkCommon(r *http.Request, requestID, id, bin, consentRef string, c idechttp.CaptureMeta) error {
	switch hdr := r.Header.Get(idechttp.HeaderRequestID); {
	case !validUUID(requestID):
		return errors.New("request_id must be a UUID")
	case hdr != requestID:
		return fmt.Errorf("the %s header must repeat the body's request_id", idechttp.HeaderRequestID)
	}
	if _, err := iin.Parse(id); err != nil {
		return errors.New("iin is not a valid IIN")
	}
	if _, err := iin.ParseBIN(bin); err != nil {
		return errors.New("bin is not a valid BIN")
	}
	switch {
	case consentRef == "":
		return errors.New("consent_ref is missing")
	case len(consentRef) > maxConsentRef:
		return fmt.Errorf("consent_ref is longer than %d bytes", maxConsentRef)
	case !(c.Quality >= 0 && c.Quality <= 100):
		return errors.New("capture.quality is not in 0-100")
	}
	return nil
}

// decodeBody decodes one JSON object from r's body into v, refusing
// unknown fields, trailing data and bodies too large for a payload (the
// photo or record, base64 in the body) of payload bytes.
func (s *Server) decodeBody(r *http.Request, v any, payload int) error {
	limit := int64(payload)*4/3 + maxBodyOverhead
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("body larger than %d bytes", limit)
		}
		return errors.New("body is not the contract's JSON: " + jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the body.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid"
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	var req idechttp.EnrollRequest
	if err := s.decodeBody(r, &req, s.cfg.MaxPhotoBytes); err != nil {
		writeError(w, http.StatusBadRequest, idechttp.CodeInvalidRequest, err.Error(), "")
		return
	}
	err := s.Enroll(r.Context(), req.IIN, req.Photo)
	code := "enrolled"
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrInvalidIIN):
		code = idechttp.CodeInvalidRequest
		writeError(w, http.StatusBadRequest, code, "iin is not a valid IIN", "")
	case errors.Is(err, ErrBadPhoto):
		code = idechttp.CodeInvalidRequest
		writeError(w, http.StatusBadRequest, code, "photo: "+strings.TrimPrefix(err.Error(), ErrBadPhoto.Error()+": "), "")
	case errors.Is(err, ErrNoFace):
		code = idechttp.CodeNoFace
		writeError(w, http.StatusUnprocessableEntity, code, "no face found in the photo", "")
	case errors.Is(err, ErrBusy), errors.Is(err, ErrClosed):
		code = idechttp.CodeUnavailable
		writeError(w, http.StatusServiceUnavailable, code, "busy; retry later", "")
	case r.Context().Err() != nil:
		return
	default:
		code = idechttp.CodeInternal
		s.log.Error("enrolment failed", "err", err)
		writeError(w, http.StatusInternalServerError, code, "internal error", "")
	}
	s.log.Info("enroll", "iin", maskIIN(req.IIN), "outcome", code)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, http.MethodGet+", "+http.MethodHead)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.WriteString(w, `{"status":"ok"}`+"\n")
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, idechttp.CodeInvalidRequest, "method not allowed", "")
}

// errorAnswer builds an ErrorResponse answer. message is for people and
// must not hold request data.
func errorAnswer(status int, code, message, idecID string) *answer {
	body, _ := json.Marshal(idechttp.ErrorResponse{Code: code, Message: message, IDECRequestID: idecID})
	return &answer{status: status, body: body}
}

func writeError(w http.ResponseWriter, status int, code, message, idecID string) {
	writeAnswer(w, errorAnswer(status, code, message, idecID))
}

func writeAnswer(w http.ResponseWriter, a *answer) {
	w.Header().Set("Content-Type", "application/json")
	if a.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// validUUID reports whether s is a UUID in its canonical text form
// (8-4-4-4-12 hex digits, any case).
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// maskIIN returns the IIN for a log line: its last 4 digits only.
func maskIIN(s string) string {
	if n, err := iin.Parse(s); err == nil {
		return n.Masked()
	}
	return "(invalid)"
}
