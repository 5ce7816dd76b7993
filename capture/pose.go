package capture

import (
	"math"

	"github.com/biogate/biogate/models"
)

// Pose is head orientation in degrees, estimated from YuNet's five
// landmarks. It is a coarse geometric estimate (no 3D model fit), good enough
// to tell frontal from turned and to follow a movement; it is not a
// calibrated measurement.
//
// Signs, in the image as the camera delivers it (not mirrored):
//   - Yaw > 0: the nose points toward the image's right, which is the
//     subject's own left.
//   - Pitch > 0: the head is bowed (nose toward the mouth line).
//   - Roll > 0: the face is rotated clockwise in the image (the subject's
//     left eye, on the image's right, is lower than the right eye).
type Pose struct {
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
}

const (
	// noseDepthRatio is the nose tip's depth in front of the eye centres
	// relative to the inter-eye distance (about 3.5 cm over 6.3 cm on an adult
	// face): the nose's sideways shift per unit tan(yaw).
	noseDepthRatio = 0.55
	// noseRatioFrontal is where the nose tip sits between the eye line (0)
	// and the mouth line (1) on a frontal face, measured on the frontal
	// photos in shared/data/faces with YuNet's landmarks.
	noseRatioFrontal = 0.55
	// pitchGain turns the nose ratio's departure from frontal into an angle.
	pitchGain = 0.6
)

// Geometry is what the landmarks say about a face, in frame pixels and
// degrees.
type Geometry struct {
	Pose
	// InterEye is the distance between the eye centres in pixels.
	InterEye float64
	// EyeMid is the midpoint between the eyes.
	EyeMid models.Point
}

// FaceGeometry estimates pose and eye geometry from a face's landmarks.
func FaceGeometry(f models.Face) Geometry {
	re, le := f.Landmarks[models.RightEye], f.Landmarks[models.LeftEye]
	nose := f.Landmarks[models.NoseTip]
	rm, lm := f.Landmarks[models.RightMouth], f.Landmarks[models.LeftMouth]

	dx, dy := float64(le.X-re.X), float64(le.Y-re.Y)
	ied := math.Hypot(dx, dy)
	mid := models.Point{X: (re.X + le.X) / 2, Y: (re.Y + le.Y) / 2}
	g := Geometry{InterEye: ied, EyeMid: mid}
	if ied < 1 {
		return g
	}
	// Roll from the eye line and the mouth line together: YuNet's eye
	// points alone wander by up to 15 degrees on a tilted face, and the two
	// lines' errors are largely independent.
	mdx, mdy := float64(lm.X-rm.X), float64(lm.Y-rm.Y)
	g.Roll = deg(math.Atan2(dy/ied+mdy/math.Max(1, math.Hypot(mdx, mdy)), dx/ied+mdx/math.Max(1, math.Hypot(mdx, mdy))))

	// Express nose and mouth in the eye-aligned frame: u along the eye line,
	// v perpendicular to it (down the face).
	c, s := dx/ied, dy/ied
	toFace := func(p models.Point) (u, v float64) {
		px, py := float64(p.X-mid.X), float64(p.Y-mid.Y)
		return px*c + py*s, -px*s + py*c
	}
	nu, nv := toFace(nose)
	_, mv1 := toFace(rm)
	_, mv2 := toFace(lm)
	mouthV := (mv1 + mv2) / 2

	g.Yaw = deg(math.Atan((nu / ied) / noseDepthRatio))
	if mouthV > 1 {
		t := nv / mouthV
		g.Pitch = deg(math.Atan((t - noseRatioFrontal) / pitchGain))
	}
	return g
}

func deg(rad float64) float64 { return rad * 180 / math.Pi }
