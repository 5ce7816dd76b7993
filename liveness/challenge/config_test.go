package challenge_test

import (
	"bytes"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/liveness/challenge"
)

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  challenge.Config
	}{
		{"two commands", challenge.Config{Count: 2}},
		{"negative count", challenge.Config{Count: -1}},
		{"count above offered", challenge.Config{Count: 6}},
		{"unknown offered", challenge.Config{Offered: []challenge.Command{challenge.TurnLeft, challenge.TurnRight, "blink"}}},
		{"repeated offered", challenge.Config{Offered: []challenge.Command{challenge.TurnLeft, challenge.TurnRight, challenge.TurnLeft}}},
		{"fixed repeated", challenge.Config{Fixed: []challenge.Command{challenge.TurnLeft, challenge.TurnRight, challenge.TurnLeft}}},
		{"fixed with another count", challenge.Config{Fixed: fixed, Count: 4}},
		{"negative attempts", challenge.Config{Attempts: -1}},
		{"negative timeout", challenge.Config{CommandTimeout: -time.Second}},
		{"negative baseline", challenge.Config{BaselineTime: -time.Second}},
		{"negative grace", challenge.Config{LostGrace: -time.Second}},
		{"turn 90", challenge.Config{TurnDegrees: 90}},
		{"tilt negative", challenge.Config{TiltDegrees: -5}},
		{"closer ratio below 1", challenge.Config{CloserRatio: 0.9}},
		{"return fraction 1", challenge.Config{ReturnFraction: 1}},
		{"negative jump", challenge.Config{MaxJump: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := challenge.New(tc.cfg); !errors.Is(err, challenge.ErrInvalidConfig) {
				t.Fatalf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := challenge.New(challenge.Config{Rand: bytes.NewReader(make([]byte, 20))}); err == nil || errors.Is(err, challenge.ErrInvalidConfig) {
		t.Errorf("short random source: err %v", err)
	}
	if _, err := challenge.New(challenge.Config{}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// A fixed list may be shorter than the rules' 3 (a recorded clip holds only
// the movements it holds), and the result names each departure; a random
// draw names none.
func TestDepartures(t *testing.T) {
	tests := []struct {
		cfg  challenge.Config
		want []string
	}{
		{challenge.Config{}, nil},
		{challenge.Config{Fixed: fixed}, []string{challenge.DepartureFixedCommands}},
		{challenge.Config{Fixed: []challenge.Command{challenge.MoveCloser}}, []string{challenge.DepartureFixedCommands, challenge.DepartureFewCommands}},
	}
	for _, tc := range tests {
		c, err := challenge.New(tc.cfg)
		if err != nil {
			t.Fatalf("%v: %v", tc.cfg.Fixed, err)
		}
		r := c.Result()
		if !slices.Equal(r.Departures, tc.want) || r.Random != (tc.cfg.Fixed == nil) {
			t.Errorf("fixed %v: departures %v random %v, want %v", tc.cfg.Fixed, r.Departures, r.Random, tc.want)
		}
	}
}

// The state machine must not depend on cameras or OpenCV: of this module it
// imports only the outcome vocabulary, a leaf.
func TestNoCameraDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/biogate/biogate/liveness/challenge").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.Contains(d, "gocv") || strings.HasPrefix(d, "github.com/biogate/biogate/") && d != "github.com/biogate/biogate/liveness/challenge" && d != "github.com/biogate/biogate/outcome" {
			t.Errorf("liveness/challenge imports %s", d)
		}
	}
}
