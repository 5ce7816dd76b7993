//go:build matprofile

package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"
)

// Built with -tags matprofile (hack/soak.sh builds biogated so), the
// daemon exports gocv's count of the Mats it has open, so that a soak sees
// a Mat leak as it sees a goroutine leak: the count must come back to the
// same value whenever no session runs. gocv counts only with the tag (it
// records every Mat's creation, a cost production builds do not pay).
func init() {
	buildCollectors = append(buildCollectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "biogate_gocv_mats_open",
		Help: "gocv Mats created and not closed (built with -tags matprofile only).",
	}, func() float64 { return float64(gocv.MatProfile.Count()) }))
}
