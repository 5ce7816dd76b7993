package capture

import "time"

// Percentiles of per-frame processing time, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// latencyHist is a fixed histogram of durations with 50 µs buckets up to
// 500 ms (longer ones land in the last bucket). It never allocates after
// creation, so the loop's allocations do not grow with the number of frames.
type latencyHist struct {
	buckets [10000]uint32
	n       int
}

const latencyBucket = 50 * time.Microsecond

func (h *latencyHist) reset() { *h = latencyHist{} }

func (h *latencyHist) add(d time.Duration) {
	i := int(d / latencyBucket)
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	if i < 0 {
		i = 0
	}
	h.buckets[i]++
	h.n++
}

// quantile returns the upper edge of the bucket holding the q-quantile, in ms.
func (h *latencyHist) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int(q*float64(h.n-1)) + 1
	seen := 0
	for i, c := range h.buckets {
		seen += int(c)
		if seen >= rank {
			return float64(time.Duration(i+1)*latencyBucket) / float64(time.Millisecond)
		}
	}
	return float64(time.Duration(len(h.buckets))*latencyBucket) / float64(time.Millisecond)
}

func (h *latencyHist) percentiles() Percentiles {
	return Percentiles{P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99)}
}
