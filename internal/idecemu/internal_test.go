package idecemu

import (
	"context"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

func TestSimilarity(t *testing.T) {
	for _, tc := range []struct{ cos, want float64 }{
		{math.NaN(), 0}, {-2, 0}, {-1, 0}, {0, 0.05}, {0.1, 0.175}, {0.2, 0.30},
		{0.35, 0.95}, {0.8, 0.99}, {1, 1}, {2, 1},
	} {
		if got := Similarity(tc.cos); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Similarity(%v) = %v, want %v", tc.cos, got, tc.want)
		}
	}
	prev := -1.0
	for c := -1.0; c <= 1; c += 0.001 {
		s := Similarity(c)
		if s < prev || s < 0 || s > 1 {
			t.Fatalf("not monotonic in [0, 1] at cosine %v: %v after %v", c, s, prev)
		}
		prev = s
	}
	if Similarity(0.35) != DefaultThreshold {
		t.Errorf("the threshold cosine does not map to DefaultThreshold")
	}
}

// TestCalibration measures the matcher's cosines on every pair of the
// shared single-face photos and checks that the calibration's knots still
// sit where its comment says: different people below cosine 0.20
// (similarity 0.30), the same person above 0.50 (0.96), the threshold
// cosine 0.35 in the gap.
func TestCalibration(t *testing.T) {
	m, err := newMatcher(testenv.Models(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	person := map[string]string{
		"obama.jpg": "obama", "obama2.jpg": "obama", "tests_obama3.jpg": "obama", "obama_small.jpg": "obama",
		"biden.jpg": "biden", "train_biden_biden2.jpg": "biden",
		"alex-lacamoire.png": "lacamoire", "train_alex_lacamoire_img1.jpg": "lacamoire",
	}
	names := slices.Sorted(maps.Keys(person))
	embs := map[string]models.Embedding{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "faces", n))
		if err != nil {
			t.Fatal(err)
		}
		if embs[n], err = m.embed(b, kindReference, 1<<26); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	same, diff := []float64{}, []float64{}
	for i, a := range names {
		for _, b := range names[i+1:] {
			c := float64(models.Cosine(embs[a], embs[b]))
			if person[a] == person[b] {
				same = append(same, c)
			} else {
				diff = append(diff, c)
			}
		}
	}
	t.Logf("same person (%d pairs): cosine %.3f..%.3f, similarity %.3f..%.3f",
		len(same), slices.Min(same), slices.Max(same), Similarity(slices.Min(same)), Similarity(slices.Max(same)))
	t.Logf("different people (%d pairs): cosine %.3f..%.3f, similarity %.3f..%.3f",
		len(diff), slices.Min(diff), slices.Max(diff), Similarity(slices.Min(diff)), Similarity(slices.Max(diff)))
	if slices.Min(same) < 0.50 || slices.Max(diff) > 0.20 {
		t.Errorf("the calibration no longer fits the matcher: same >= %.3f, different <= %.3f", slices.Min(same), slices.Max(diff))
	}
}

func TestParseFaultHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want plan
		bad  bool
	}{
		{in: "status=503", want: plan{status: 503}},
		{in: "latency=2s", want: plan{latency: 2 * time.Second}},
		{in: "timeout", want: plan{timeout: true}},
		{in: "Malformed", want: plan{malformed: true}},
		{in: " reset ; latency = 150ms ;", want: plan{reset: true, latency: 150 * time.Millisecond}},
		{in: "status=500;timeout;malformed;reset", want: plan{status: 500, timeout: true, malformed: true, reset: true}},
		{in: "status=600", bad: true},
		{in: "status=200", bad: true},
		{in: "latency=forever", bad: true},
		{in: "latency=11m", bad: true},
		{in: "reset=1", bad: true},
		{in: "explode", bad: true},
	} {
		got, err := parseFaultHeader(tc.in)
		if (err != nil) != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("%q: %+v, %v", tc.in, got, err)
		}
	}
}

