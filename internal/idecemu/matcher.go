package idecemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads the header before OpenCV decodes
	_ "image/png"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

var (
	// errUnknown: no person enrolled with the IIN (404 unknown_iin).
	errUnknown = errors.New("emulator: unknown IIN")
	// errSeveralFaces: a probe shows several people (422 no_face).
	errSeveralFaces = fmt.Errorf("%w: several faces", ErrNoFace)
)

// Photo formats accepted by decode.
type format int

const (
	formatJPEG format = 1 << iota
	formatPNG
)

// Image limits checked from the header, before OpenCV allocates anything.
const (
	minPhotoSide   = 64         // YuNet refuses smaller inputs
	maxPhotoPixels = 40_000_000 // a decode bomb's declared size stops here
)

// detectorMaxWidth is the detector's input width, for probes and
// references alike: one detection path, so a pair of photos compares the
// same whichever of them is the reference (a probe is a token crop or a
// camera frame, at most 640 px wide, and is not scaled at all; a large
// portrait or group photo is, and 640 px finds faces from 20 px up in a
// 1280 px photo).
const detectorMaxWidth = 640

// sniff returns the format of b by its magic bytes, 0 when unknown.
func sniff(b []byte) format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return formatJPEG
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return formatPNG
	}
	return 0
}

// matcher is a face detector and an embedder. Not safe for concurrent
// use; the pool hands each to one goroutine at a time.
type matcher struct {
	det   *models.FaceDetector
	emb   *models.Embedder
	faces []models.Face
}

func newMatcher(modelDir string) (*matcher, error) {
	m := &matcher{}
	var err error
	if m.det, err = models.NewFaceDetector(models.DetectorConfig{ModelDir: modelDir, MaxWidth: detectorMaxWidth}); err == nil {
		m.emb, err = models.NewEmbedder(models.EmbedderConfig{ModelDir: modelDir})
	}
	if err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

// photoKind says what a photo is for: which formats it may have, and
// whether a second face refuses it.
type photoKind int

const (
	kindProbe     photoKind = iota // the live face of a verification: JPEG only
	kindReference                  // a reference photo to enrol: JPEG or PNG
)

// embed decodes photo (of kind, at most maxBytes), finds its largest face
// and returns that face's embedding. Errors wrap ErrBadPhoto or ErrNoFace,
// or are internal failures.
func (m *matcher) embed(photo []byte, kind photoKind, maxBytes int) (models.Embedding, error) {
	allowed := formatJPEG
	if kind == kindReference {
		allowed = formatJPEG | formatPNG
	}
	f := sniff(photo)
	if f&allowed == 0 {
		if allowed&formatPNG != 0 {
			return models.Embedding{}, fmt.Errorf("%w: not a JPEG or PNG", ErrBadPhoto)
		}
		return models.Embedding{}, fmt.Errorf("%w: not a JPEG", ErrBadPhoto)
	}
	if len(photo) > maxBytes {
		return models.Embedding{}, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPhoto, len(photo), maxBytes)
	}
	// The header says the size OpenCV would allocate; refuse absurd ones
	// before it does. It also rejects truncated headers.
	hdr, _, err := image.DecodeConfig(bytes.NewReader(photo))
	if err != nil {
		return models.Embedding{}, fmt.Errorf("%w: undecodable header", ErrBadPhoto)
	}
	if hdr.Width < minPhotoSide || hdr.Height < minPhotoSide || hdr.Width*hdr.Height > maxPhotoPixels {
		return models.Embedding{}, fmt.Errorf("%w: %dx%d pixels", ErrBadPhoto, hdr.Width, hdr.Height)
	}
	img, err := gocv.IMDecode(photo, gocv.IMReadColor)
	if err != nil {
		return models.Embedding{}, fmt.Errorf("%w: undecodable", ErrBadPhoto)
	}
	defer img.Close()
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return models.Embedding{}, fmt.Errorf("%w: undecodable", ErrBadPhoto)
	}
	m.faces, err = m.det.Detect(img, m.faces)
	if err != nil {
		if errors.Is(err, models.ErrInvalidImage) { // a strip too thin once scaled
			return models.Embedding{}, fmt.Errorf("%w: %dx%d pixels", ErrBadPhoto, hdr.Width, hdr.Height)
		}
		return models.Embedding{}, err
	}
	face, rival, ok := largest(m.faces)
	if !ok {
		return models.Embedding{}, ErrNoFace
	}
	if kind == kindProbe && area(rival) >= minRivalArea*area(face) {
		return models.Embedding{}, errSeveralFaces
	}
	e, err := m.emb.Embed(img, face)
	if errors.Is(err, models.ErrInvalidLandmarks) {
		return models.Embedding{}, fmt.Errorf("%w: landmarks unusable", ErrNoFace)
	}
	return e, err
}

// minRivalArea: a probe whose second largest face has at least this
// fraction of the largest one's area (half its width) shows several people,
// and the contract answers no_face ("no single face") rather than guess who
// is being verified. Smaller faces (a bystander far behind, a face on a
// poster) are ignored. A reference photo always gives its largest face: a
// portrait may hold a painted face half the size of the sitter's
// (train_biden_biden2.jpg in the shared photos).
const minRivalArea = 0.25

// largest returns the face with the largest box and the runner-up (the
// zero Face when there is none); ok is false when faces is empty.
func largest(faces []models.Face) (best, second models.Face, ok bool) {
	for _, f := range faces {
		switch {
		case area(f) > area(best):
			best, second = f, best
		case area(f) > area(second):
			second = f
		}
	}
	return best, second, len(faces) > 0
}

func area(f models.Face) float32 { return f.Box.W * f.Box.H }

// close frees whatever newMatcher loaded.
func (m *matcher) close() {
	if m.det != nil {
		m.det.Close()
	}
	if m.emb != nil {
		m.emb.Close()
	}
}

// pool lends matchers to at most len(free) goroutines at once and lets at
// most maxPending more wait. Safe for concurrent use.
type pool struct {
	free    chan *matcher
	waiting chan struct{} // a token per waiting or running caller
	all     []*matcher
}

func newPool(n, maxPending int, modelDir string) (*pool, error) {
	p := &pool{free: make(chan *matcher, n), waiting: make(chan struct{}, n+maxPending)}
	for range n {
		m, err := newMatcher(modelDir)
		if err != nil {
			p.close()
			return nil, err
		}
		p.all = append(p.all, m)
		p.free <- m
	}
	return p, nil
}

// do runs fn with a matcher, waiting for one while ctx and done allow.
// ErrBusy when too many callers wait already, ErrClosed when done closes
// first, ctx's error when it ends first.
func (p *pool) do(ctx context.Context, done <-chan struct{}, fn func(*matcher) error) error {
	select {
	case p.waiting <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-p.waiting }()
	var m *matcher
	select {
	case m = <-p.free:
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return ErrClosed
	}
	defer func() { p.free <- m }()
	return fn(m)
}

// close frees every matcher; the caller guarantees none is lent out.
func (p *pool) close() {
	for _, m := range p.all {
		m.close()
	}
	p.all = nil
}
