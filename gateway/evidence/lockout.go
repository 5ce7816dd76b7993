package evidence

import "time"

// Lockout is the one lockout rule, used by the store's LockedFor and by
// the gateway alike, so a subject is locked the same with or without a
// store: max or more failed attempts within window ending at now (after
// now-window, not after now: a failure in the future of now, from a skewed
// clock, does not count) lock the subject until the last of them is window
// old. A failure is one failed attempt, recorded the moment it fails,
// whichever session or gateway it happened in. It returns how long the
// subject stays locked at now, 0 when it is not, and 0 when max is 0 or
// less. failures may come in any order and may include failures outside
// the window.
func Lockout(failures []time.Time, now time.Time, window time.Duration, max int) time.Duration {
	if max <= 0 {
		return 0
	}
	n, last := Recent(failures, now, window)
	if n < max {
		return 0
	}
	return last.Add(window).Sub(now)
}

// Recent counts the failures that Lockout counts at now (those within
// window ending at now) and returns the last of them.
func Recent(failures []time.Time, now time.Time, window time.Duration) (n int, last time.Time) {
	from := now.Add(-window)
	for _, t := range failures {
		if !t.After(from) || t.After(now) {
			continue
		}
		n++
		if t.After(last) {
			last = t
		}
	}
	return n, last
}
