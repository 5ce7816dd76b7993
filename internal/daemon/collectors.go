package daemon

import "github.com/prometheus/client_golang/prometheus"

// buildCollectors are metrics that only some builds export (see
// matprofile.go); registered with the daemon's own.
var buildCollectors []prometheus.Collector
