package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
)

// errShutdown is the cause of a session's context when the daemon stops.
var errShutdown = errors.New("gateway: shutting down")

// Server serves sessions. Make one with New; its methods are safe for
// concurrent use.
type Server struct {
	cfg      Config
	pipeline Pipeline
	verifier Verifier
	cameras  Cameras
	m        *metrics
	upgrader websocket.Upgrader
	caps     *capacity
	perKey   *window
	perIIN   *window
	failures Failures
	holds    Holds

	ctx    context.Context // cancelled with errShutdown by Shutdown
	cancel context.CancelCauseFunc
	// draining is closed when Drain begins: sessions not yet started are
	// aborted.
	draining  chan struct{}
	drainOnce sync.Once

	mu       sync.Mutex // guards stopping and wg.Add against wg.Wait
	stopping bool
	wg       sync.WaitGroup // one per session handler
}

// New validates cfg and returns a Server. pipeline and verifier are
// required; cameras may be nil (relay sessions only).
func New(cfg Config, pipeline Pipeline, verifier Verifier, cameras Cameras) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if pipeline == nil || verifier == nil {
		return nil, errors.New("gateway: pipeline and verifier are required")
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("gateway: register metrics: %w", err)
	}
	s := &Server{
		cfg: cfg, pipeline: pipeline, verifier: verifier, cameras: cameras, m: m,
		caps:     newCapacity(cfg),
		perKey:   newWindow(time.Minute),
		perIIN:   newWindow(time.Minute),
		failures: memFailures{newWindow(cfg.Lockout)},
		holds:    &memHolds{m: map[string]memHold{}},
	}
	if cfg.Evidence != nil {
		s.failures, s.holds = cfg.Evidence, cfg.Evidence
		// A lease this gateway's sessions held when it was killed would
		// keep their IINs out until it ran out.
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		n, err := s.holds.ReleaseGateway(ctx, cfg.ID)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("gateway: release the leases of a previous run: %w", err)
		}
		if n > 0 {
			cfg.Logger.Warn("leases of a previous run released", "leases", n)
		}
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.draining = make(chan struct{})
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4 << 10,
		WriteBufferSize:  4 << 10,
		// Origin was checked before the upgrade, against AllowedOrigins.
		CheckOrigin: func(*http.Request) bool { return true },
		// Only this one is ever echoed: never a page's biogate.key. one.
		Subprotocols: []string{SubprotocolV1},
	}
	return s, nil
}

// Handler serves GET /v1/session, /v1/devices, /healthz and /readyz, and
// Config.UI at every other GET path. It serves no metrics: those are the
// Registerer's, for the caller to serve where it chooses (biogated: on a
// listener of their own). Hijacked session connections are not tracked by
// http.Server: stop them with Shutdown.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/session", s.serveSession)
	mux.HandleFunc("GET /v1/devices", s.serveDevices)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	if s.cfg.JWKS != nil {
		mux.Handle("GET "+document.JWKSPath, s.cfg.JWKS)
	}
	if s.cfg.UI != nil {
		mux.Handle("GET /", s.cfg.UI)
	}
	return mux
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			s.cfg.Logger.WarnContext(r.Context(), "not ready", "error", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// Drain stops taking sessions and lets the running ones finish, as a
// gateway behind a load balancer is stopped: /readyz fails at once, a new
// connection is refused (503), a connected session that has not started
// yet is aborted (aborted, reason shutdown) and so is a start that comes
// now; sessions already started run to their result. It returns nil once
// every session has ended, or ctx's error when ctx ends first: Shutdown
// then aborts the sessions left.
func (s *Server) Drain(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.drainOnce.Do(func() { close(s.draining) })
	return s.waitSessions(ctx, "drain")
}

// isDraining reports whether Drain has begun.
func (s *Server) isDraining() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

// Shutdown stops accepting sessions, sends aborted to the running ones and
// closes them with 1001, and returns when every session's goroutines are
// gone, or with ctx's error when ctx ends first (the sessions still stop).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.cancel(errShutdown)
	return s.waitSessions(ctx, "shutdown")
}

