package relay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/biogate/biogate/devices"
)

// Defaults of Config.
const (
	DefaultMaxFrameBytes = 2 << 20 // 2 MiB
	// DefaultMaxFramePixels: 1920x1080; a decoded frame of it takes 6 MiB.
	DefaultMaxFramePixels = 1920 * 1080
	DefaultMaxFPS         = 15
	DefaultQueue          = 2
	DefaultIdleTimeout    = 5 * time.Second
	DefaultID             = "relay"
)

// Config of a relay Camera. Zero fields take the defaults above.
type Config struct {
	// MaxFrameBytes is the largest JPEG accepted, in bytes, header not
	// included.
	MaxFrameBytes int
	// MaxFramePixels is the most pixels (width times height) a frame's
	// JPEG may declare in its frame header. A JPEG of a few kilobytes can
	// declare 30000x30000 pixels, gigabytes to decode: the limit is
	// checked on the header, before anything decodes the frame.
	MaxFramePixels int
	// MaxFPS is the highest sustained rate of accepted frames, in frames per
	// second of arrival; the package comment gives the exact rule.
	MaxFPS float64
	// Queue is how many frames wait for the reader before the oldest is
	// dropped.
	Queue int
	// IdleTimeout is how long Read waits for a frame to arrive before it
	// returns devices.ErrTimeout. It runs on the runtime's timers (testable
	// with testing/synctest), not on Clock.
	IdleTimeout time.Duration
	// ID is the source id: Info.ID and Frame.Source, the session id, say.
	// It may be logged, so it must not be a secret.
	ID string
	// Clock stamps the frames' arrival and drives the rate limit (default
	// time.Now). It is called with the camera's lock held and must not call
	// back into the camera.
	Clock func() time.Time
}

