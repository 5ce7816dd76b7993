package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/devices/relay"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

// consentSHA is the SHA-256 of the consent text the load sessions claim.
const consentSHA = "5b2a2c8e8f1f1e3e6f4f0d5c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a19080"

// Run runs the load described by cfg and returns the report. It returns
// only when every session goroutine has ended.
func Run(ctx context.Context, cfg Config, stderr io.Writer) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	frames, err := loadClip(ctx, cfg.Clip)
	if err != nil {
		return nil, err
	}
	mc := &metricsClient{base: cfg.Metrics.String(), http: &http.Client{Timeout: 5 * time.Second}}
	idle, err := mc.scrape(ctx)
	if err != nil {
		return nil, fmt.Errorf("metrics before the run: %w", err)
	}

	st := newStats()
	ids := &iinSource{fixed: cfg.IIN}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	begin := time.Now()
	st.begin = begin
	cpu0 := processCPU()

	var wg sync.WaitGroup
	peak := idle
	wg.Add(1)
	go func() { // memory sampler
		defer wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			if m, err := mc.scrape(runCtx); err == nil && m.rss > peak.rss {
				peak.rss = m.rss
			}
		}
	}()
	interval := time.Duration(float64(time.Second) / cfg.FPS)
	for i := range cfg.Sessions {
		w := &worker{id: i, cfg: cfg, frames: frames, st: st, ids: ids, interval: interval,
			// Stagger the sessions over one frame interval, as
			// independent phones would be.
			offset: interval * time.Duration(i) / time.Duration(cfg.Sessions)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(runCtx)
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)

	// The gateway counts a session's relay frames when its connection's
	// handler ends, after the session gave back its slot: wait until it
	// has counted every connection this run opened as ended, then read the
	// counters once more.
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	after, err := mc.scrape(sctx)
	for err == nil && (after.active > idle.active || after.ended-idle.ended < float64(st.connections.Load())) && sctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		after, err = mc.scrape(sctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "biogate-load: metrics after the run: %v\n", err)
		after = peak
	}
	if after.rss > peak.rss {
		peak.rss = after.rss
	}
	rep := st.report(cfg, elapsed, idle, peak, after)
	rep.ClipFrames = len(frames)
	rep.ClientCPUSeconds = (processCPU() - cpu0).Seconds()
	return rep, nil
}

// worker keeps one session slot busy: it runs a session, and when the
// session ends before the run does, starts another.
type worker struct {
	id       int
	cfg      Config
	frames   [][]byte
	st       *stats
	ids      *iinSource
	interval time.Duration
	offset   time.Duration
	seq      uint32 // frame number across this worker's sessions
}

func (w *worker) loop(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(w.offset):
	}
	for ctx.Err() == nil {
		backoff := w.session(ctx)
		if backoff > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
		}
	}
}

