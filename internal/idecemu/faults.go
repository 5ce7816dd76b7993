package idecemu

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/idec/idechttp"
)

// HeaderFault is the request header through which a caller asks the
// emulator to misbehave on this one verification (other endpoints ignore
// it): faults separated by ';', each one of
//
//	status=N     answer status N (400-599) without processing the request
//	latency=D    wait D (a Go duration, e.g. 1.5s) before processing it
//	timeout      process it, then hold the answer until the client gives up
//	malformed    process it, then answer 200 with a broken JSON body
//	reset        process it, then close the connection without an answer
//
// for example "latency=2s;reset". The header adds to Config.Faults:
// latencies add up, a status here replaces the configured one, and a kind
// set by either applies. A malformed header is 400 invalid_request.
//
// The header exists only in this emulator, for tests and drills. It is not
// part of the IDEC contract, and the gateway never sends it.
const HeaderFault = "X-Emulator-Fault"

// plan is what faults one request gets.
type plan struct {
	latency                   time.Duration
	status                    int
	timeout, malformed, reset bool
}

// parseFaultHeader parses a HeaderFault value.
func parseFaultHeader(v string) (plan, error) {
	var p plan
	for item := range strings.SplitSeq(v, ";") {
		item = strings.TrimSpace(item)
		key, val, hasVal := strings.Cut(item, "=")
		key, val = strings.TrimSpace(strings.ToLower(key)), strings.TrimSpace(val)
		switch {
		case item == "":
		case key == "status" && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n < 400 || n > 599 {
				return p, fmt.Errorf("status %q is not in 400-599", val)
			}
			p.status = n
		case key == "latency" && hasVal:
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 || d > maxFaultLatency {
				return p, fmt.Errorf("latency %q is not a duration in [0, %v]", val, maxFaultLatency)
			}
			p.latency = d
		case key == "timeout" && !hasVal:
			p.timeout = true
		case key == "malformed" && !hasVal:
			p.malformed = true
		case key == "reset" && !hasVal:
			p.reset = true
		default:
			return p, fmt.Errorf("unknown fault %q (want status=N, latency=D, timeout, malformed or reset)", item)
		}
	}
	return p, nil
}

// faultPlan combines the configured faults, an ErrorRate draw and the
// request's HeaderFault.
func (s *Server) faultPlan(r *http.Request) (plan, error) {
	f := s.cfg.Faults
	p := plan{latency: f.Latency, timeout: f.Timeout, malformed: f.Malformed, reset: f.Reset}
	switch {
	case f.ErrorRate > 0:
		s.randMu.Lock()
		x := s.rand()
		s.randMu.Unlock()
		if x < f.ErrorRate {
			p.status = f.Status
			if p.status == 0 {
				p.status = http.StatusServiceUnavailable
			}
		}
	case f.Status != 0:
		p.status = f.Status
	}
	if v := r.Header.Get(HeaderFault); v != "" {
		h, err := parseFaultHeader(v)
		if err != nil {
			return plan{}, err
		}
		p.latency += h.latency
		if h.status != 0 {
			p.status = h.status
		}
		p.timeout = p.timeout || h.timeout
		p.malformed = p.malformed || h.malformed
		p.reset = p.reset || h.reset
	}
	return p, nil
}

// faultCode is the contract's error code that comes with status.
func faultCode(status int) string {
	switch {
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		return idechttp.CodeUnavailable
	case status >= 500:
		return idechttp.CodeInternal
	case status == http.StatusConflict:
		return idechttp.CodeNoReferencePhoto
	case status == http.StatusNotFound:
		return idechttp.CodeUnknownIIN
	case status == http.StatusUnprocessableEntity:
		return idechttp.CodeNoFace
	}
	return idechttp.CodeInvalidRequest
}

// wait sleeps d, returning false early when ctx or done ends first.
func wait(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-done:
	}
	return false
}

// deliver sends a, unless p says to lose it.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, p plan, a *answer) {
	switch {
	case p.timeout:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		// Aborting, not returning, so no empty 200 goes out.
		panic(http.ErrAbortHandler)
	case p.reset:
		resetConn(w)
	case p.malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(a.body[:len(a.body)/2])
	default:
		writeAnswer(w, a)
	}
}

// resetConn drops the connection under w without an answer: a TCP reset
// (linger 0) when it can reach the socket, else an aborted handler (which
// HTTP/2 turns into a stream reset).
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}
