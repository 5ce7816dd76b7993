// Package peertest runs hack/peer/capture_peer.py, the Python peer of the
// per-frame path, for the benchmarks that compare Go with it: capture's
// BenchmarkPeerPython (detection and quality) and liveness's
// BenchmarkPeerPythonLoop (the whole loop, MiniFASNet included).
package peertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/models"
)

// Python is Debian's interpreter, the one its python3-opencv works with.
const Python = "/usr/bin/python3"

// Result is the peer's report of one run.
type Result struct {
	MSPerFrame        float64 `json:"ms_per_frame"`
	P50               float64 `json:"p50"`
	Frames            int     `json:"frames"`
	CPUMSPerFrame     float64 `json:"cpu_ms_per_frame"`
	FaultsPerFrame    float64 `json:"faults_per_frame"`
	FramesWithFace    int     `json:"frames_with_face"`
	FramesSpoofScored int     `json:"frames_spoof_scored"`
}

// Require skips (fails under CI=true) when Debian's python3 with cv2 and
// numpy is missing; hack/install-deps.sh installs python3-opencv.
func Require(tb testing.TB) {
	tb.Helper()
	out, err := exec.Command(Python, "-c", "import cv2, numpy; print(cv2.__version__)").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s with cv2 and numpy is needed for the peer (apt-get install python3-opencv, see hack/install-deps.sh): %v: %s",
		Python, err, bytes.TrimSpace(out))
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// Budget is how long the peer times frames: -benchtime when it is a
// duration (so the framework, seeing the run last that long, calls the
// benchmark only once), and at least 2 s.
func Budget() time.Duration {
	budget := 2 * time.Second
	if f := flag.Lookup("test.benchtime"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > budget {
			budget = d
		}
	}
	return budget
}

// Run is one run of the peer: Frames frames of Video at Size, timed for
// at least Budget, with the detector settings models.DetectorConfig has by
// default; Spoof (MiniFASNetV2 and V1SE files) adds the anti-spoofing
// models on every SpoofEvery-th frame with a face; Tuned gives Python the
// glibc malloc thresholds models/yunet_shim.cpp sets.
type Run struct {
	Video      string
	Frames     int
	Size       string
	Budget     time.Duration
	Spoof      []string
	SpoofEvery int
	Tuned      bool
}

// Do runs the peer and checks its report: a face in at least 9 frames of
// 10 (a peer that finds none skips most of the work and looks fast), and
// the anti-spoofing models run where asked.
func (r Run) Do(tb testing.TB) Result {
	tb.Helper()
	script, err := scriptPath()
	if err != nil {
		tb.Fatal(err)
	}
	model, err := models.Path(testenv.Models(tb), models.YuNet)
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{script, "--model", model, "--video", r.Video, "--frames", strconv.Itoa(r.Frames),
		"--size", r.Size, "--iters", strconv.Itoa(r.Frames), "--seconds", strconv.FormatFloat(r.Budget.Seconds(), 'f', -1, 64),
		"--score-threshold", strconv.FormatFloat(models.DefaultScoreThreshold, 'f', -1, 64),
		"--nms-threshold", strconv.FormatFloat(models.DefaultNMSThreshold, 'f', -1, 64),
		"--top-k", strconv.Itoa(models.DefaultTopK), "--max-width", strconv.Itoa(models.DefaultMaxWidth)}
	if len(r.Spoof) > 0 {
		args = append(args, "--spoof", r.Spoof[0]+","+r.Spoof[1], "--spoof-every", strconv.Itoa(max(1, r.SpoofEvery)))
	}
	cmd := exec.Command(Python, args...)
	if r.Tuned {
		cmd.Env = append(os.Environ(), "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=33554432")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("capture_peer.py %s: %v: %s", r.Size, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil || res.Frames < 1 || res.MSPerFrame <= 0 {
		tb.Fatalf("capture_peer.py %s: bad output %q: %v", r.Size, out, err)
	}
	if res.FramesWithFace < res.Frames*9/10 {
		tb.Fatalf("capture_peer.py %s: a face in %d of %d frames; the clip has one in every frame", r.Size, res.FramesWithFace, res.Frames)
	}
	if len(r.Spoof) > 0 && res.FramesSpoofScored < res.FramesWithFace/max(1, r.SpoofEvery)-1 {
		tb.Fatalf("capture_peer.py %s: MiniFASNet on %d of %d frames with a face, want every %d-th", r.Size, res.FramesSpoofScored, res.FramesWithFace, r.SpoofEvery)
	}
	return res
}

// SpoofModels returns the MiniFASNetV2 and MiniFASNetV1SE files, checked
// against the models' manifest.
func SpoofModels(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, name := range []string{models.MiniFASNetV2, models.MiniFASNetV1SE} {
		p, err := models.Path(testenv.Models(tb), name)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// scriptPath finds hack/peer/capture_peer.py above the working directory
// (a package's folder while its tests run).
func scriptPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "hack", "peer", "capture_peer.py"), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("peertest: no go.mod above the working directory")
		}
		dir = up
	}
}
