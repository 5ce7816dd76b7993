package monitoring

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool returns Debian's promtool (package prometheus, which
// hack/install-deps.sh installs); without it the test is skipped, except
// in CI, where it fails.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed (hack/install-deps.sh installs Debian's prometheus)")
		}
		t.Skip("promtool not installed")
	}
	return p
}

// The rules load and their unit tests pass: each alert fires on the
// series it is about, after its for: period, with its labels and texts,
// and stays quiet on the others (biogate-alerts.test.yaml).
func TestAlertRules(t *testing.T) {
	p := promtool(t)
	for _, args := range [][]string{{"check", "rules", "biogate-alerts.yaml"}, {"test", "rules", "biogate-alerts.test.yaml"}} {
		out, err := exec.Command(p, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Every dashboard query parses as PromQL: promtool checks them as the
// expressions of recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	p := promtool(t)
	exprs, err := Exprs()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		// The dashboard's variable, as Grafana fills it.
		e = strings.ReplaceAll(e, "$instance", ".*")
		fmt.Fprintf(&b, "      - record: dashboard:expr_%d\n        expr: %q\n", i, e)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(p, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}

// The files name only the gateway's and the IDEC client's metrics, and
// enough of them to matter; whether each exists is checked by those
// packages' tests (TestMonitoringNamesRegistered).
func TestMetricNames(t *testing.T) {
	names, err := MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 10 {
		t.Errorf("only %d metrics named: %v", len(names), names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "biogate_gateway_") && !strings.HasPrefix(n, "biogate_idec_") {
			t.Errorf("%s: neither the gateway's nor the IDEC client's", n)
		}
	}
	t.Logf("%d metrics: %v", len(names), names)
}
