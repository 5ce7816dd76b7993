package testenv

import (
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biogate/biogate/deploy/monitoring"
)

// MetricsRecorder is a prometheus.Registerer that keeps what is registered,
// so a test can list every metric a constructor registers, labelled ones
// with no series yet included (a registry's Gather leaves those out).
type MetricsRecorder struct{ collectors []prometheus.Collector }

func (r *MetricsRecorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *MetricsRecorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *MetricsRecorder) Unregister(prometheus.Collector) bool { return false }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names are the names of the metrics registered, sorted.
func (r *MetricsRecorder) Names() []string {
	var names []string
	ch := make(chan *prometheus.Desc)
	go func() {
		for _, c := range r.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// CheckMonitoringNames fails t for every metric with prefix that the
// alert rules or the dashboard (deploy/monitoring) name and registered
// does not hold, and reports how many were checked.
func CheckMonitoringNames(t *testing.T, prefix string, registered []string) {
	t.Helper()
	names, err := monitoring.MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if len(name) < len(prefix) || name[:len(prefix)] != prefix {
			continue
		}
		n++
		if !slices.Contains(registered, name) {
			t.Errorf("deploy/monitoring names %s, which is not registered (registered: %v)", name, registered)
		}
	}
	if n == 0 {
		t.Errorf("deploy/monitoring names no %s metric", prefix)
	}
	t.Logf("%d %s metrics of deploy/monitoring are registered", n, prefix)
}
