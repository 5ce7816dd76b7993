package evidence

import "time"

// Lockout is the one lockout rule, used by the store's LockedFor and by
// the gateway's in-memory failures alike, so a subject is locked the same
// with or without a store: max or more failures within window ending at
// now (after now-window, not after now: a failure in the future of now,
// from a skewed clock, does not count) lock the subject until the last of
// them is window old. It returns how long the subject stays locked at now,
// 0 when it is not, and 0 when max is 0 or less. failures may come in any
// order and may include failures outside the window.
func Lockout(failures []time.Time, now time.Time, window time.Duration, max int) time.Duration {
	if max <= 0 {
		return 0
	}
	from := now.Add(-window)
	var n int
	var last time.Time
	for _, t := range failures {
		if !t.After(from) || t.After(now) {
			continue
		}
		n++
		if t.After(last) {
			last = t
		}
	}
	if n < max {
		return 0
	}
	return last.Add(window).Sub(now)
}
