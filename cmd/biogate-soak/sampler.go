package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of the daemon's process.
type Sample struct {
	At     float64 `json:"at_s"` // from the run's beginning
	Life   int     `json:"life"` // the daemon's start it belongs to, 1-based
	RSSMiB float64 `json:"rss_mib"`
	FDs    int     `json:"fds"`
	// Goroutines is go_goroutines from the metrics listener (-1: not
	// read); Active biogate_gateway_sessions_active.
	Goroutines int `json:"goroutines"`
	Active     int `json:"active"`
	// Mats is biogate_gocv_mats_open, the gocv Mats open (-1: not
	// exported: biogated built without -tags matprofile).
	Mats int `json:"mats"`
}

// QuietPoint is a reading once no session runs and the counts settled.
type QuietPoint struct {
	Name string `json:"name"`
	Sample
	// Settled: the goroutines and descriptors read the same three times
	// in a row (else the last reading is kept).
	Settled bool `json:"settled"`
	// Open counts the descriptors by what they are: a file's name,
	// "socket", "pipe", "anon_inode:..." (see fdKinds).
	Open map[string]int `json:"open,omitempty"`
}

// sample reads the daemon every SampleEvery until ctx ends.
func (h *harness) sample(ctx context.Context) {
	cl := &http.Client{Timeout: 2 * time.Second}
	for {
		if s, ok := h.read(ctx, cl); ok {
			h.mu.Lock()
			h.samples = append(h.samples, s)
			h.mu.Unlock()
		}
		if sleep(ctx, h.prof.SampleEvery) != nil {
			return
		}
	}
}

// read takes one sample; ok is false when the daemon is not running.
func (h *harness) read(ctx context.Context, cl *http.Client) (Sample, bool) {
	pid := h.gw.target()
	life := int(h.life.Load())
	if pid == 0 {
		return Sample{}, false
	}
	s := Sample{At: h.since(time.Now()), Life: life, Goroutines: -1, Active: -1, Mats: -1}
	rss, err := procRSS(pid)
	if err != nil {
		return Sample{}, false
	}
	s.RSSMiB = rss
	if s.FDs, err = procFDs(pid); err != nil {
		return Sample{}, false
	}
	if m, err := scrape(ctx, cl, h.metricsURL); err == nil {
		if v, ok := m["go_goroutines"]; ok {
			s.Goroutines = int(v)
		}
		if v, ok := m["biogate_gateway_sessions_active"]; ok {
			s.Active = int(v)
		}
		if v, ok := m["biogate_gocv_mats_open"]; ok {
			s.Mats = int(v)
		}
	}
	return s, h.gw.target() == pid
}

// quietPoint stops new clients, waits for the running ones to end and
// the daemon to have no session, restarts the emulator (closing the
// daemon's keep-alive connections to it), and reads the daemon until its
// goroutines and descriptors settle.
func (h *harness) quietPoint(ctx context.Context, name string) {
	h.logf("quiet point %s: waiting for the clients", name)
	h.gate.Lock()
	defer h.gate.Unlock()
	cl := &http.Client{Timeout: 2 * time.Second}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		if s, ok := h.read(ctx, cl); ok && s.Active == 0 {
			break
		}
		if sleep(ctx, 200*time.Millisecond) != nil {
			return
		}
	}
	if err := h.restartEmulator(ctx, ""); err != nil {
		h.logf("quiet point %s: emulator: %v", name, err)
	}
	q := QuietPoint{Name: name}
	var last []Sample
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
		if sleep(ctx, time.Second) != nil {
			return
		}
		s, ok := h.read(ctx, cl)
		if !ok {
			continue
		}
		q.Sample = s
		q.Open, _ = fdKinds(h.gw.target(), h.peers())
		last = append(last, s)
		if n := len(last); n >= 3 && same(last[n-3:]) {
			q.Settled = true
			break
		}
	}
	h.mu.Lock()
	h.quiet = append(h.quiet, q)
	h.mu.Unlock()
	h.logf("quiet point %s: goroutines %d, fds %d, mats %d, rss %.1f MiB (settled %v)", name, q.Goroutines, q.FDs, q.Mats, q.RSSMiB, q.Settled)
}

