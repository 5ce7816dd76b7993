package capture

import (
	"errors"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

// Token-frontal geometry after ISO/IEC 19794-5 (token face image): for an
// image W wide, the height is 4W/3, the eye centres lie on a horizontal line
// 0.6W from the top, 0.25W apart, centred horizontally.
const (
	tokenEyeY   = 0.6
	tokenEyeGap = 0.25
)

// DefaultTokenWidth gives 75 px between the eyes, above ICAO's 60 px.
const DefaultTokenWidth = 300

// TokenEyes returns where the subject's right and left eye centres land in a
// token image of the given width.
func TokenEyes(width int) (right, left models.Point) {
	w := float32(width)
	y := tokenEyeY * w
	return models.Point{X: w/2 - tokenEyeGap*w/2, Y: y}, models.Point{X: w/2 + tokenEyeGap*w/2, Y: y}
}

// TokenFrontal warps img so that the face's eyes are level and at the token
// positions, writing a width x 4*width/3 BGR image into dst (which the caller
// owns). Areas outside img are black.
func TokenFrontal(img gocv.Mat, f models.Face, width int, dst *gocv.Mat) error {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return ErrBadImage
	}
	if width < 32 {
		return errors.New("capture: token width under 32 px")
	}
	g := FaceGeometry(f)
	if g.InterEye < 2 {
		return errors.New("capture: eyes too close together to align")
	}
	// Rotate by the roll about the eye midpoint, scale to the token eye gap,
	// and move the midpoint to its token position: OpenCV's rotation matrix
	// (a positive angle turns counter-clockwise on screen, undoing a
	// clockwise, positive roll) with a float centre.
	s := tokenEyeGap * float64(width) / g.InterEye
	th := g.Roll * math.Pi / 180
	a, b := s*math.Cos(th), s*math.Sin(th)
	cx, cy := float64(g.EyeMid.X), float64(g.EyeMid.Y)
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	m.SetDoubleAt(0, 0, a)
	m.SetDoubleAt(0, 1, b)
	m.SetDoubleAt(0, 2, float64(width)/2-(a*cx+b*cy))
	m.SetDoubleAt(1, 0, -b)
	m.SetDoubleAt(1, 1, a)
	m.SetDoubleAt(1, 2, tokenEyeY*float64(width)-(-b*cx+a*cy))
	size := image.Pt(width, width*4/3)
	gocv.WarpAffineWithParams(img, dst, m, size, gocv.InterpolationLinear, gocv.BorderConstant, colorBlack)
	return nil
}

var colorBlack = color.RGBA{A: 255}
