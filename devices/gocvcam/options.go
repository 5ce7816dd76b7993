package gocvcam

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
)

// splitTarget separates an optional "?key=value&..." part from a path. A
// path that exists as given is taken whole, so a file whose name holds a '?'
// still opens; otherwise the text after the last '?' is the query.
func splitTarget(target string) (path string, q url.Values, err error) {
	i := strings.LastIndexByte(target, '?')
	if i < 0 {
		return target, url.Values{}, nil
	}
	if _, err := os.Stat(target); err == nil {
		return target, url.Values{}, nil
	}
	q, err = url.ParseQuery(target[i+1:])
	if err != nil {
		return "", nil, fmt.Errorf("options %q: %v", target[i+1:], err)
	}
	return target[:i], q, nil
}

// options reads the known keys of q, rejecting any other key so a typo
// does not pass silently.
type options struct {
	q   url.Values
	err error
}

func newOptions(q url.Values, known ...string) *options {
	o := &options{q: q}
	for k := range q {
		if !slices.Contains(known, k) {
			o.err = fmt.Errorf("unknown option %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return o
}

// positiveInt returns the option as a positive integer, 0 if absent.
func (o *options) positiveInt(key string) int {
	s := o.q.Get(key)
	if s == "" || o.err != nil {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		o.err = fmt.Errorf("option %s=%q: want a positive integer", key, s)
		return 0
	}
	return n
}

// positiveFloat returns the option as a positive finite number, 0 if absent.
func (o *options) positiveFloat(key string) float64 {
	s := o.q.Get(key)
	if s == "" || o.err != nil {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		o.err = fmt.Errorf("option %s=%q: want a positive number", key, s)
		return 0
	}
	return f
}

// fourcc returns the option as a four-character code, "" if absent.
func (o *options) fourcc(key string) string {
	s := o.q.Get(key)
	if s == "" || o.err != nil {
		return ""
	}
	if len(s) != 4 {
		o.err = fmt.Errorf("option %s=%q: want four characters, for example MJPG", key, s)
		return ""
	}
	return s
}

// validRate returns a frame rate OpenCV reported, or 0 when it is not a
// usable number (OpenCV reports 0, -1 or NaN for unknown).
func validRate(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 10000 {
		return 0
	}
	return f
}
