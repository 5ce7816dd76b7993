package document

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// t0 is the tests' reference time.
var t0 = time.Date(2026, 11, 30, 9, 15, 30, 123_000_000, time.UTC)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func image(name string) *ImageRef {
	return &ImageRef{Name: name, SHA256: digest(name), Bytes: 31_337, Width: 640, Height: 480, Quality: 78.5}
}

// sample returns a complete match document issued at issued.
func sample(issued time.Time) *Document {
	d := New("4f1c2b1e-7d0a-4c55-9f53-3a8a1d2a9e10", issued)
	d.Decision = DecisionMatch
	d.Organization.BIN = "000000000000"
	d.Subject.IIN = "790303402568"
	d.Consent = Consent{TextID: "loan-app/consent-v3", TextSHA256: digest("I agree"), AcceptedAt: issued.Add(-40 * time.Second)}
	d.ClientNonce = "n0nce_of-the-calling-app"
	d.Liveness = Liveness{
		Random:   true,
		Attempts: 2,
		Commands: []Command{
			{Attempt: 1, Index: 0, Command: "turn_left", Outcome: OutcomeFailed, Reason: "timeout", Progress: 0.4},
			{Attempt: 2, Index: 0, Command: "tilt_right", Outcome: OutcomePassed, Progress: 1, Image: image("a2c0.jpg")},
			{Attempt: 2, Index: 1, Command: "move_closer", Outcome: OutcomePassed, Progress: 1, Image: image("a2c1.jpg")},
		},
		Passive: &Passive{Decision: "live", PLive: 0.97, Frames: 84, FusionBias: 0.25, Cues: []Cue{
			{Name: "model", Score: 0.98, Weight: 1, Available: true, Contribution: 3.89},
			{Name: "screen", Score: 0.7, Weight: 0.6, Available: true, Contribution: 0.51},
			{Name: "print", Score: 0.5, Weight: 0.8, Available: false},
			{Name: "motion", Score: 0.4, Weight: 0.5, Available: true, Contribution: -0.2},
		}},
	}
	d.BestFrame = image("best.jpg")
	d.IDEC = &IDEC{RequestID: "idec-7781", Decision: DecisionMatch, Similarity: 0.91, Threshold: 0.6, ReferenceSource: "gbdfl", LatencyMS: 412}
	d.Gateway = Gateway{ID: "branch-almaty-07", Version: "0.6.0"}
	d.Device = Device{Mode: ModeRelay}
	d.PrevHash = digest("previous entry")
	return d
}

// newEd25519 returns a fresh key pair's signer and its public Key, valid
// from notBefore on.
func newEd25519(t testing.TB, notBefore time.Time) (*KeySigner, Key) {
	s, k, _ := newKeyPair(t, notBefore)
	return s, k
}

// newKeyPair is newEd25519 with the private key.
func newKeyPair(t testing.TB, notBefore time.Time) (*KeySigner, Key, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, ed25519Key(s.KeyID(), pub, notBefore, time.Time{}, time.Time{}), priv
}

func mustSign(t testing.TB, s Signer, d *Document) string {
	t.Helper()
	jws, err := Sign(s, d)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// segments splits a compact JWS into its three parts.
func segments(t testing.TB, jws string) []string {
	t.Helper()
	p := strings.Split(jws, ".")
	if len(p) != 3 {
		t.Fatalf("compact JWS with %d parts", len(p))
	}
	return p
}