func (c *Config) setDefaults() error {
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.MaxFramePixels == 0 {
		c.MaxFramePixels = DefaultMaxFramePixels
	}
	if c.MaxFPS == 0 {
		c.MaxFPS = DefaultMaxFPS
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ID == "" {
		c.ID = DefaultID
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	switch {
	case c.MaxFrameBytes < minJPEG:
		return fmt.Errorf("relay: MaxFrameBytes %d below %d", c.MaxFrameBytes, minJPEG)
	case c.MaxFramePixels < 1:
		return fmt.Errorf("relay: MaxFramePixels %d below 1", c.MaxFramePixels)
	case !(c.MaxFPS > 0) || math.IsInf(c.MaxFPS, 0):
		return fmt.Errorf("relay: MaxFPS %v: want a positive number", c.MaxFPS)
	case c.Queue < 1:
		return fmt.Errorf("relay: Queue %d below 1", c.Queue)
	case c.IdleTimeout < 0:
		return fmt.Errorf("relay: negative IdleTimeout %v", c.IdleTimeout)
	}
	return nil
}

// Stats are a camera's counters since New, for metrics. Every message
// pushed is either rejected or accepted; every accepted frame is read,
// dropped, discarded, or still queued.
type Stats struct {
	// Received counts Push calls.
	Received uint64
	// Rejected counts messages refused, by reason.
	Rejected Rejections
	// Accepted counts frames queued.
	Accepted uint64
	// Delivered counts frames returned by Read.
	Delivered uint64
	// Dropped counts frames dropped, oldest first, from a full queue.
	Dropped uint64
	// Discarded counts frames still queued at Disconnect or Close.
	Discarded uint64
	// Queued is the number of frames waiting now.
	Queued int
	// ClientTime is the client's capture time of the last accepted frame
	// (zero before one): untrusted, for diagnostics only.
	ClientTime time.Time
	// ClientLag is that frame's arrival minus ClientTime: network latency
	// plus the client clock's offset. It can be negative.
	ClientLag time.Duration
}

// Rejections counts refused messages by the sentinel they were refused with.
type Rejections struct {
	Short, BadMagic, Version, NotJPEG, TooLarge, Sequence, TooFast, Stopped uint64
}

// Total is the sum of the counters.
func (r Rejections) Total() uint64 {
	return r.Short + r.BadMagic + r.Version + r.NotJPEG + r.TooLarge + r.Sequence + r.TooFast + r.Stopped
}

// state is how a camera's stream ended; the first of End and Disconnect
// wins, Close overrides both.
type state int

const (
	open state = iota
	ended
	disconnected
	closed
)

// Camera is a devices.Camera fed by Push. The package comment describes its
// behaviour; make one with New.
type Camera struct {
	cfg     Config
	info    devices.Info
	pool    *devices.BufferPool
	release func([]byte)  // pool.Put, bound once so a frame costs no closure
	wake    chan struct{} // capacity 1: something changed for the reader

	mu      sync.Mutex
	st      state
	queue   []*devices.Frame // ring of cfg.Queue
	head, n int
	seen    bool // a seq passed the sequence check
	lastSeq uint32
	tokens  float64
	refill  time.Time // when tokens were last topped up
	stats   Stats
}

var _ devices.Camera = (*Camera)(nil)

// New makes a relay camera. Nothing runs until Push or Read is called.
func New(cfg Config) (*Camera, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Camera{
		cfg:    cfg,
		info:   devices.Info{Backend: "relay", ID: cfg.ID, Name: "mobile relay", Live: true},
		wake:   make(chan struct{}, 1),
		queue:  make([]*devices.Frame, cfg.Queue),
		tokens: burst(cfg.MaxFPS),
	}
	// Room for the queue, the frame being scored and the one being pushed.
	// JPEG sizes vary, so buffers get headroom up to MaxFrameBytes.
	c.pool = devices.NewBufferPool(cfg.Queue+2, cfg.MaxFrameBytes)
	c.release = c.pool.Put
	return c, nil
}

// burst is the token bucket's capacity: a second of frames, at least one.
func burst(fps float64) float64 { return math.Max(1, fps) }

// Info reports Backend "relay", ID Config.ID and Live true; size and rate
// are unknown (0).
func (c *Camera) Info() devices.Info { return c.info }

// MaxMessageBytes is the largest message Push can accept: the limit to set
// on the socket's reads.
func (c *Camera) MaxMessageBytes() int { return HeaderLen + c.cfg.MaxFrameBytes }

// Push validates one binary message and queues its frame, copying the JPEG:
// msg may be reused when Push returns. It never blocks on the reader. A
// rejected message returns an error wrapping one of the package's
// sentinels and queues nothing; the camera stays usable.
func (c *Camera) Push(msg []byte) error {
	h, jpeg, perr := ParseMessage(msg)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Received++
	if perr != nil {
		c.reject(perr)
		return perr
	}
	if c.st != open {
		c.stats.Rejected.Stopped++
		return fmt.Errorf("%w: stream %s", ErrStopped, c.st)
	}
	if len(jpeg) > c.cfg.MaxFrameBytes {
		c.stats.Rejected.TooLarge++
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(jpeg), c.cfg.MaxFrameBytes)
	}
	w, ht, err := JPEGSize(jpeg)
	if err != nil {
		c.stats.Rejected.NotJPEG++
		return err
	}
	if int64(w)*int64(ht) > int64(c.cfg.MaxFramePixels) {
		c.stats.Rejected.TooLarge++
		return fmt.Errorf("%w: %dx%d pixels, limit %d", ErrTooLarge, w, ht, c.cfg.MaxFramePixels)
	}
	if c.seen && h.Seq <= c.lastSeq {
		c.stats.Rejected.Sequence++
		return fmt.Errorf("%w: %d after %d", ErrSequence, h.Seq, c.lastSeq)
	}
	c.seen, c.lastSeq = true, h.Seq
	now := c.cfg.Clock()
	if !c.take(now) {
		c.stats.Rejected.TooFast++
		return fmt.Errorf("%w: over %v frames/s", ErrTooFast, c.cfg.MaxFPS)
	}

	if c.n == len(c.queue) {
		// Drop before taking a buffer, so that the dropped one is reused.
		c.pop().Close()
		c.stats.Dropped++
	}
	buf := c.pool.Get(len(jpeg))
	copy(buf, jpeg)
	f := devices.NewFrame(uint64(h.Seq), now, c.cfg.ID, devices.JPEG, 0, 0, 0, buf, c.release)
	f.SetRelay(devices.RelayMeta{ClientTime: h.CaptureTime(), ClientSeq: h.Seq, Arrival: now, MessageBytes: len(msg)})
	c.queue[(c.head+c.n)%len(c.queue)] = f
	c.n++
	c.stats.Accepted++
	c.stats.ClientTime = h.CaptureTime()
	c.stats.ClientLag = now.Sub(c.stats.ClientTime)
	c.signal()
	return nil
}

// reject counts a message ParseMessage refused.
func (c *Camera) reject(err error) {
	r := &c.stats.Rejected
	switch {
	case errors.Is(err, ErrShortMessage):
		r.Short++
	case errors.Is(err, ErrBadMagic):
		r.BadMagic++
	case errors.Is(err, ErrVersion):
		r.Version++
	default:
		r.NotJPEG++
	}
}

// take takes a token from the bucket, topped up for the time since the last
// call; it reports false if none is left. A clock that steps back adds
// nothing.
func (c *Camera) take(now time.Time) bool {
	if !c.refill.IsZero() {
		if d := now.Sub(c.refill); d > 0 {
			c.tokens = math.Min(burst(c.cfg.MaxFPS), c.tokens+d.Seconds()*c.cfg.MaxFPS)
		}
	}
	if c.refill.IsZero() || now.After(c.refill) {
		c.refill = now
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// pop removes the oldest queued frame. c.mu is held and c.n > 0.
func (c *Camera) pop() *devices.Frame {
	f := c.queue[c.head]
	c.queue[c.head] = nil
	c.head = (c.head + 1) % len(c.queue)
	c.n--
	return f
}

// signal wakes the reader, if it waits. c.mu is held.
func (c *Camera) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Read returns the next queued frame, waiting for one to arrive; the caller
// owns it and closes it. The package comment lists the errors. One
// goroutine reads.
func (c *Camera) Read(ctx context.Context) (*devices.Frame, error) {
	var timer *time.Timer
	for {
		if err := ctx.Err(); err != nil {
			stopTimer(timer)
			return nil, fmt.Errorf("relay: read: %w", err)
		}
		f, err := c.next()
		if f != nil || err != nil {
			stopTimer(timer)
			return f, err
		}
		if timer == nil {
			timer = time.NewTimer(c.cfg.IdleTimeout)
		}
		select {
		case <-c.wake:
		case <-ctx.Done():
		case <-timer.C:
			return nil, fmt.Errorf("relay: no frame for %v: %w", c.cfg.IdleTimeout, devices.ErrTimeout)
		}
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// next takes a queued frame or says why there will be none; (nil, nil)
// means wait.
func (c *Camera) next() (*devices.Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.st {
	case closed:
		return nil, fmt.Errorf("relay: read: %w", devices.ErrClosed)
	case disconnected:
		return nil, fmt.Errorf("relay: client went away: %w", devices.ErrDisconnected)
	}
	if c.n > 0 {
		c.stats.Delivered++
		return c.pop(), nil
	}
	if c.st == ended {
		return nil, fmt.Errorf("relay: client ended the stream: %w", devices.ErrEndOfStream)
	}
	return nil, nil
}

// End says the client has no more frames: Read returns the queued ones,
// then devices.ErrEndOfStream. Later pushes fail with ErrStopped. It is
// idempotent, and does nothing after Disconnect or Close.
func (c *Camera) End() { c.stop(ended) }

// Disconnect says the socket went away: queued frames are closed and Read
// returns devices.ErrDisconnected. Later pushes fail with ErrStopped. It is
// idempotent, and does nothing after End or Close.
func (c *Camera) Disconnect() { c.stop(disconnected) }

// Close stops the camera: queued frames are closed, a pending Read returns
// devices.ErrClosed, later pushes fail with ErrStopped. Frames already read
// stay valid. It is idempotent and always returns nil.
func (c *Camera) Close() error {
	c.stop(closed)
	return nil
}

func (c *Camera) stop(to state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == closed || (c.st != open && to != closed) {
		return
	}
	c.st = to
	if to != ended {
		for c.n > 0 {
			c.pop().Close()
			c.stats.Discarded++
		}
	}
	if to == closed {
		c.pool.Close()
	}
	c.signal()
}

// Stats returns a snapshot of the counters.
func (c *Camera) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Queued = c.n
	return s
}

func (s state) String() string {
	switch s {
	case open:
		return "open"
	case ended:
		return "ended by the client"
	case disconnected:
		return "disconnected"
	case closed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", int(s))
}
