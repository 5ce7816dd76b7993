package attack

import (
	"fmt"
	"math"

	"github.com/biogate/biogate/models"
)

// SceneConfig places a photo's face in the frame. Zero values take the
// defaults in brackets.
type SceneConfig struct {
	// InterEye is the eye distance of the neutral face in frame pixels
	// [85]; 40-200.
	InterEye float64
	// ShiftX, ShiftY move the face centre from the frame's centre, in
	// pixels [0].
	ShiftX, ShiftY float64
}

// Scene is a photo placed in a FrameWidth x FrameHeight frame: the photo
// scaled so that its face has the wanted eye distance and cropped around
// it, and where the face lies in frame pixels. A Scene is read-only after
// NewScene and safe for concurrent Render calls.
type Scene struct {
	// Src is the scaled, cropped photo; frame pixel (x, y) shows Src at
	// (x-OffX, y-OffY) when the pose is neutral.
	Src        *Image
	OffX, OffY float64
	// Face is the detected face in frame pixels.
	Face models.Face
	// CX, CY is the face centre (halfway between the eyes' and the mouth's
	// midpoints), InterEye the eye distance, in frame pixels.
	CX, CY, InterEye float64
}

// NewScene scales photo so that face (detected in photo) has cfg's eye
// distance and places it in the frame. photo is not changed.
func NewScene(photo *Image, face models.Face, cfg SceneConfig) (*Scene, error) {
	if err := photo.valid(); err != nil {
		return nil, err
	}
	if cfg.InterEye == 0 {
		cfg.InterEye = 85
	}
	if cfg.InterEye < 40 || cfg.InterEye > 200 {
		return nil, fmt.Errorf("attack: SceneConfig.InterEye %g: want 40-200 px", cfg.InterEye)
	}
	ied, cx, cy := faceFrame(face)
	if ied < 8 {
		return nil, fmt.Errorf("%w: eye distance %.1f px", ErrNoFace, ied)
	}
	k := cfg.InterEye / ied
	sw, sh := int(math.Round(float64(photo.W)*k)), int(math.Round(float64(photo.H)*k))
	scaled, err := resize(photo, sw, sh)
	if err != nil {
		return nil, err
	}
	// Crop the scaled photo to the frame and a margin, so that a remap
	// never walks a 12-megapixel photo.
	fcx, fcy := cx*k, cy*k
	x0 := clampInt(int(fcx)-FrameWidth, 0, sw)
	y0 := clampInt(int(fcy)-FrameHeight, 0, sh)
	x1 := clampInt(int(fcx)+FrameWidth, 0, sw)
	y1 := clampInt(int(fcy)+FrameHeight, 0, sh)
	src := crop(scaled, x0, y0, x1, y1)
	if err := src.valid(); err != nil {
		return nil, err
	}
	// Frame centre + shift = face centre.
	offX := FrameWidth/2 + cfg.ShiftX - (fcx - float64(x0))
	offY := FrameHeight/2 + cfg.ShiftY - (fcy - float64(y0))
	var f models.Face
	tx, ty := offX-float64(x0), offY-float64(y0)
	f.Score = face.Score
	f.Box = models.Rect{X: float32(float64(face.Box.X)*k + tx), Y: float32(float64(face.Box.Y)*k + ty),
		W: float32(float64(face.Box.W) * k), H: float32(float64(face.Box.H) * k)}
	for i, p := range face.Landmarks {
		f.Landmarks[i] = models.Point{X: float32(float64(p.X)*k + tx), Y: float32(float64(p.Y)*k + ty)}
	}
	s := &Scene{Src: src, OffX: offX, OffY: offY, Face: f}
	s.InterEye, s.CX, s.CY = faceFrame(f)
	return s, nil
}

// faceFrame returns a face's eye distance and centre.
func faceFrame(f models.Face) (ied, cx, cy float64) {
	re, le := f.Landmarks[models.RightEye], f.Landmarks[models.LeftEye]
	rm, lm := f.Landmarks[models.RightMouth], f.Landmarks[models.LeftMouth]
	ied = math.Hypot(float64(le.X-re.X), float64(le.Y-re.Y))
	cx = float64(re.X+le.X+rm.X+lm.X) / 4
	cy = float64(re.Y+le.Y+rm.Y+lm.Y) / 4
	return ied, cx, cy
}

// crop returns the part [x0,x1) x [y0,y1) of im as a new image.
func crop(im *Image, x0, y0, x1, y1 int) *Image {
	out := NewImage(max(0, x1-x0), max(0, y1-y0))
	for y := y0; y < y1; y++ {
		copy(out.Pix[(y-y0)*out.W*3:(y-y0+1)*out.W*3], im.Pix[(y*im.W+x0)*3:(y*im.W+x1)*3])
	}
	return out
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