// session runs one session until its result, a fatal error or the end of
// ctx, and returns how long to wait before the next one.
func (w *worker) session(ctx context.Context) time.Duration {
	u := "ws://" + w.cfg.Gateway.Host + "/v1/session"
	hdr := http.Header{"Authorization": {"Bearer " + w.cfg.Key}}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, u, hdr)
	dcancel()
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		code := "dial"
		if resp != nil {
			code = fmt.Sprintf("http_%d", resp.StatusCode)
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if m, err := protocol.DecodeServer(body); err == nil {
				if e, ok := m.(*protocol.ErrorMessage); ok {
					code = string(e.Code)
				}
			}
			resp.Body.Close()
		}
		w.st.addError(code, true)
		return time.Second
	}
	defer conn.Close()
	w.st.connections.Add(1)
	var (
		wmu      sync.Mutex
		lastSent atomic.Int64 // UnixNano of the last frame written
	)
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return conn.WriteMessage(typ, b)
	}
	start := protocol.Start{IIN: w.ids.next(), Modality: protocol.ModalityFace, ClientNonce: nonce(),
		Consent: &protocol.Consent{TextID: "biogate-load-consent-v1", TextSHA256: consentSHA, AcceptedAt: time.Now().UTC()},
		Camera:  protocol.Camera{Mode: protocol.CameraRelay}}
	msg, err := protocol.Encode(start)
	if err != nil {
		w.st.addError("encode", true)
		return time.Second
	}
	started := time.Now()
	if err := write(websocket.TextMessage, msg); err != nil {
		w.st.addError("write", true)
		return time.Second
	}
	w.st.sessionsStarted.Add(1)

	// The sender runs until the session ends; the reader below owns it.
	sendCtx, stopSending := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer func() { stopSending(); sender.Wait() }()
	sender.Add(1)
	go func() {
		defer sender.Done()
		w.send(sendCtx, write, &lastSent)
	}()
	// Closing the socket unblocks the reader when the run ends.
	stopClose := context.AfterFunc(ctx, func() {
		if b, err := protocol.Encode(protocol.Cancel{}); err == nil {
			write(websocket.TextMessage, b)
		}
		conn.Close()
	})
	defer stopClose()

	var backoff time.Duration
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			// "closed": the connection ended with no result and no fatal
			// error first (a fatal error is followed by the gateway's
			// close, and counted as itself).
			if ctx.Err() == nil && backoff == 0 {
				w.st.addError("closed", false)
			}
			return backoff
		}
		now := time.Now()
		m, err := protocol.DecodeServer(data)
		if err != nil {
			w.st.addError("bad_message_from_gateway", false)
			continue
		}
		switch m := m.(type) {
		case *protocol.Quality:
			if ls := lastSent.Load(); ls != 0 {
				w.st.addQuality(now, now.Sub(time.Unix(0, ls)))
			}
		case *protocol.Result:
			w.st.addResult(string(m.Decision), now.Sub(started))
			return 0
		case *protocol.ErrorMessage:
			w.st.addError(string(m.Code), m.Fatal)
			if m.Fatal {
				backoff = time.Second
				if m.RetryAfter > 0 {
					backoff = min(time.Duration(m.RetryAfter)*time.Second, 5*time.Second)
				}
			}
		case *protocol.Aborted:
			w.st.addError("aborted", true)
			return time.Second
		}
	}
}

// send loops the clip's frames at the worker's rate until ctx ends or a
// write fails.
func (w *worker) send(ctx context.Context, write func(int, []byte) error, lastSent *atomic.Int64) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	var buf []byte
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.seq++
		jpeg := w.frames[i%len(w.frames)]
		buf = relay.AppendMessage(buf[:0], relay.Header{Seq: w.seq, CaptureMillis: time.Now().UnixMilli()}, jpeg)
		if err := write(websocket.BinaryMessage, buf); err != nil {
			return
		}
		lastSent.Store(time.Now().UnixNano())
		w.st.framesSent.Add(1)
		w.st.bytesSent.Add(int64(len(buf)))
	}
}

// iinSource hands out IINs: the fixed one, or a fresh valid one per
// session, so that the gateway's lockout of an IIN after failed attempts
// does not end the load.
type iinSource struct {
	fixed string
	mu    sync.Mutex
	n     int // 0: not started
}

func (s *iinSource) next() string {
	if s.fixed != "" {
		return s.fixed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		// A run starts at a random place, so that runs one after another
		// against one gateway do not claim the IINs an earlier run's
		// failed sessions locked out.
		s.n = 1 + mrand.IntN(1_000_000)
	}
	for {
		s.n++
		// 1990-2009, male and female, a serial number from the counter;
		// the last digit is whichever check digit makes it valid.
		prefix := fmt.Sprintf("%02d%02d%02d%d%04d", 90+s.n%10, 1+s.n%12, 1+s.n%28, 3+s.n%2, s.n%10000)
		for d := '0'; d <= '9'; d++ {
			if _, err := iin.Parse(prefix + string(d)); err == nil {
				return prefix + string(d)
			}
		}
	}
}

func nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "load-" + strings.ToLower(hex.EncodeToString(b))
}

// processCPU returns this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
