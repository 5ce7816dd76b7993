package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/gateway/idec"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// storeTimeout bounds one evidence call. Appends run on a context that
// the session's end does not cancel, so a decided result is kept even
// when the client has gone or the daemon is stopping.
const storeTimeout = 10 * time.Second

// storeCtx is the context of evidence calls: not cancelled by the
// session's end, bounded by storeTimeout.
func (s *session) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(s.ctx), storeTimeout)
}

// recordLockout keeps the evidence of a start refused because its IIN is
// locked out: a refused document with reason locked_out, which the
// regulator's statistics count. No result goes to the client (it gets the
// locked_out error); the start is not accepted. s.mu is held.
func (s *session) recordLockout(st *protocol.Start) {
	s.start = st
	defer func() { s.start = nil }()
	res := s.result(protocol.DecisionRefused, []string{evidence.ReasonLockedOut}, nil, "")
	if err := s.record(res); err != nil {
		s.log.Error("lockout document not kept", "error", err)
	}
}

// verification is what a session learnt on its way to a result, for the
// document: the pipeline's outcome and IDEC's answer. Guarded by the
// session's mu.
type verification struct {
	out         *PipelineOutcome
	finger      *FingerOutcome
	idec        *idec.Result
	idecLatency time.Duration
	// fingerIDEC is IDEC's answer on the fingerprint; idec the face's.
	fingerIDEC    *idec.Result
	fingerLatency time.Duration
	camera        string // kiosk: the camera's backend
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
	doc.Modality = outcome.Modality(st.Modality)
	if st.Modality == protocol.ModalityFinger {
		// No face liveness: the reader is the gateway's own (a kiosk's).
		doc.Liveness, doc.Device = document.Liveness{}, document.Device{Mode: document.ModeKiosk}
	}
	doc.Attestation = s.attestationDoc()

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
				dc.Image = ref("command-"+strconv.Itoa(c.Attempt)+"-"+strconv.Itoa(c.Index)+"-"+string(c.Command), c.JPEG, c.Width, c.Height, 0)
			}
			doc.Liveness.Commands = append(doc.Liveness.Commands, dc)
		}
		if p := out.Passive; p.Decision != "" {
			dp := &document.Passive{Decision: p.Decision, PLive: min(max(p.PLive, 0), 1), Frames: p.Frames, FusionBias: p.Bias,
				DecidedBy: p.DecidedBy}
			for _, c := range p.Cues {
				dp.Cues = append(dp.Cues, document.Cue{Name: c.Name, Score: c.Score, Weight: c.Weight,
					Available: c.Available, Contribution: c.Contribution})
			}
			doc.Liveness.Passive = dp
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
	if f := v.finger; f != nil {
		// The record IDEC compared, chained with the document: its
		// digest here, the record itself encrypted in the store.
		name := "finger-" + string(st.Finger.Position)
		sum := sha256.Sum256(f.Record)
		images = append(images, evidence.Image{Name: name, JPEG: f.Record})
		doc.Finger = &document.Finger{Position: st.Finger.Position, Quality: f.Quality, Impressions: f.Impressions,
			TemplateSHA256: f.TemplateSHA256, Record: &document.ImageRef{Name: name, SHA256: hex.EncodeToString(sum[:]),
				Bytes: int64(len(f.Record)), Width: f.Width, Height: f.Height, Quality: float64(f.Quality)},
			IDEC: docIDEC(v.fingerIDEC, v.fingerLatency)}
	}
	doc.IDEC = docIDEC(v.idec, v.idecLatency)
	return doc, images
}

// docIDEC is IDEC's answer x as the document records it; nil for none.
func docIDEC(x *idec.Result, latency time.Duration) *document.IDEC {
	if x == nil {
		return nil
	}
	return &document.IDEC{RequestID: x.IDECRequestID, Decision: document.Decision(x.Decision),
		Similarity: min(max(x.Similarity, 0), 1), ReferenceSource: x.ReferenceSource, LatencyMS: latency.Milliseconds()}
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
