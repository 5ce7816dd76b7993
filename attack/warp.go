package attack

import (
	"fmt"
	"image/color"
	"math"
	"runtime"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

// Pose is a departure from the scene's neutral face, as Render draws it.
// Signs follow liveness/challenge in an unmirrored frame.
type Pose struct {
	// Yaw in degrees: > 0 turns the head to the person's own left (the
	// nose moves toward the image's right), as turn_left asks. Render
	// draws it as a horizontal cylinder displacement of the face region,
	// a shift of the nose region by 0.55*tan(Yaw) eye distances (what
	// capture.FaceGeometry reads as Yaw), and a slight keystone; at most
	// 60 degrees.
	Yaw float64
	// Roll in degrees: > 0 rotates the face clockwise in the image (the
	// person's left eye, on the image's right, goes down), as tilt_left
	// asks; a rotation about the face centre.
	Roll float64
	// Scale is the face's size against neutral, about the face centre:
	// > 1 is closer (move_closer). 0 means 1.
	Scale float64
	// DX, DY translate the whole frame, in pixels (hand shake, drift).
	DX, DY float64
}

// Turn-warp shape, in eye distances from the face centre (chosen by a
// sweep on the shared photos: a cylinder narrower than the face moves the
// features against the outline, which YuNet follows far better than a
// moved nose alone and checked by the detector in the package's tests). A
// turn maps the face region onto a vertical cylinder of radius cylRadius
// and rotates it: the features move toward the leading side, the far
// cheek is squeezed behind the outline, the near cheek stretches; the nose
// region then moves a further noseShift*sin(yaw) eye distances (it stands
// in front of the cylinder), and the side turning away is shortened a
// little (keystone).
var (
	cylRadius        = 0.9
	faceTop, faceBot = -1.9, 1.7 // vertical extent of the cylinder
	faceFade         = 0.5       // fade of the cylinder above and below it
	noseShift        = 0.1
	noseHalfW        = 0.32 // the nose region, a flat-topped ellipse
	noseHalfH        = 0.45
	keystoneGain     = 0.1
)

// Render draws the scene at pose p as a FrameWidth x FrameHeight image:
// one remap of the scene's photo. Pixels beyond the photo repeat its edge
// (never mirror it, which would show a second face).
func (s *Scene) Render(p Pose) (*Image, error) {
	if s == nil || s.Src.valid() != nil {
		return nil, ErrInvalidImage
	}
	if p.Scale == 0 {
		p.Scale = 1
	}
	if !(p.Scale >= 0.3 && p.Scale <= 3) || math.Abs(p.Yaw) > 60 || math.Abs(p.Roll) > 90 ||
		math.IsNaN(p.DX+p.DY+p.Yaw+p.Roll) || math.Abs(p.DX) > FrameWidth || math.Abs(p.DY) > FrameHeight {
		return nil, fmt.Errorf("attack: pose %+v out of range", p)
	}
	mx, my := s.maps(p)
	src, err := s.Src.mat()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	map1, err := gocv.NewMatFromBytes(FrameHeight, FrameWidth, gocv.MatTypeCV32F, floatBytes(mx))
	if err != nil {
		return nil, err
	}
	defer map1.Close()
	map2, err := gocv.NewMatFromBytes(FrameHeight, FrameWidth, gocv.MatTypeCV32F, floatBytes(my))
	if err != nil {
		return nil, err
	}
	defer map2.Close()
	dst := gocv.NewMat()
	defer dst.Close()
	gocv.Remap(src, &dst, &map1, &map2, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	runtime.KeepAlive(mx)
	runtime.KeepAlive(my)
	return imageFromMat(dst)
}

// maps returns, for each frame pixel, where in Src it samples (the inverse
// of the pose's movement, composed: shake and similarity first, then the
// turn, then the scene's placement).
func (s *Scene) maps(p Pose) (mx, my []float32) {
	mx = make([]float32, FrameWidth*FrameHeight)
	my = make([]float32, FrameWidth*FrameHeight)
	e := s.InterEye
	c, sn := math.Cos(p.Roll*math.Pi/180), math.Sin(p.Roll*math.Pi/180)
	nose := s.Face.Landmarks[models.NoseTip]
	nx, ny := float64(nose.X)-s.CX, float64(nose.Y)-s.CY

	theta := p.Yaw * math.Pi / 180
	sinYaw := math.Sin(theta)
	R := cylRadius * e
	top, bot, fade := faceTop*e, faceBot*e, faceFade*e
	// vWin is the cylinder's weight at height v: 1 on the face, fading
	// to 0 above and below it.
	vWin := func(v float64) float64 {
		switch {
		case v < top-fade || v > bot+fade:
			return 0
		case v < top:
			return smooth((v - (top - fade)) / fade)
		case v > bot:
			return smooth((bot + fade - v) / fade)
		}
		return 1
	}
	// cylinder returns where the turned cylinder shows u' from: the visible
	// branch of u' = R sin(asin(u/R) + theta); where the turn reveals what
	// was behind the near side, the edge of the face is stretched.
	cylinder := func(u float64) float64 {
		if math.Abs(u) >= R {
			return u
		}
		phi := math.Asin(u/R) - theta
		phi = math.Max(-math.Pi/2, math.Min(math.Pi/2, phi))
		return R * math.Sin(phi)
	}
	// The nose tip after the cylinder, then after its own shift.
	nose0 := nx + (R*math.Sin(math.Asin(math.Max(-1, math.Min(1, nx/R)))+theta) - nx)
	nShift := noseShift * e * sinYaw
	noseDstX := nose0 + nShift
	nw, nh := noseHalfW*e, noseHalfH*e
	keystone := keystoneGain * sinYaw
	turning := p.Yaw != 0

	for y := range FrameHeight {
		for x := range FrameWidth {
			px := float64(x) - p.DX - s.CX
			py := float64(y) - p.DY - s.CY
			u := (c*px + sn*py) / p.Scale
			v := (-sn*px + c*py) / p.Scale
			if turning {
				if w := vWin(v); w > 0 {
					// The nose region moves rigidly: a flat-topped window.
					du, dv := (u-noseDstX)/nw, (v-ny)/nh
					r2 := du*du + dv*dv
					u -= nShift * math.Exp(-r2*r2)
					u += w * (cylinder(u) - u)
					// Keystone: the side turning away is a little shorter.
					if math.Abs(u) < R {
						v += w * v * keystone * u / R
					}
				}
			}
			i := y*FrameWidth + x
			mx[i] = float32(u + s.CX - s.OffX)
			my[i] = float32(v + s.CY - s.OffY)
		}
	}
	return mx, my
}

// smooth is the smoothstep of t clamped to [0, 1].
func smooth(t float64) float64 {
	t = math.Max(0, math.Min(1, t))
	return t * t * (3 - 2*t)
}

// floatBytes views f's memory as bytes (for a CV_32F Mat that shares it).
func floatBytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*4)
}
