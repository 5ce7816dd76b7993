package main

import (
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/biogate/biogate/internal/pgtest"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests (every
// session, the daemon, the IDEC client and the emulator must have stopped)
// and, built with -tags matprofile, if any gocv Mat is still open.
func TestMain(m *testing.M) {
	if os.Getenv(envChildArgs) != "" {
		childMain()
	}
	code := m.Run()
	pgtest.Stop()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines left behind: " + err.Error() + "\n")
			code = 1
		}
		if n := matsLeft(); n != 0 {
			os.Stderr.WriteString("gocv Mats left open: " + strconv.Itoa(n) + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
