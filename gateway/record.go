package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
)

// Evidence is what the gateway needs of the evidence store
// (evidence.Store): appending a signed document with its images to the
// hash chain, and the failures behind lockouts.
type Evidence interface {
	Failures
	Holds
	Append(ctx context.Context, seal func(prevHash string) (evidence.Record, error)) (evidence.Entry, error)
}

// Failures counts failed verifications per subject for the lockout. The
// subject key is an HMAC of the IIN (Config.SubjectKey), never the IIN.
type Failures interface {
	// Failure records a failed verification at a time.
	Failure(ctx context.Context, key string, at time.Time) error
	// LockedFor says how long the subject stays locked out at now: max
	// failures within window lock it until the last is window old.
	LockedFor(ctx context.Context, key string, now time.Time, window time.Duration, max int) (time.Duration, error)
}

// Holds lets one session per subject run at a time, across every gateway
// that shares them (evidence.Store), so that concurrent sessions cannot
// pass the lockout together.
type Holds interface {
	// Hold takes the subject's lease for holder until the time until, and
	// reports false when another holder's lease has not run out at now.
	Hold(ctx context.Context, key, holder string, now, until time.Time) (bool, error)
	// Release drops the subject's lease if holder still holds it.
	Release(ctx context.Context, key, holder string) error
}

// memHolds keeps the leases in memory (no Config.Evidence): one gateway.
type memHolds struct {
	mu sync.Mutex
	m  map[string]memHold
}

type memHold struct {
	holder string
	until  time.Time
}

func (h *memHolds) Hold(_ context.Context, key, holder string, now, until time.Time) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[key]; ok && cur.holder != holder && now.Before(cur.until) {
		return false, nil
	}
	h.m[key] = memHold{holder, until}
	return true, nil
}

func (h *memHolds) Release(_ context.Context, key, holder string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[key].holder == holder {
		delete(h.m, key)
	}
	return nil
}

// storeTimeout bounds one evidence call. Appends run on a context that
// the session's end does not cancel, so a decided result is kept even
// when the client has gone or the daemon is stopping.
const storeTimeout = 10 * time.Second

// subjectKey is the opaque key an IIN's failures are kept under.
func (s *Server) subjectKey(iin string) string {
	m := hmac.New(sha256.New, s.cfg.SubjectKey)
	m.Write([]byte(iin))
	return hex.EncodeToString(m.Sum(nil))
}

// memFailures keeps failures in memory (no Config.Evidence): they do not
// outlive the process.
type memFailures struct{ w *window }

func (m memFailures) Failure(_ context.Context, key string, at time.Time) error {
	m.w.add(key, at)
	return nil
}

func (m memFailures) LockedFor(_ context.Context, key string, now time.Time, window time.Duration, max int) (time.Duration, error) {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	ev := m.w.recent(sha256.Sum256([]byte(key)), now)
	if len(ev) < max {
		return 0, nil
	}
	return ev[len(ev)-1].Add(window).Sub(now), nil
}

// verification is what a session learnt on its way to a result, for the
// document: the pipeline's outcome and IDEC's answer. Guarded by the
// session's mu.
type verification struct {
	out         *PipelineOutcome
	idec        *idec.Result
	idecLatency time.Duration
	camera      string // kiosk: the camera's backend
}

// departures says how a start's check departs from the rules.
func departures(st *protocol.Start) []string {
	if st.Commands == nil {
		return nil
	}
	d := []string{document.DepartureFixedCommands}
	if len(st.Commands) < 3 {
		d = append(d, document.DepartureFewCommands)
	}
	return d
}

