package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Gateway metrics the report reads (gateway/metrics.go names them).
const (
	metricRSS            = "process_resident_memory_bytes"
	metricFramesReceived = "biogate_gateway_relay_frames_received_total"
	metricFramesDropped  = "biogate_gateway_relay_frames_dropped_total"
	metricCaptureDropped = "biogate_gateway_capture_frames_dropped_total"
	metricFramesAnalysed = "biogate_gateway_frames_analysed_total"
	metricMessagesDrop   = "biogate_gateway_messages_dropped_total"
	metricBusy           = "biogate_gateway_busy_rejections_total"
	metricActive         = "biogate_gateway_sessions_active"
	metricEnded          = "biogate_gateway_sessions_total"
	metricCPU            = "process_cpu_seconds_total"
)

// sample is one scrape of the gateway's /metrics, each metric summed over
// its labels.
type sample struct {
	rss                                  float64
	framesReceived, framesDropped        float64
	messagesDropped, busyRejections      float64
	droppedByReason                      map[string]float64
	captureDropped, framesAnalysed       float64
	captureByReason                      map[string]float64
	active, cpu                          float64
	ended                                float64 // connections whose handler ended
	hasRSS, hasFramesRecv, hasFramesDrop bool
}

type metricsClient struct {
	base string
	http *http.Client
}

// scrape reads /metrics from the gateway's metrics listener (served
// without a key, apart from the sessions).
func (c *metricsClient) scrape(ctx context.Context) (sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return sample{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	s := sample{droppedByReason: map[string]float64{}, captureByReason: map[string]float64{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, v, ok := parseLine(line)
		if !ok {
			continue
		}
		switch name {
		case metricRSS:
			s.rss, s.hasRSS = v, true
		case metricFramesReceived:
			s.framesReceived += v
			s.hasFramesRecv = true
		case metricFramesDropped:
			s.framesDropped += v
			s.hasFramesDrop = true
			s.droppedByReason[labels] += v
		case metricCaptureDropped:
			s.captureDropped += v
			s.captureByReason[labels] += v
		case metricFramesAnalysed:
			s.framesAnalysed += v
		case metricMessagesDrop:
			s.messagesDropped += v
		case metricCPU:
			s.cpu = v
		case metricActive:
			s.active = v
		case metricEnded:
			s.ended += v
		case metricBusy:
			s.busyRejections += v
		}
	}
	if err := sc.Err(); err != nil {
		return sample{}, err
	}
	if !s.hasRSS {
		return s, fmt.Errorf("/metrics has no %s", metricRSS)
	}
	return s, nil
}

// parseLine splits a text-format sample line into its name, its label
// set as written, and its value (a timestamp after the value is ignored).
func parseLine(line string) (name, labels string, v float64, ok bool) {
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else if i := strings.IndexByte(line, ' '); i >= 0 {
		name, rest = line[:i], line[i:]
	}
	f := strings.Fields(rest)
	if name == "" || len(f) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}
