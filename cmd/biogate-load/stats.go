package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// stats collects what the sessions observe; safe for concurrent use.
type stats struct {
	begin time.Time

	framesSent      atomic.Int64
	bytesSent       atomic.Int64
	sessionsStarted atomic.Int64
	connections     atomic.Int64 // upgraded WebSockets: sessions the gateway will count as ended

	mu       sync.Mutex
	quality  []qualityEvent
	errors   map[string]int
	fatal    int
	results  map[string]int
	toResult []time.Duration
}

// qualityEvent is one quality message: when it arrived and how long after
// the most recent frame sent on its socket.
type qualityEvent struct {
	at      time.Time
	latency time.Duration
}

func newStats() *stats {
	return &stats{errors: map[string]int{}, results: map[string]int{}}
}

func (s *stats) addQuality(at time.Time, latency time.Duration) {
	s.mu.Lock()
	s.quality = append(s.quality, qualityEvent{at, latency})
	s.mu.Unlock()
}

func (s *stats) addError(code string, fatal bool) {
	s.mu.Lock()
	s.errors[code]++
	if fatal {
		s.fatal++
	}
	s.mu.Unlock()
}

func (s *stats) addResult(decision string, took time.Duration) {
	s.mu.Lock()
	s.results[decision]++
	s.toResult = append(s.toResult, took)
	s.mu.Unlock()
}

// percentile returns the p-th percentile (0-100, nearest rank) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// latencies returns the sorted latencies of the quality events that
// arrived in [from, to).
func latencies(evs []qualityEvent, from, to time.Time) []time.Duration {
	var out []time.Duration
	for _, e := range evs {
		if !e.at.Before(from) && e.at.Before(to) {
			out = append(out, e.latency)
		}
	}
	slices.Sort(out)
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
