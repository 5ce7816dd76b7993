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
