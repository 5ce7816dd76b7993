package challenge_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/capture"
	"github.com/biogate/biogate/devices"
	_ "github.com/biogate/biogate/devices/gocvcam"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/liveness/challenge"
	"github.com/biogate/biogate/models"
)

// The real-clip tests measure Samples with the project's own analyzer (the
// same YuNet detector and capture.FaceGeometry the gateway runs), once per
// clip per test binary.

var (
	clipMu    sync.Mutex
	clipCache = map[string]*clipEntry{}
)

type clipEntry struct {
	once    sync.Once
	samples []challenge.Sample
	err     error
}

// clipSamples returns the Samples of a clip under shared/data/video. Times
// are offsets in the clip from the Unix epoch, so a test can name a time in
// the clip as epoch.Add(d).
func clipSamples(t *testing.T, name string) []challenge.Sample {
	t.Helper()
	path := filepath.Join(testenv.Shared(t), "data", "video", name)
	modelDir := testenv.Models(t)
	clipMu.Lock()
	e, ok := clipCache[name]
	if !ok {
		e = &clipEntry{}
		clipCache[name] = e
	}
	clipMu.Unlock()
	e.once.Do(func() { e.samples, e.err = analyseClip(path, modelDir) })
	if e.err != nil {
		t.Fatalf("%s: %v", name, e.err)
	}
	if len(e.samples) < 10 {
		t.Fatalf("%s: only %d frames", name, len(e.samples))
	}
	return e.samples
}

// epoch is where clip times start: Sample.Time of a clip frame is epoch plus
// the frame's position in the clip.
var epoch = time.Unix(0, 0).UTC()

func analyseClip(path, modelDir string) ([]challenge.Sample, error) {
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: modelDir})
	if err != nil {
		return nil, err
	}
	defer det.Close()
	an, err := capture.NewAnalyzer(det)
	if err != nil {
		return nil, err
	}
	defer an.Close()
	cam, err := devices.OpenCamera(context.Background(), "file:"+path)
	if err != nil {
		return nil, err
	}
	defer cam.Close()

	var out []challenge.Sample
	var t0 time.Time
	for {
		f, err := cam.Read(context.Background())
		if errors.Is(err, devices.ErrEndOfStream) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if f.Seq == 0 {
			t0 = f.Time
		}
		s, err := analyseFrame(an, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		s.Time = epoch.Add(s.Time.Sub(t0))
		out = append(out, s)
	}
}

// analyseFrame builds a Sample from one BGR24 frame (gocvcam delivers only
// BGR24); the Mat is a view over the frame's data.
func analyseFrame(an *capture.Analyzer, f *devices.Frame) (challenge.Sample, error) {
	if f.Format != devices.BGR24 || f.Stride != f.Width*3 {
		return challenge.Sample{}, errors.New("unexpected frame layout")
	}
	m, err := gocv.NewMatFromBytes(f.Height, f.Width, gocv.MatTypeCV8UC3, f.Data[:f.Stride*f.Height])
	if err != nil {
		return challenge.Sample{}, err
	}
	defer m.Close()
	s, err := analyseMat(an, m)
	s.Seq, s.Time = f.Seq, f.Time
	return s, err
}

// analyseMat measures one BGR image; Seq and Time are left to the caller.
func analyseMat(an *capture.Analyzer, m gocv.Mat) (challenge.Sample, error) {
	a, err := an.Analyze(m)
	if err != nil {
		return challenge.Sample{}, err
	}
	s := challenge.Sample{Faces: int(a.Quality.Faces.Value)}
	if face, ok := a.SubjectFace(); ok {
		s.BoxX, s.BoxY = float64(face.Box.X), float64(face.Box.Y)
		s.BoxW, s.BoxH = float64(face.Box.W), float64(face.Box.H)
		s.Yaw, s.Pitch, s.Roll = a.Geometry.Yaw, a.Geometry.Pitch, a.Geometry.Roll
		s.InterEye = a.Geometry.InterEye
	}
	return s, nil
}

// segment returns the samples with from <= offset < to (offsets in seconds
// from the clip's start).
func segment(s []challenge.Sample, from, to float64) []challenge.Sample {
	var out []challenge.Sample
	for _, x := range s {
		d := x.Time.Sub(epoch).Seconds()
		if d >= from-1e-6 && d < to-1e-6 {
			out = append(out, x)
		}
	}
	return out
}

// warp is one synthetic frame: the photo rotated by Angle degrees
// (counter-clockwise, as OpenCV's GetRotationMatrix2D counts them) and
// scaled by Scale about the frame's centre.
type warp struct{ Angle, Scale float64 }

// photoFrames returns Samples of a real photo made into 640x480 webcam
// frames (the subject's face a third of the frame's width, centred), one
// per warp at 30 fps, analysed by the real analyzer.
func photoFrames(t *testing.T, name string, warps []warp) []challenge.Sample {
	t.Helper()
	path := filepath.Join(testenv.Shared(t), "data", "faces", name)
	det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	an, err := capture.NewAnalyzer(det)
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	img := gocv.IMRead(path, gocv.IMReadColor)
	if img.Empty() {
		img.Close()
		t.Fatalf("cannot read %s", path)
	}
	defer img.Close()
	a, err := an.Analyze(img)
	if err != nil {
		t.Fatal(err)
	}
	face, ok := a.SubjectFace()
	if !ok {
		t.Fatalf("%s: no face", name)
	}
	// A 4:3 window three face widths wide around the face, the photo's
	// edges replicated where it runs out, scaled to 640x480.
	const fw, fh = 640, 480
	cx, cy := float64(face.Box.X+face.Box.W/2), float64(face.Box.Y+face.Box.H/2)
	ww := 3 * float64(face.Box.W)
	wh := ww * fh / fw
	x0, y0 := int(cx-ww/2), int(cy-wh/2)
	x1, y1 := x0+int(ww), y0+int(wh)
	pad := max(0, -x0, -y0, x1-img.Cols(), y1-img.Rows())
	padded := gocv.NewMat()
	defer padded.Close()
	gocv.CopyMakeBorder(img, &padded, pad, pad, pad, pad, gocv.BorderReplicate, color.RGBA{})
	roi := padded.Region(image.Rect(x0+pad, y0+pad, x1+pad, y1+pad))
	frame := gocv.NewMat()
	defer frame.Close()
	gocv.Resize(roi, &frame, image.Pt(fw, fh), 0, 0, gocv.InterpolationArea)
	roi.Close()

	warped := gocv.NewMat()
	defer warped.Close()
	out := make([]challenge.Sample, 0, len(warps))
	for i, w := range warps {
		m := gocv.GetRotationMatrix2D(image.Pt(fw/2, fh/2), w.Angle, w.Scale)
		gocv.WarpAffineWithParams(frame, &warped, m, image.Pt(fw, fh), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
		m.Close()
		s, err := analyseMat(an, warped)
		if err != nil {
			t.Fatal(err)
		}
		s.Seq = uint64(i)
		s.Time = epoch.Add(time.Duration(i) * time.Second / 30)
		out = append(out, s)
	}
	return out
}

// ramp returns warps from a to b in n steps (a excluded, b included).
func ramp(a, b warp, n int) []warp {
	out := make([]warp, n)
	for i := range n {
		f := float64(i+1) / float64(n)
		out[i] = warp{a.Angle + f*(b.Angle-a.Angle), a.Scale + f*(b.Scale-a.Scale)}
	}
	return out
}

// hold returns n copies of w.
func hold(w warp, n int) []warp {
	out := make([]warp, n)
	for i := range out {
		out[i] = w
	}
	return out
}
