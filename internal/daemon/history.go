package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/biogate/biogate/gateway/evidence"
	"github.com/biogate/biogate/liveness"
)

// DefaultReplayWindow is how long frame hashes are kept and compared by the
// replay cue when Config.ReplayWindow is 0.
const DefaultReplayWindow = 30 * 24 * time.Hour

// historyTimeout bounds one call to the evidence store for the replay cue.
const historyTimeout = 2 * time.Second

// frameHistory adapts the evidence store to liveness.FrameHistory: the
// replay cue of every session on every gateway sharing the store compares
// its frames with the hashes kept there within window.
type frameHistory struct {
	store  evidence.Store
	window time.Duration
	log    *slog.Logger
	failed atomic.Int64 // lookups failed since the last Record
}

func (h *frameHistory) Similar(fh liveness.FrameHash) ([]liveness.PastFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	ps, err := h.store.SimilarFrames(ctx, fh.Coarse, time.Now().Add(-h.window), liveness.ReplayLookupLimit)
	if err != nil {
		h.failed.Add(1)
		return nil, err
	}
	out := make([]liveness.PastFrame, len(ps))
	for i, p := range ps {
		out[i] = liveness.PastFrame{Session: p.Session, Hash: liveness.FrameHash(p.Hash)}
	}
	return out, nil
}

func (h *frameHistory) Record(session string, hs []liveness.FrameHash) error {
	if n := h.failed.Swap(0); n > 0 {
		h.log.Error("replay cue lookups failed: sessions went unchecked for replayed frames", "lookups", n)
	}
	eh := make([]evidence.FrameHash, len(hs))
	for i, x := range hs {
		eh[i] = evidence.FrameHash(x)
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	err := h.store.RecordFrames(ctx, session, time.Now(), eh)
	if err != nil {
		h.log.Error("frame hashes not kept: a replay of this session will not be recognised", "error", err)
	}
	return err
}

// sessionCues returns the cues the daemon adds to every session, fresh:
// the flat cue (flat_presentation: a photo warped or moved as a plane),
// the stream cue, and the replay cue over history (none when history is
// nil: replay checks off).
func sessionCues(history *frameHistory) []liveness.Cue {
	cues := []liveness.Cue{liveness.NewFlatCue(), liveness.NewStream()}
	if history != nil {
		cues = append(cues, liveness.NewReplay(history))
	}
	return cues
}
