package idecemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/models"
)

// Errors of Enroll, for errors.Is. The HTTP API answers them with the
// contract's codes.
var (
	// ErrInvalidIIN: the IIN is not a valid IIN (400 invalid_request).
	ErrInvalidIIN = errors.New("emulator: invalid IIN")
	// ErrBadPhoto: the photo is not a JPEG (or, to enrol, a PNG), is too
	// large or too small, or does not decode (400 invalid_request).
	ErrBadPhoto = errors.New("emulator: photo not usable")
	// ErrNoFace: no face was found in the photo (422 no_face).
	ErrNoFace = errors.New("emulator: no face in the photo")
	// ErrBusy: too many requests wait for a matcher (503 unavailable).
	ErrBusy = errors.New("emulator: too many pending matches")
	// ErrClosed: the server was closed (503 unavailable).
	ErrClosed = errors.New("emulator: closed")
)

// Server answers the IDEC contract's requests with real matchers (of faces
// and of fingerprints) over a gallery folder. Create it with New; its Handler is safe for concurrent
// use; Close it when done.
type Server struct {
	cfg     Config
	log     *slog.Logger
	gallery *gallery
	pool    *pool
	replay  *replayCache
	handler http.Handler

	randMu sync.Mutex
	rand   func() float64

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup
	closing  chan struct{} // closed by Close: releases waits and hangs

	closeOnce sync.Once
}

// New validates cfg (errors wrap ErrInvalidConfig), loads the models
// (models.ErrMissing, ErrCorrupt or ErrNative when they cannot be used) and
// opens the gallery folder, creating it when missing and reading every
// record in it. It logs what it loaded. The caller must Close the Server.
// Takes a fraction of a second per matcher.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	spec, err := models.Lookup(models.MobileFaceNet)
	if err != nil {
		return nil, err
	}
	g, counts, err := openGallery(cfg.Gallery, cfg.NameKeyFile, spec.SHA256)
	if err != nil {
		return nil, err
	}
	p, err := newPool(cfg.Matchers, cfg.MaxPending, cfg.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("emulator: loading the matcher: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		gallery: g,
		pool:    p,
		replay:  newReplayCache(cfg.IdempotencyEntries),
		rand:    cfg.Faults.Rand,
		closing: make(chan struct{}),
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	mux := http.NewServeMux()
	mux.HandleFunc(idechttp.PathVerify, s.handleVerify)
	mux.HandleFunc(idechttp.PathEnroll, s.handleEnroll)
	mux.HandleFunc(idechttp.PathVerifyFinger, s.handleVerifyFinger)
	mux.HandleFunc(idechttp.PathEnrollFinger, s.handleEnrollFinger)
	mux.HandleFunc(idechttp.PathHealth, s.handleHealth)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, idechttp.CodeInvalidRequest, "no such endpoint", "")
	})
	s.handler = s.track(mux)
	s.log.Info("gallery loaded", "persons", counts.Persons, "unusable", counts.Unusable, "migrated", counts.Migrated,
		"fingers", counts.Fingers, "unusable_fingers", counts.UnusableFingers)
	s.log.Info("matcher loaded", "detector", models.YuNet, "embedder", models.MobileFaceNet,
		"matchers", cfg.Matchers, "threshold", cfg.Threshold, "finger_threshold", cfg.FingerThreshold)
	return s, nil
}

// Handler returns the HTTP handler of PathVerify, PathVerifyFinger,
// PathEnroll, PathEnrollFinger and PathHealth. Every non-2xx answer carries an idechttp.ErrorResponse. After
// Close it answers 503 unavailable. Safe for concurrent use.
func (s *Server) Handler() http.Handler { return s.handler }

// track counts requests in flight, so Close can wait for them, and refuses
// new ones once closed.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enter() {
			writeError(w, http.StatusServiceUnavailable, idechttp.CodeUnavailable, "the service is shutting down; retry later", "")
			return
		}
		defer s.inflight.Done()
		next.ServeHTTP(w, r)
	})
}

// enter registers one call in flight; false once closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}

// Close stops the server: new requests get 503 unavailable, requests
// waiting for a matcher or held by a fault are released, and Close waits
// for the ones in flight before freeing the models. It does not close any
// listener (that is the http.Server's). Idempotent and safe for concurrent
// use: every call returns once the server is closed. Always returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		s.mu.Unlock()
		s.inflight.Wait()
		s.pool.close()
	})
	return nil
}

// Enroll puts photo (JPEG or PNG, as given) into the gallery as the
// reference photo of the IIN id, replacing any earlier one, after finding
// its largest face and computing that face's embedding. The files are
// written atomically and readable by the owner only. Errors wrap
// ErrInvalidIIN, ErrBadPhoto, ErrNoFace, ErrBusy or ErrClosed, ctx's error,
// or are failures to write. Blocks for the matching (tens of milliseconds)
// and the write. Safe for concurrent use, also with another process
// enrolling into the same folder.
func (s *Server) Enroll(ctx context.Context, id string, photo []byte) error {
	if _, err := iin.Parse(id); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidIIN, err)
	}
	var ext string
	switch sniff(photo) {
	case formatJPEG:
		ext = ".jpg"
	case formatPNG:
		ext = ".png"
	default:
		return fmt.Errorf("%w: not a JPEG or PNG", ErrBadPhoto)
	}
	if !s.enter() {
		return ErrClosed
	}
	defer s.inflight.Done()
	var emb models.Embedding
	err := s.pool.do(ctx, s.closing, func(m *matcher) error {
		var err error
		emb, err = m.embed(photo, kindReference, s.cfg.MaxPhotoBytes)
		return err
	})
	if err != nil {
		return err
	}
	return s.gallery.store(id, photo, ext, emb, time.Now())
}