// waitSessions waits for every session handler to return, or for ctx.
func (s *Server) waitSessions(ctx context.Context, what string) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gateway: %s: %w", what, ctx.Err())
	}
}

// httpError answers a check before the upgrade with an error message body.
func httpError(w http.ResponseWriter, code protocol.ErrorCode, retryAfter int) {
	info, _ := code.Info()
	m := protocol.NewError(code)
	m.RetryAfter = retryAfter
	body, _ := protocol.Encode(m)
	if code == protocol.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(info.HTTPStatus)
	w.Write(body)
}

// originAllowed: no Origin, or an origin whose scheme, host and port are
// those of one of AllowedOrigins or, when that is empty, of the gateway
// itself (the request's Host, over https when the request came over TLS).
func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	got, ok := parseOrigin(o)
	if !ok {
		return false
	}
	if len(s.cfg.AllowedOrigins) == 0 {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		own, ok := parseOrigin(scheme + "://" + r.Host)
		return ok && got == own
	}
	for _, a := range s.cfg.AllowedOrigins {
		if want, ok := parseOrigin(a); ok && got == want {
			return true
		}
	}
	return false
}

// origin is a web origin: scheme, host and port, lower case, the port
// explicit.
type origin struct{ scheme, host, port string }

// parseOrigin parses an http or https origin, "https://kiosk.example" or
// "http://127.0.0.1:8080" (a trailing slash is allowed, in the operator's
// list); ok is false for anything else ("null", other schemes, a path,
// user information).
func parseOrigin(s string) (o origin, ok bool) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" {
		return origin{}, false
	}
	o = origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	def := map[string]string{"http": "80", "https": "443"}[o.scheme]
	if def == "" {
		return origin{}, false
	}
	if o.port == "" {
		o.port = def
	}
	return o, true
}

func (s *Server) serveSession(w http.ResponseWriter, r *http.Request) {
	k, ok := s.cfg.Keys.lookup(keyFromRequest(r))
	if !ok {
		httpError(w, protocol.CodeUnauthorized, 0)
		return
	}
	if !k.has(ScopeKiosk) && !k.has(ScopeRelay) {
		httpError(w, protocol.CodeForbiddenScope, 0)
		return
	}
	if !s.originAllowed(r) {
		httpError(w, protocol.CodeOriginNotAllowed, 0)
		return
	}
	if ok, wait := s.perKey.allow(k.name, s.cfg.RatePerKey, s.cfg.Clock()); !ok {
		s.m.refused.WithLabelValues("rate_key").Inc()
		httpError(w, protocol.CodeRateLimited, seconds(wait))
		return
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	id := newUUID()
	log := s.cfg.Logger.With("session", id, "key", k.name)
	c := newConn(ws, s.cfg, s.m, log)
	defer c.wait()

	// The connection waits for its start without a session slot; the
	// session takes one when its start is accepted (admit).
	if ref := s.enter(k.name); ref != nil {
		s.m.sessions.WithLabelValues(string(ref.code)).Inc()
		log.Info("session refused", "code", ref.code, "cap", ref.reason)
		c.send(s.hello(id), false)
		e := protocol.NewError(ref.code)
		e.RetryAfter = 1
		c.send(e, false)
		c.close(protocol.CloseTryAgainLater, true)
		c.readUntilClosed()
		return
	}
	sess := newSession(s, id, k, c, log)
	sess.serve()
}

func (s *Server) hello(id string) *protocol.Hello {
	return &protocol.Hello{SessionID: id, Versions: []int{protocol.Version},
		Limits: s.cfg.Limits, FixedCommandsAllowed: s.cfg.AllowFixedCommands}
}

// relayConfig is a relay camera's configuration for a session.
func (s *Server) relayConfig(id string) RelayConfig {
	return RelayConfig{
		MaxFrameBytes:  s.cfg.Limits.MaxFrameBytes,
		MaxFramePixels: s.cfg.Limits.MaxFramePixels,
		MaxFPS:         float64(s.cfg.Limits.MaxFPS),
		IdleTimeout:    time.Duration(s.cfg.Limits.IdleSeconds) * time.Second,
		ID:             id,
		Clock:          s.cfg.Clock,
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
