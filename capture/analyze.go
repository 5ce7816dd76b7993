package capture

import (
	"errors"
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

// Detector finds faces in a BGR image. *models.FaceDetector implements it.
// Results are appended to dst[:0] in the image's pixel coordinates.
type Detector interface {
	Detect(img gocv.Mat, dst []models.Face) ([]models.Face, error)
}

// Analysis is what one frame says about the person in front of the camera.
// Faces and Hints are owned by the Analyzer and valid until its next call;
// copy them to keep them.
type Analysis struct {
	// Faces are all faces the detector found.
	Faces []models.Face
	// Subject indexes Faces: the largest, most central face; -1 if none.
	Subject int
	// Geometry of the subject face (zero if none).
	Geometry Geometry
	// Quality of the subject face.
	Quality Quality
	// Hints for the person, most pressing first.
	Hints []Hint
}

// SubjectFace returns the subject face and true, or false if there is none.
func (a *Analysis) SubjectFace() (models.Face, bool) {
	if a.Subject < 0 || a.Subject >= len(a.Faces) {
		return models.Face{}, false
	}
	return a.Faces[a.Subject], true
}

// Analyzer runs detection and the quality measures on frames. It reuses its
// buffers between calls, so steady-state analysis allocates almost nothing.
// Not safe for concurrent use. Close frees its native memory.
type Analyzer struct {
	det   Detector
	faces []models.Face
	hints []Hint
	small gocv.Mat // face box resampled to PatchSize x PatchSize, BGR
	patch gocv.Mat // the same, grey
}

// NewAnalyzer makes an analyzer over det, which it uses but does not own.
func NewAnalyzer(det Detector) (*Analyzer, error) {
	if det == nil {
		return nil, errors.New("capture: nil detector")
	}
	return &Analyzer{
		det:   det,
		faces: make([]models.Face, 0, 8),
		hints: make([]Hint, 0, 8),
		small: gocv.NewMat(),
		patch: gocv.NewMat(),
	}, nil
}

// Close frees the analyzer's Mats. It is idempotent.
func (a *Analyzer) Close() error {
	if a.det == nil {
		return nil
	}
	a.det = nil
	a.small.Close()
	a.patch.Close()
	return nil
}

// ErrBadImage: the image handed to Analyze is empty or not 8-bit BGR.
var ErrBadImage = errors.New("capture: image is empty or not 8-bit BGR")

// Analyze detects faces in img (CV_8UC3 BGR, not kept), picks the subject and
// measures its quality. The Analysis's slices are valid until the next call.
func (a *Analyzer) Analyze(img gocv.Mat) (Analysis, error) {
	if a.det == nil {
		return Analysis{}, errors.New("capture: analyzer closed")
	}
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return Analysis{}, ErrBadImage
	}
	var err error
	a.faces, err = a.det.Detect(img, a.faces)
	if err != nil {
		return Analysis{}, fmt.Errorf("capture: detect: %w", err)
	}
	w, h := img.Cols(), img.Rows()
	an := Analysis{Faces: a.faces, Subject: pickSubject(a.faces, w, h)}
	q := &an.Quality
	if an.Subject < 0 {
		q.scoreAll()
		an.Hints = q.Hints(a.hints)
		a.hints = an.Hints
		return an, nil
	}
	subj := a.faces[an.Subject]
	q.Faces.Value = 1
	for i, f := range a.faces {
		if i != an.Subject && f.Box.W >= OtherFaceMinRatio*subj.Box.W {
			q.Faces.Value++
		}
	}

	g := FaceGeometry(subj)
	an.Geometry = g
	q.InterEye.Value = g.InterEye
	q.Yaw.Value, q.Pitch.Value, q.Roll.Value = round1(g.Yaw), round1(g.Pitch), round1(g.Roll)
	q.FaceSize.Value = float64(subj.Box.W) / float64(w)
	cx := float64(subj.Box.X+subj.Box.W/2) / float64(w)
	cy := float64(subj.Box.Y+subj.Box.H/2) / float64(h)
	q.Centring.Value = math.Max(math.Abs(cx-0.5), math.Abs(cy-0.5)) * 2

	if r, ok := clampRect(subj.Box, w, h); ok {
		roi := img.Region(r)
		gocv.Resize(roi, &a.small, image.Pt(PatchSize, PatchSize), 0, 0, gocv.InterpolationArea)
		roi.Close()
		if p, err := a.small.DataPtrUint8(); err == nil && len(p) >= PatchSize*PatchSize*3 {
			patchColour(p, q)
		}
		gocv.CvtColor(a.small, &a.patch, gocv.ColorBGRToGray)
		if p, err := a.patch.DataPtrUint8(); err == nil && len(p) >= PatchSize*PatchSize {
			patchStats(p, q)
		}
	}
	q.scoreAll()
	an.Hints = q.Hints(a.hints)
	a.hints = an.Hints
	return an, nil
}

// pickSubject returns the index of the largest face, discounted by its
// distance from the frame centre, or -1.
func pickSubject(faces []models.Face, w, h int) int {
	best, bestScore := -1, 0.0
	for i, f := range faces {
		cx := float64(f.Box.X+f.Box.W/2)/float64(w) - 0.5
		cy := float64(f.Box.Y+f.Box.H/2)/float64(h) - 0.5
		off := math.Min(1, 2*math.Hypot(cx, cy))
		s := float64(f.Box.W*f.Box.H) * (1 - 0.5*off)
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// clampRect converts a face box to an integer rectangle inside a w x h image;
// false if less than 8x8 pixels remain.
func clampRect(b models.Rect, w, h int) (image.Rectangle, bool) {
	r := image.Rect(int(b.X), int(b.Y), int(math.Ceil(float64(b.X+b.W))), int(math.Ceil(float64(b.Y+b.H))))
	r = r.Intersect(image.Rect(0, 0, w, h))
	return r, r.Dx() >= 8 && r.Dy() >= 8
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
