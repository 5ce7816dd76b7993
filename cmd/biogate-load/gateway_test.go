package main

import (
	"testing"

	"github.com/biogate/biogate/internal/gatewaytest"
)

const (
	testKey  = gatewaytest.Key
	obamaIIN = "790303402568"
)

// startGateway runs the IDEC emulator (obama2.jpg enrolled) and a gateway
// with maxSessions model sets against it, and returns the gateway's
// http:// address and that of its metrics listener.
func startGateway(t *testing.T, maxSessions int) (addr, metrics string) {
	t.Helper()
	g := gatewaytest.Start(t, gatewaytest.Options{Persons: map[string]string{obamaIIN: "obama2.jpg"}, MaxSessions: maxSessions})
	return g.URL, g.MetricsURL
}
