package gateway_test

import (
	"github.com/biogate/biogate/gateway"
	"github.com/biogate/biogate/internal/relaycam"
)

// The tests' relay sessions run on the real relay cameras.
func init() { gateway.RelayCamerasForTest = relaycam.New() }
