package relay_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: readers
// blocked in Read must all be released by Close, End or their context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