// same reports whether the samples agree on goroutines, descriptors and
// Mats.
func same(ss []Sample) bool {
	for _, s := range ss[1:] {
		if s.Goroutines != ss[0].Goroutines || s.FDs != ss[0].FDs || s.Mats != ss[0].Mats {
			return false
		}
	}
	return true
}

// procRSS reads VmRSS of pid, in MiB.
func procRSS(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// procFDs counts pid's open file descriptors.
func procFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// fdKinds counts pid's descriptors by target: a file's base name, the
// kind of a pipe or anonymous inode, and a TCP socket by its peer's name
// in peers (keyed by port; "tcp:listen" for a listener, "tcp:other").
func fdKinds(pid int, peers map[int]string) (map[string]int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	socks := tcpSockets(pid, peers)
	out := map[string]int{}
	for _, e := range ents {
		t, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		kind := filepath.Base(t)
		if i := strings.IndexByte(t, ':'); i > 0 && !strings.HasPrefix(t, "/") {
			kind = t[:i] // socket, pipe
			if kind == "anon_inode" {
				kind = t
			}
			if kind == "socket" {
				if k, ok := socks[strings.Trim(t[i+1:], "[]")]; ok {
					kind = k
				}
			}
		}
		out[kind]++
	}
	return out, nil
}

// tcpSockets maps the inodes of pid's TCP sockets to a name: "tcp:listen",
// "tcp:" and the name peers gives the remote port, or "tcp:" and the name
// of the local port (a connection accepted on a listener), else
// "tcp:other".
func tcpSockets(pid int, peers map[int]string) map[string]string {
	out := map[string]string{}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 {
				continue
			}
			local, remote, state, inode := port(fs[1]), port(fs[2]), fs[3], fs[9]
			switch {
			case state == "0A":
				out[inode] = "tcp:listen"
			case peers[remote] != "":
				out[inode] = "tcp:" + peers[remote]
			case peers[local] != "":
				out[inode] = "tcp:" + peers[local] + " (accepted)"
			default:
				out[inode] = "tcp:other"
			}
		}
	}
	return out
}

// port reads the port of a /proc/net/tcp address (HEXIP:HEXPORT).
func port(addr string) int {
	_, p, _ := strings.Cut(addr, ":")
	n, _ := strconv.ParseInt(p, 16, 32)
	return int(n)
}

// scrape reads the unlabelled samples of a Prometheus text page.
func scrape(ctx context.Context, cl *http.Client, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseMetrics(bufio.NewScanner(resp.Body))
}

// parseMetrics reads "name value" lines; labelled samples and comments
// are skipped.
func parseMetrics(sc *bufio.Scanner) (map[string]float64, error) {
	out := map[string]float64{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// slope fits RSS = a + b·t by least squares over ss and returns b in MiB
// per hour; ok is false with fewer than 3 samples or no spread in time.
func slope(ss []Sample) (perHour float64, ok bool) {
	if len(ss) < 3 {
		return 0, false
	}
	var n, st, sr, stt, str float64
	for _, s := range ss {
		n++
		st += s.At
		sr += s.RSSMiB
		stt += s.At * s.At
		str += s.At * s.RSSMiB
	}
	den := n*stt - st*st
	if den <= 0 {
		return 0, false
	}
	return (n*str - st*sr) / den * 3600, true
}

// peers names the ports the daemon talks to or serves on.
func (h *harness) peers() map[int]string {
	out := map[int]string{}
	name := func(hostport, what string) {
		if _, p, ok := strings.Cut(hostport, ":"); ok {
			if n, err := strconv.Atoi(p); err == nil {
				out[n] = what
			}
		}
	}
	name(h.emuAddr, "idec")
	name(h.gwHost, "gateway")
	name(strings.TrimSuffix(strings.TrimPrefix(h.metricsURL, "http://"), "/metrics"), "metrics")
	if h.cfg.Store == "postgres" {
		if u, err := url.Parse(h.evidence); err == nil {
			name(u.Host, "postgres")
		}
	}
	return out
}
