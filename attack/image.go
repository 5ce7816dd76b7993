package attack

import (
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/models"
)

// Frame size of the frames sent, as a phone in landscape would send them.
const (
	FrameWidth  = 640
	FrameHeight = 480
)

// ErrInvalidImage: an image is empty, too small or not 8-bit BGR.
var ErrInvalidImage = errors.New("attack: invalid image")

// ErrNoFace: the photo shows no face the detector finds.
var ErrNoFace = errors.New("attack: no face in the photo")

// Image is a packed 8-bit BGR image: Pix holds H rows of W*3 bytes. It is
// plain Go memory; nothing needs closing.
type Image struct {
	W, H int
	Pix  []byte
}

// NewImage returns a black w x h image.
func NewImage(w, h int) *Image {
	return &Image{W: w, H: h, Pix: make([]byte, w*h*3)}
}

// Clone returns a deep copy of im.
func (im *Image) Clone() *Image {
	return &Image{W: im.W, H: im.H, Pix: append([]byte(nil), im.Pix...)}
}

// valid reports whether im is a usable image.
func (im *Image) valid() error {
	if im == nil || im.W < 8 || im.H < 8 || len(im.Pix) != im.W*im.H*3 {
		return ErrInvalidImage
	}
	return nil
}

// mat wraps im's pixels in a Mat that shares them; the caller closes it and
// must keep im alive and unchanged while the Mat is in use.
func (im *Image) mat() (gocv.Mat, error) {
	if err := im.valid(); err != nil {
		return gocv.Mat{}, err
	}
	return gocv.NewMatFromBytes(im.H, im.W, gocv.MatTypeCV8UC3, im.Pix)
}

// imageFromMat copies an 8-bit BGR Mat into an Image. The caller keeps m.
func imageFromMat(m gocv.Mat) (*Image, error) {
	if m.Empty() || m.Type() != gocv.MatTypeCV8UC3 || m.Cols() < 8 || m.Rows() < 8 {
		return nil, ErrInvalidImage
	}
	b := m.ToBytes()
	if len(b) != m.Cols()*m.Rows()*3 {
		return nil, ErrInvalidImage
	}
	return &Image{W: m.Cols(), H: m.Rows(), Pix: b}, nil
}

// LoadPhoto reads a photo (JPEG, PNG, ...; EXIF orientation applied) as a
// BGR image.
func LoadPhoto(path string) (*Image, error) {
	m := gocv.IMRead(path, gocv.IMReadColor)
	defer m.Close()
	if m.Empty() {
		return nil, fmt.Errorf("photo %s: %w (unreadable or not an image)", path, ErrInvalidImage)
	}
	return imageFromMat(m)
}

// DecodeJPEG decodes a JPEG (or PNG) into a BGR image.
func DecodeJPEG(b []byte) (*Image, error) {
	if len(b) == 0 {
		return nil, ErrInvalidImage
	}
	m, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidImage, err)
	}
	defer m.Close()
	return imageFromMat(m)
}

// EncodeJPEG encodes im as a JPEG of the given quality (1-100).
func EncodeJPEG(im *Image, quality int) ([]byte, error) {
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("attack: JPEG quality %d: want 1-100", quality)
	}
	m, err := im.mat()
	if err != nil {
		return nil, err
	}
	defer m.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// resize returns im scaled to w x h (area interpolation when shrinking).
func resize(im *Image, w, h int) (*Image, error) {
	if w < 8 || h < 8 {
		return nil, fmt.Errorf("%w: resize to %dx%d", ErrInvalidImage, w, h)
	}
	src, err := im.mat()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst := gocv.NewMat()
	defer dst.Close()
	interp := gocv.InterpolationArea
	if w > im.W {
		interp = gocv.InterpolationCubic
	}
	gocv.Resize(src, &dst, image.Pt(w, h), 0, 0, interp)
	return imageFromMat(dst)
}

// DetectFace returns the largest face det finds in im, in im's pixels.
func DetectFace(det *models.FaceDetector, im *Image) (models.Face, error) {
	if det == nil {
		return models.Face{}, errors.New("attack: no face detector")
	}
	m, err := im.mat()
	if err != nil {
		return models.Face{}, err
	}
	defer m.Close()
	faces, err := det.Detect(m, nil)
	if err != nil {
		return models.Face{}, err
	}
	if len(faces) == 0 {
		return models.Face{}, ErrNoFace
	}
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Box.W*f.Box.H > best.Box.W*best.Box.H {
			best = f
		}
	}
	return best, nil
}
