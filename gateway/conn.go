package gateway

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/gateway/protocol"
)

// closeGrace is how long the writer waits, after its close frame, for the
// client's close before it drops the connection.
const closeGrace = 2 * time.Second

// conn is one WebSocket connection: the reader runs in the HTTP handler
// (readLoop), the writer in a goroutine that wait waits for. Messages go
// out through a bounded queue; send never blocks.
type conn struct {
	ws  *websocket.Conn
	cfg Config
	m   *metrics
	log *slog.Logger

	out        chan []byte
	quit       chan struct{} // closed by close: the writer finishes
	readerDone chan struct{}
	writerDone chan struct{}

	mu        sync.Mutex
	closing   bool
	closeCode int
	drain     bool // write what is queued before the close frame
	slow      bool // dropped as a slow consumer
}

func newConn(ws *websocket.Conn, cfg Config, m *metrics, log *slog.Logger) *conn {
	c := &conn{
		ws: ws, cfg: cfg, m: m, log: log,
		out:        make(chan []byte, cfg.SendQueue),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	frame := cfg.Limits.MaxFrameBytes // without Relay frames are still read, and refused
	if cfg.Relay != nil {
		frame = cfg.Relay.MessageBytes(cfg.Limits.MaxFrameBytes)
	}
	limit := max(cfg.Limits.MaxMessageBytes, frame+64<<10)
	ws.SetReadLimit(int64(limit))
	go c.writer()
	return c
}

// send queues m. A droppable message (quality, progress) is dropped when
// the queue is full; any other drops the client as a slow consumer. It
// reports whether m was queued; after close it queues nothing.
func (c *conn) send(m protocol.ServerMessage, droppable bool) bool {
	data, err := protocol.Encode(m)
	if err != nil {
		c.log.Error("encode message", "type", m.MessageType(), "error", err)
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	select {
	case c.out <- data:
		if e, ok := m.(*protocol.ErrorMessage); ok {
			c.m.errors.WithLabelValues(string(e.Code)).Inc()
		}
		return true
	default:
	}
	if droppable {
		c.m.messagesDrop.WithLabelValues("queue_full").Inc()
		return false
	}
	c.m.messagesDrop.WithLabelValues("slow_consumer").Inc()
	c.log.Warn("client too slow: dropped", "queue", cap(c.out))
	c.slow = true
	c.closeLocked(protocol.ClosePolicy, false)
	return false
}

// close makes the writer send the queued messages (if drain), then a close
// frame with code, then drop the connection. Only the first call counts.
func (c *conn) close(code int, drain bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, drain)
}

func (c *conn) closeLocked(code int, drain bool) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.drain = true, code, drain
	close(c.quit)
}

// isSlow reports whether the client was dropped as a slow consumer.
func (c *conn) isSlow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slow
}

func (c *conn) write(data []byte) error {
	c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *conn) writer() {
	defer close(c.writerDone)
	defer c.ws.Close()
	ping := time.NewTicker(time.Duration(c.cfg.Limits.PingSeconds) * time.Second)
	defer ping.Stop()
	for {
		select {
		case data := <-c.out:
			if err := c.write(data); err != nil {
				c.writeFailed(err)
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteTimeout)); err != nil {
				c.writeFailed(err)
				return
			}
		case <-c.quit:
			c.finish()
			return
		}
	}
}

// writeFailed: the client is gone or did not take a message within
// WriteTimeout. Closing the socket ends the reader too.
func (c *conn) writeFailed(err error) {
	c.mu.Lock()
	if !c.closing {
		c.log.Info("write to client failed", "error", err)
		c.slow = true // it stopped taking messages
		c.closeLocked(protocol.ClosePolicy, false)
	}
	c.mu.Unlock()
}

// finish runs once quit is closed; no message is queued after it.
func (c *conn) finish() {
	c.mu.Lock()
	code, drain, slow := c.closeCode, c.drain, c.slow
	c.mu.Unlock()
	if drain {
	loop:
		for {
			select {
			case data := <-c.out:
				if err := c.write(data); err != nil {
					return
				}
			default:
				break loop
			}
		}
	}
	deadline := time.Now().Add(time.Second)
	if slow { // best effort: the client may not read it
		if b, err := protocol.Encode(protocol.NewError(protocol.CodeSlowConsumer)); err == nil {
			c.ws.SetWriteDeadline(deadline)
			if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
	}
	if c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), deadline) != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
}

// readLoop reads messages and hands each to handle until the socket fails
// or closes. It runs in the handler's goroutine.
func (c *conn) readLoop(handle func(typ int, data []byte)) {
	defer close(c.readerDone)
	c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
		return nil
	})
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
		handle(typ, data)
	}
}

// readUntilClosed reads and discards until the socket closes.
func (c *conn) readUntilClosed() { c.readLoop(func(int, []byte) {}) }

// wait ends the connection, if nobody did, and waits for the writer. Call
// it after readLoop returned.
func (c *conn) wait() {
	c.close(protocol.CloseNormal, false)
	<-c.writerDone
}
