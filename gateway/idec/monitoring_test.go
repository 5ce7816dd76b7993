package idec

import (
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// Every biogate_idec_ metric that the alert rules and the dashboard
// (deploy/monitoring) use is one the IDEC client registers.
func TestMonitoringNamesRegistered(t *testing.T) {
	var rec testenv.MetricsRecorder
	if _, err := newMetrics(&rec, &breaker{}); err != nil {
		t.Fatal(err)
	}
	testenv.CheckMonitoringNames(t, "biogate_idec_", rec.Names())
}