func TestFaultCode(t *testing.T) {
	for status, want := range map[int]string{503: "unavailable", 429: "unavailable", 500: "internal", 502: "internal",
		409: "no_reference_photo", 404: "unknown_iin", 422: "no_face", 400: "invalid_request", 418: "invalid_request"} {
		if got := faultCode(status); got != want {
			t.Errorf("%d: %q, want %q", status, got, want)
		}
	}
}

// TestReplayCache runs in a synctest bubble: synctest.Wait proves the
// second attempt is blocked for good, where a sleep could only hope so.
func TestReplayCache(t *testing.T) { synctest.Test(t, testReplayCache) }

func testReplayCache(t *testing.T) {
	ctx := context.Background()
	c := newReplayCache(2)
	h1, h2 := [32]byte{1}, [32]byte{2}

	_, _, finish, _ := c.begin(ctx, "a", h1)
	// A second attempt waits for the first.
	got := make(chan *answer)
	go func() {
		a, _, _, _ := c.begin(ctx, "a", h1)
		got <- a
	}()
	if _, conflict, _, _ := c.begin(ctx, "a", h2); !conflict {
		t.Error("another body under a running id: no conflict")
	}
	synctest.Wait()
	select {
	case <-got:
		t.Fatal("the second attempt did not wait")
	default:
	}
	finish(&answer{status: 200, body: []byte("x")})
	if a := <-got; a == nil || string(a.body) != "x" {
		t.Fatalf("second attempt got %+v", a)
	}

	// An unrecorded outcome lets the next attempt run.
	_, _, finish, _ = c.begin(ctx, "b", h1)
	finish(nil)
	if a, conflict, f, _ := c.begin(ctx, "b", h2); a != nil || conflict || f == nil {
		t.Error("a dropped id is still remembered")
	} else {
		f(&answer{status: 404})
	}

	// Bounded: a third id pushes out the least recently used ("a").
	_, _, f, _ := c.begin(ctx, "c", h1)
	f(&answer{status: 200})
	if a, _, f, _ := c.begin(ctx, "a", h1); a != nil || f == nil {
		t.Error("evicted id replayed")
	}

	// A waiter gives up with its context.
	_, _, _, _ = c.begin(ctx, "d", h1)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, _, err := c.begin(cctx, "d", h1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: %v", err)
	}
}

// TestPoolBounds: one matcher, one waiter; a third caller is refused, and
// closing releases the waiter. In a synctest bubble, synctest.Wait lets the
// waiter reach its wait instead of polling for it.
func TestPoolBounds(t *testing.T) { synctest.Test(t, testPoolBounds) }

func testPoolBounds(t *testing.T) {
	p := &pool{free: make(chan *matcher, 1), waiting: make(chan struct{}, 2)}
	p.free <- &matcher{}
	done := make(chan struct{})
	hold, held := make(chan struct{}), make(chan struct{})
	go p.do(context.Background(), done, func(*matcher) error { close(held); <-hold; return nil })
	<-held
	waiter := make(chan error)
	go func() { waiter <- p.do(context.Background(), done, func(*matcher) error { return nil }) }()
	synctest.Wait()
	if len(p.waiting) != 2 {
		t.Fatalf("%d callers counted, want the holder and the waiter", len(p.waiting))
	}
	if err := p.do(context.Background(), done, func(*matcher) error { return nil }); !errors.Is(err, ErrBusy) {
		t.Errorf("third caller: %v, want ErrBusy", err)
	}
	close(done)
	if err := <-waiter; !errors.Is(err, ErrClosed) {
		t.Errorf("waiter: %v, want ErrClosed", err)
	}
	close(hold)
}

func TestValidUUID(t *testing.T) {
	for i := 0; i < 100; i++ {
		if u := newUUID(); !validUUID(u) || u[14] != '4' {
			t.Fatalf("newUUID %q", u)
		}
	}
	for _, s := range []string{"", "req-1", "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000", "123e4567xe89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400g"} {
		if validUUID(s) {
			t.Errorf("%q accepted", s)
		}
	}
	if !validUUID("123E4567-E89B-12D3-A456-426614174000") {
		t.Error("upper case refused")
	}
}
