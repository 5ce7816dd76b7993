// Package monitoring holds biogated's Prometheus alerting rules
// (biogate-alerts.yaml, with its promtool unit tests) and Grafana dashboard
// (biogate-dashboard.json), the files beside this one. They are embedded so
// that tests check them against the code: every biogate_ metric they name
// is one the gateway or the IDEC client registers (gateway's and
// gateway/idec's tests), and every expression parses (this package's
// tests, with promtool).
package monitoring

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Alerts is the rule file; Dashboard the Grafana dashboard.
var (
	//go:embed biogate-alerts.yaml
	Alerts []byte
	//go:embed biogate-dashboard.json
	Dashboard []byte
)

// Exprs returns every PromQL expression of the rules and the dashboard
// (its panels' targets), in file order.
func Exprs() ([]string, error) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Expr string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(Alerts, &rules); err != nil {
		return nil, fmt.Errorf("monitoring: alerts: %w", err)
	}
	var out []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(Dashboard, &dash); err != nil {
		return nil, fmt.Errorf("monitoring: dashboard: %w", err)
	}
	for _, p := range dash.Panels {
		for _, t := range p.Targets {
			out = append(out, t.Expr)
		}
	}
	return out, nil
}

var metricName = regexp.MustCompile(`\bbiogate_[a-z_]+`)

// MetricNames returns the biogate_ metrics the expressions use, sorted,
// each once; a histogram's series (_bucket, _sum, _count) by the
// histogram's name.
func MetricNames() ([]string, error) {
	exprs, err := Exprs()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if s, ok := strings.CutSuffix(n, suffix); ok && strings.HasSuffix(s, "_seconds") {
					n = s
				}
			}
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