// document builds the result document and the images it names. s.mu is
// held and start was accepted.
func (s *session) document(r *protocol.Result) (*document.Document, []evidence.Image) {
	st, v := s.start, &s.verif
	doc := document.New(s.id, r.DecidedAt)
	doc.Decision = document.Decision(r.Decision)
	doc.Reasons = r.Reasons
	doc.Organization.BIN = s.srv.cfg.BIN.String()
	doc.Subject.IIN = st.IIN
	doc.Consent = document.Consent{TextID: st.Consent.TextID, TextSHA256: st.Consent.TextSHA256, AcceptedAt: st.Consent.AcceptedAt}
	doc.ClientNonce = st.ClientNonce
	doc.DepartsFromRules = r.DepartsFromRules
	doc.Liveness = document.Liveness{Random: st.Commands == nil, Attempts: r.Attempts}
	doc.Gateway = document.Gateway{ID: s.srv.cfg.DeviceID, Version: s.srv.cfg.Version}
	doc.Device = document.Device{Mode: string(st.Camera.Mode), Camera: v.camera}

	var images []evidence.Image
	ref := func(name string, jpeg []byte, w, h int, quality float64) *document.ImageRef {
		sum := sha256.Sum256(jpeg)
		images = append(images, evidence.Image{Name: name, JPEG: jpeg})
		return &document.ImageRef{Name: name, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(jpeg)),
			Width: w, Height: h, Quality: min(max(quality, 0), 100)}
	}
	if out := v.out; out != nil {
		doc.Liveness.Attempts = max(doc.Liveness.Attempts, out.Attempts)
		for _, c := range out.Commands {
			dc := document.Command{Attempt: c.Attempt, Index: c.Index, Command: c.Command,
				Outcome: document.Outcome(c.Outcome), Reason: c.Reason, Progress: min(max(c.Progress, 0), 1)}
			if len(c.JPEG) > 0 && c.Width > 0 && c.Height > 0 {
				dc.Image = ref("command-"+strconv.Itoa(c.Attempt)+"-"+strconv.Itoa(c.Index)+"-"+c.Command, c.JPEG, c.Width, c.Height, 0)
			}
			doc.Liveness.Commands = append(doc.Liveness.Commands, dc)
		}
		if p := out.Passive; p.Decision != "" {
			doc.Liveness.Passive = &document.Passive{Decision: p.Decision, PLive: min(max(p.PLive, 0), 1), Frames: p.Frames}
		}
		if len(out.Best) > 0 && out.BestWidth > 0 && out.BestHeight > 0 {
			doc.BestFrame = ref("best", out.Best, out.BestWidth, out.BestHeight, out.Quality)
		}
		if len(out.Token) > 0 {
			// The token-frontal crop IDEC compared: kept and chained with
			// the record, derived from the best frame.
			images = append(images, evidence.Image{Name: "token", JPEG: out.Token})
		}
	}
	if x := v.idec; x != nil {
		doc.IDEC = &document.IDEC{RequestID: x.IDECRequestID, Decision: document.Decision(x.Decision),
			Similarity: min(max(x.Similarity, 0), 1), ReferenceSource: x.ReferenceSource, LatencyMS: v.idecLatency.Milliseconds()}
	}
	return doc, images
}

// record signs the result's document and appends it with its images to
// the evidence store, and sets r.Document. Without a signer it does
// nothing; without a store the document is signed with no predecessor.
// s.mu is held: the result waits for its document, so no result is ever
// sent whose document is not stored.
func (s *session) record(r *protocol.Result) error {
	cfg := &s.srv.cfg
	if cfg.Signer == nil {
		return nil
	}
	doc, images := s.document(r)
	if cfg.Evidence == nil {
		jws, err := document.Sign(cfg.Signer, doc)
		if err != nil {
			return err
		}
		r.Document = jws
		return nil
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	t0 := time.Now()
	_, err := cfg.Evidence.Append(ctx, func(prev string) (evidence.Record, error) {
		doc.PrevHash = prev
		jws, err := document.Sign(cfg.Signer, doc)
		if err != nil {
			return evidence.Record{}, err
		}
		r.Document = jws
		return evidence.Record{ID: doc.ID, Time: doc.IssuedAt, Decision: string(doc.Decision), Reasons: doc.Reasons,
			BIN: doc.Organization.BIN, Gateway: doc.Gateway.ID, Document: []byte(jws), Images: images}, nil
	})
	s.srv.m.stage.WithLabelValues("evidence").Observe(time.Since(t0).Seconds())
	if err != nil {
		r.Document = ""
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}
