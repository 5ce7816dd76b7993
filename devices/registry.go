// The registry: backends register an opener per scheme at init, and
// callers open a device by spec ("scheme:target") without importing the
// backend.

package devices

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// CameraOpener opens a camera from the part of a spec after "scheme:".
// It must not leave anything open when it returns an error.
type CameraOpener func(ctx context.Context, target string) (Camera, error)

var (
	mu       sync.RWMutex
	backends = map[string]CameraOpener{}
)

// RegisterCamera makes a backend available under scheme. Backends call it
// from init; registering a scheme twice panics, as it is a programming error.
func RegisterCamera(scheme string, open CameraOpener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := backends[scheme]; dup {
		panic("devices: camera backend registered twice: " + scheme)
	}
	backends[scheme] = open
}

// CameraBackends lists the registered schemes, sorted.
func CameraBackends() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(backends))
	for s := range backends {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ParseSpec splits "scheme:target". The target may itself contain colons
// (GStreamer caps, paths).
func ParseSpec(spec string) (scheme, target string, err error) {
	scheme, target, ok := strings.Cut(spec, ":")
	if !ok || scheme == "" || target == "" {
		return "", "", fmt.Errorf("devices: camera spec %q: want SCHEME:TARGET, for example file:clip.mp4", spec)
	}
	return scheme, target, nil
}

// OpenCamera opens the camera a spec names, through the backend registered
// for its scheme. The caller owns the camera and must Close it.
func OpenCamera(ctx context.Context, spec string) (Camera, error) {
	scheme, target, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	mu.RLock()
	open, ok := backends[scheme]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknownBackend, scheme, strings.Join(CameraBackends(), ", "))
	}
	return open(ctx, target)
}

// FingerprintOpener opens a fingerprint reader from the part of a spec
// after "scheme:", which may be empty: the backend's default reader (the
// first one attached, say). It must not leave anything open when it returns
// an error.
type FingerprintOpener func(ctx context.Context, target string) (FingerprintReader, error)

var readerBackends = map[string]FingerprintOpener{}

// RegisterFingerprintReader makes a fingerprint backend available under
// scheme, as RegisterCamera does for cameras (the two have separate
// namespaces: "dir" may name both). Backends call it from init; registering
// a scheme twice panics, as it is a programming error.
func RegisterFingerprintReader(scheme string, open FingerprintOpener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := readerBackends[scheme]; dup {
		panic("devices: fingerprint backend registered twice: " + scheme)
	}
	readerBackends[scheme] = open
}

// FingerprintBackends lists the registered fingerprint schemes, sorted.
func FingerprintBackends() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(readerBackends))
	for s := range readerBackends {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// OpenFingerprintReader opens the fingerprint reader a spec names,
// "scheme:target", through the backend registered for its scheme: for
// example "usb:1-10" (a USB reader by bus path), "usb:05ba:000a" (by USB
// ids), "usb:" (the first supported USB reader) or "dir:/path/to/images".
// Unlike a camera spec, the target may be empty. A spec without a scheme is
// an error; an unregistered scheme wraps ErrUnknownBackend; the backend's
// errors come back as it returns them. The caller owns the reader and must
// Close it.
func OpenFingerprintReader(ctx context.Context, spec string) (FingerprintReader, error) {
	scheme, target, ok := strings.Cut(spec, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("devices: fingerprint reader spec %q: want SCHEME:TARGET, for example usb:1-10 or usb:", spec)
	}
	mu.RLock()
	open, ok := readerBackends[scheme]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q for fingerprint readers (registered: %s)", ErrUnknownBackend, scheme, strings.Join(FingerprintBackends(), ", "))
	}
	return open(ctx, target)
}
