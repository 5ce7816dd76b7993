package gateway

import (
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// Every biogate_gateway_ metric that the alert rules and the dashboard
// (deploy/monitoring) use is one the gateway registers.
func TestMonitoringNamesRegistered(t *testing.T) {
	var rec testenv.MetricsRecorder
	if _, err := newMetrics(&rec); err != nil {
		t.Fatal(err)
	}
	testenv.CheckMonitoringNames(t, "biogate_gateway_", rec.Names())
}
