// Package idecemutest starts the real IDEC emulator for other packages'
// tests: mutual TLS on loopback, development certificates, and a gallery
// filled from the shared face photos. It is a test helper, not a fake.
package idecemutest

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/fingerprint"
	"github.com/biogate/biogate/internal/idecemu"
	"github.com/biogate/biogate/internal/testenv"
	"github.com/biogate/biogate/outcome"
)

// Start runs an emulator with each IIN of persons enrolled with the photo
// of that name in shared/data/faces (or at that absolute path), and returns its https:// URL and the
// folder of development certificates (ca.pem, client.pem, client-key.pem,
// ...). Everything stops when the test ends.
func Start(t testing.TB, persons map[string]string) (url, certs string) {
	t.Helper()
	return StartEnrolled(t, persons, nil)
}

// Finger is a fingerprint to enrol: an image file (a path, or a name
// under shared/data/fingerprints) of the finger at Position, at 500 ppi.
type Finger struct {
	Position outcome.Finger
	Image    string
}

// StartEnrolled is Start with fingerprints enrolled too, per IIN.
func StartEnrolled(t testing.TB, persons map[string]string, fingers map[string][]Finger) (url, certs string) {
	t.Helper()
	faces := filepath.Join(testenv.Shared(t), "data", "faces")
	certs = t.TempDir()
	if err := idecemu.WriteDevCerts(certs); err != nil {
		t.Fatal(err)
	}
	emu, err := idecemu.New(idecemu.Config{Gallery: t.TempDir(), ModelDir: testenv.Models(t)})
	if err != nil {
		t.Fatal(err)
	}
	for id, name := range persons {
		if !filepath.IsAbs(name) {
			name = filepath.Join(faces, name)
		}
		photo, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := emu.Enroll(context.Background(), id, photo); err != nil {
			t.Fatal(err)
		}
	}
	for id, fs := range fingers {
		for _, f := range fs {
			path := f.Image
			if !filepath.IsAbs(path) {
				path = filepath.Join(testenv.Shared(t), "data", "fingerprints", path)
			}
			img, err := fingerprint.ReadImage(path)
			if err != nil {
				t.Fatal(err)
			}
			img.PPI = fingerprint.PPI
			if err := emu.EnrollFingerImage(context.Background(), id, f.Position.Code(), img); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewUnstartedServer(emu.Handler())
	if srv.TLS, err = idecemu.ServerTLSConfig(certs); err != nil {
		t.Fatal(err)
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	srv.StartTLS()
	// Cleanups run last first: closing the emulator releases held requests
	// before the server waits for them.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { emu.Close() })
	return srv.URL, certs
}
