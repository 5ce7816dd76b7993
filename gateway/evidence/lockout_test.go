package evidence

import (
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const window = 15 * time.Minute
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, c := range []struct {
		name     string
		failures []time.Time
		max      int
		want     time.Duration
	}{
		{"none", nil, 3, 0},
		{"below max", []time.Time{ago(10 * time.Minute), ago(time.Minute)}, 3, 0},
		{"at max", []time.Time{ago(10 * time.Minute), ago(5 * time.Minute), ago(time.Minute)}, 3, 14 * time.Minute},
		{"any order", []time.Time{ago(time.Minute), ago(10 * time.Minute), ago(5 * time.Minute)}, 3, 14 * time.Minute},
		{"one outside the window", []time.Time{ago(20 * time.Minute), ago(5 * time.Minute), ago(time.Minute)}, 3, 0},
		{"exactly window old does not count", []time.Time{ago(window), ago(5 * time.Minute), ago(time.Minute)}, 3, 0},
		{"at now counts", []time.Time{ago(5 * time.Minute), ago(time.Minute), now}, 3, window},
		{"future does not count", []time.Time{ago(5 * time.Minute), ago(time.Minute), now.Add(time.Minute)}, 3, 0},
		{"max 1", []time.Time{ago(2 * time.Minute)}, 1, 13 * time.Minute},
		{"max 0 never locks", []time.Time{ago(time.Minute)}, 0, 0},
	} {
		if got := Lockout(c.failures, now, window, c.max); got != c.want {
			t.Errorf("%s: Lockout = %v, want %v", c.name, got, c.want)
		}
	}
}
