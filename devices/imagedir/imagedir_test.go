package imagedir

import (
	"context"
	"errors"
	"image"
	_ "image/jpeg" // sizes of the expected images, decoded without OpenCV
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biogate/biogate/devices"
	"github.com/biogate/biogate/internal/testenv"
)

func faces(t *testing.T) string {
	return filepath.Join(testenv.Shared(t), "data", "faces")
}

func open(t *testing.T, spec string) devices.Camera {
	t.Helper()
	cam, err := devices.OpenCamera(context.Background(), spec)
	if err != nil {
		t.Fatalf("OpenCamera(%q): %v", spec, err)
	}
	t.Cleanup(func() { cam.Close() })
	return cam
}

// imageSize decodes only the header of a JPEG or PNG with the standard
// library, an oracle independent of OpenCV.
func imageSize(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// TestFaces: one frame per image of shared/data/faces, in name order (the
// images differ in size, so the sizes show the order), then the end.
func TestFaces(t *testing.T) {
	dir := faces(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type size struct{ w, h int }
	var want []size
	var names []string
	for _, e := range entries {
		if ext := strings.ToLower(filepath.Ext(e.Name())); ext == ".jpg" || ext == ".png" {
			w, h := imageSize(t, filepath.Join(dir, e.Name()))
			want = append(want, size{w, h})
			names = append(names, e.Name())
		}
	}
	if len(want) < 5 {
		t.Fatalf("only %d images in %s", len(want), dir)
	}
	if !slices.IsSorted(names) {
		t.Fatalf("os.ReadDir did not sort: %v", names)
	}

	cam := open(t, "dir:"+dir)
	info := cam.Info()
	if info.Backend != "dir" || info.ID != dir || info.Live || info.FPS != NominalFPS {
		t.Errorf("Info = %+v", info)
	}
	var first time.Time
	for i, s := range want {
		f, err := cam.Read(context.Background())
		if err != nil {
			t.Fatalf("image %d (%s): %v", i, names[i], err)
		}
		if f.Seq != uint64(i) || f.Width != s.w || f.Height != s.h || f.Source != dir {
			t.Errorf("image %d (%s): seq %d %dx%d from %q; want %dx%d", i, names[i], f.Seq, f.Width, f.Height, f.Source, s.w, s.h)
		}
		if err := f.Validate(); err != nil || f.Format != devices.BGR24 || len(f.Data) != s.w*s.h*3 {
			t.Errorf("image %d: %v, format %v, %d bytes", i, err, f.Format, len(f.Data))
		}
		if i == 0 {
			first = f.Time
		} else if got, want := f.Time.Sub(first), time.Duration(i)*time.Second/NominalFPS; got != want {
			t.Errorf("image %d at %v, want %v", i, got, want)
		}
		f.Close()
		if f.Data != nil {
			t.Error("Data not cleared by Close")
		}
	}
	checkEnded(t, cam)
}

func checkEnded(t *testing.T, cam devices.Camera) {
	t.Helper()
	for i := 0; i < 2; i++ {
		if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrEndOfStream) {
			t.Fatalf("read %d past the end: got %v, want ErrEndOfStream", i, err)
		}
	}
	if err := cam.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Read(context.Background()); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("Read after Close: got %v, want ErrClosed", err)
	}
	if err := cam.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestMixedFolder: bad images give ErrBadFrame naming the file and reading
// goes on; files that are not images are never read.
func TestMixedFolder(t *testing.T) {
	src := faces(t)
	small := read(t, filepath.Join(src, "obama_small.jpg"))  // 320x240
	png := read(t, filepath.Join(src, "alex-lacamoire.png")) // 424x394
	big := read(t, filepath.Join(src, "obama.jpg"))          // 910x1137
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"a.jpg":             small,
		"b.PNG":             png,              // extensions in any case
		"c_half.jpg":        big[:len(big)/2], // truncated in the scan data
		"d_header_only.jpg": big[:100],        // truncated in the header
		"e_text.jpg":        []byte("hello, not a JPEG\n"),
		"f_empty.png":       nil,
		"g.jpeg":            small,
		"notes.txt":         []byte("ignored"),
		".hidden.jpg":       small,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "h_folder.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A FIFO would block the decoder forever if it were read.
	if err := syscall.Mkfifo(filepath.Join(dir, "i_fifo.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		w, h int    // a frame of this size
		bad  string // or ErrBadFrame naming this file, saying this
		why  string
	}
	want := []outcome{
		{w: 320, h: 240},
		{w: 424, h: 394},
		// libjpeg decodes what is there and fills the rest: a whole frame.
		{w: 910, h: 1137},
		{bad: "d_header_only.jpg", why: "not an image OpenCV can decode"},
		{bad: "e_text.jpg", why: "not an image OpenCV can decode"},
		{bad: "f_empty.png", why: "empty file"},
		{w: 320, h: 240},
	}
	cam := open(t, "dir:"+dir)
	var seq uint64
	for i, o := range want {
		f, err := cam.Read(context.Background())
		if o.bad != "" {
			if !errors.Is(err, devices.ErrBadFrame) || !strings.Contains(err.Error(), o.bad+": "+o.why) {
				t.Fatalf("read %d: got %v, want ErrBadFrame for %s: %s", i, err, o.bad, o.why)
			}
			continue
		}
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if f.Seq != seq || f.Width != o.w || f.Height != o.h || f.Validate() != nil {
			t.Errorf("read %d: seq %d %dx%d; want seq %d %dx%d", i, f.Seq, f.Width, f.Height, seq, o.w, o.h)
		}
		seq++ // bad images take no sequence number
		f.Close()
	}
	checkEnded(t, cam)
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	textOnly := t.TempDir()
	if err := os.WriteFile(filepath.Join(textOnly, "readme.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(textOnly, "readme.txt")
	tests := []struct {
		target   string
		noDevice bool
		msg      string
	}{
		{filepath.Join(empty, "absent"), true, "no such folder"},
		{file, true, "not a folder"},
		{empty, true, "no images"},
		{textOnly, true, "no images"},
		{empty + "?fps=0", false, "want a positive number"},
		{empty + "?speed=2", false, `unknown option "speed"`},
	}
	for _, tc := range tests {
		cam, err := devices.OpenCamera(context.Background(), "dir:"+tc.target)
		if err == nil {
			cam.Close()
			t.Errorf("%s: opened", tc.target)
			continue
		}
		if errors.Is(err, devices.ErrNoDevice) != tc.noDevice || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %q, want ErrNoDevice=%v with %q", tc.target, err, tc.noDevice, tc.msg)
		}
	}
}

func TestFrameRate(t *testing.T) {
	cam := open(t, "dir:"+faces(t)+"?fps=10")
	if cam.Info().FPS != 10 {
		t.Errorf("FPS = %v", cam.Info().FPS)
	}
	f0, err := cam.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f0.Close()
	f1, err := cam.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f1.Close()
	if d := f1.Time.Sub(f0.Time); d != 100*time.Millisecond {
		t.Errorf("frames %v apart, want 100ms", d)
	}
}

func TestReadCancelled(t *testing.T) {
	cam := open(t, "dir:"+faces(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cam.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	f, err := cam.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Seq != 0 {
		t.Errorf("first frame after a cancelled read has Seq %d", f.Seq)
	}
}
