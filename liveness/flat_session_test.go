package liveness

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/liveness/challenge"
)

// performerCam is a camera showing an attack Performer on synthetic time:
// frame n is the performer's frame at n/fps, and a command the checker
// issues (OnEvent, in the same goroutine as Read) reaches the performer at
// the issuing sample's time, as an attacker's app following the gateway's
// events would (without the network's delay). The fake part is the
// choreography; every pixel comes from a real photograph.
type performerCam struct {
	pf    *attack.Performer
	fps   float64
	start time.Time
	end   time.Duration
	// exposure changes the frame's brightness with the pose, as a
	// camera's exposure follows a photo moved closer (or an attacker's
	// app could): x(1 - 0.8 (scale-1) + 0.012 |roll|), within 0.5-1.5.
	exposure bool

	mu  sync.Mutex
	seq uint64
}

func (c *performerCam) onEvent(e challenge.Event) {
	if e.Kind == challenge.KindIssued {
		c.pf.Command(e.Command, e.Time.Sub(c.start))
	}
}

func (c *performerCam) Info() devices.Info {
	return devices.Info{Backend: "performer", ID: "performer", Width: 640, Height: 480, FPS: c.fps}
}

func (c *performerCam) Read(ctx context.Context) (*devices.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	at := time.Duration(float64(c.seq) * float64(time.Second) / c.fps)
	if at > c.end {
		return nil, devices.ErrEndOfStream
	}
	j, err := c.pf.Frame(at)
	if err != nil {
		return nil, err
	}
	img, err := gocv.IMDecode(j, gocv.IMReadColor)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if c.exposure {
		p := c.pf.PoseAt(at)
		g := min(max(1-0.8*(p.Scale-1)+0.012*math.Abs(p.Roll), 0.5), 1.5)
		img.MultiplyFloat(float32(g))
	}
	data := append([]byte(nil), img.ToBytes()...)
	f := devices.NewFrame(c.seq, c.start.Add(at), "performer", devices.BGR24, img.Cols(), img.Rows(), img.Cols()*3, data, nil)
	c.seq++
	return f, nil
}

func (c *performerCam) Close() error { return nil }

// seedReader is a deterministic io.Reader for the challenge's draw.
type seedReader struct{ r *rand.Rand }

func (s seedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.Uint32())
	}
	return len(p), nil
}

// flatSessionPhotos are the shared photos whose faces YuNet reads as
// frontal once placed in a frame (yaw and roll within the challenge's
// FrontalYaw and FrontalRoll), so that a session gets its commands; the
// others (biden.jpg, obama2.jpg, alex-lacamoire.png, tests_obama3.jpg
// mostly) wait at the baseline until the session times out, which no
// attacker would try.
var flatSessionPhotos = []string{"obama.jpg", "obama_small.jpg", "train_alex_lacamoire_img1.jpg"}

// TestFlatAttackSessions runs generated warp and print attacks through a
// whole Checker with random commands, the performer following each
// command as it is issued (back to back, as the gateway issues them), with
// the generator's noise and JPEG, with the cleanest frames an attacker
// could send (no noise, JPEG quality 95), and with the brightness changing
// with the pose (performerCam.exposure): every session that got its
// commands is a spoof decided flat. BIOGATE_FLAT_SEEDS sets the seeds per
// photo, species and variant; BIOGATE_FLAT_PHOTOS (comma-separated names
// in data/faces) the photos.
func TestFlatAttackSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and scores whole attack sessions")
	}
	seeds := flatSeeds(t)
	photos := flatSessionPhotos
	if p := os.Getenv("BIOGATE_FLAT_PHOTOS"); p != "" {
		photos = strings.Split(p, ",")
	}
	var flat *FlatCue
	var cam *performerCam
	rnd := seedReader{rand.New(rand.NewPCG(1, 1))}
	chk := newChecker(t, Config{
		Challenge: challenge.Config{Rand: &rnd},
		Cues:      func() []Cue { flat = NewFlatCue(); return []Cue{flat} },
		OnEvent:   func(e challenge.Event) { cam.onEvent(e) },
	})
	var ratios []float64
	started, total := 0, 0
	for _, name := range photos {
		photo, face := loadAttackPhoto(t, name)
		for _, sp := range []attack.Species{attack.Warp, attack.Print} {
			for _, variant := range []string{"generator", "clean", "exposure"} {
				for s := range seeds {
					seed := uint64(7919*s + 101)
					fps := []float64{10, 12, 8, 15, 9, 11}[s%6]
					prm := attack.NewParams(seed, fps)
					if variant == "clean" {
						prm.Noise, prm.JPEGQuality = 0, 95
					}
					pf, err := attack.NewPerformer(sp, photo, face, prm)
					if err != nil {
						t.Fatal(err)
					}
					cam = &performerCam{pf: pf, fps: fps, start: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), end: 40 * time.Second,
						exposure: variant == "exposure"}
					rnd.r = rand.New(rand.NewPCG(seed, 0x636d64))
					res, err := chk.Run(context.Background(), cam)
					if err != nil {
						t.Fatal(err)
					}
					total++
					r, n := flat.Ratio()
					var cmds []string
					for _, a := range res.Challenge.Commands {
						for _, c := range a {
							cmds = append(cmds, string(c.Command)+":"+string(c.Outcome))
						}
					}
					desc := fmt.Sprintf("%s %s seed %d fps %.0f %s", name, sp, seed, fps, variant)
					t.Logf("%s: %s %v decided by %q; flat ratio %.2f over %d %.2f (%d unmeasured); %v",
						desc, res.Verdict, res.Reasons, res.Passive.DecidedBy, r, n, flat.all, flat.unmeasured, cmds)
					if len(cmds) == 0 {
						continue // never got past the baseline
					}
					started++
					ratios = append(ratios, r)
					if res.Passive.DecidedBy != CueFlat || res.Verdict != Spoof {
						t.Errorf("%s: %s %v decided by %q, want spoof decided flat", desc, res.Verdict, res.Reasons, res.Passive.DecidedBy)
					}
				}
			}
		}
	}
	if started < total/2 {
		t.Errorf("only %d of %d sessions got their commands", started, total)
	}
	sort.Float64s(ratios)
	t.Logf("%d of %d sessions got their commands; their flat ratios %.2f", started, total, ratios)
}
