package idechttp

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the
// client's transport, the test servers and the handlers must all stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
