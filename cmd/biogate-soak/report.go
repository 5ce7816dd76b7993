package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// Report is a run's outcome.
type Report struct {
	Profile Profile `json:"profile"`
	Store   string  `json:"store"`
	Seed    uint64  `json:"seed"`
	// DurationSeconds is how long clients were started.
	DurationSeconds float64 `json:"duration_s"`
	// Seconds is the run's length, from the first client to the end of
	// the checks.
	Seconds float64 `json:"seconds"`
	// Clients counts every client; Sessions those the gateway greeted
	// (hello), Accepted those whose start it accepted.
	Clients  int `json:"clients"`
	Sessions int `json:"sessions"`
	Accepted int `json:"accepted"`
	// Outcomes counts the clients by how they ended, ByKind by kind too.
	Outcomes map[string]int          `json:"outcomes"`
	ByKind   map[Kind]map[string]int `json:"by_kind"`
	Faults   []*FaultRecord          `json:"faults"`
	Daemon   DaemonFigures           `json:"daemon"`
	Quiet    []QuietPoint            `json:"quiet_points"`
	Leaks    Leaks                   `json:"leaks"`
	Checks   []Invariant             `json:"invariants"`
	Passed   bool                    `json:"passed"`
}

// DaemonFigures are the daemon's memory over the run.
type DaemonFigures struct {
	Lives   int     `json:"lives"`
	PeakRSS float64 `json:"peak_rss_mib"`
	// RSSSlope is the least-squares slope of RSS over the last life after
	// its first quiet point, in MiB per hour, over SlopeSeconds.
	RSSSlope     float64 `json:"rss_slope_mib_per_hour"`
	SlopeSeconds float64 `json:"slope_window_seconds"`
	Samples      int     `json:"samples"`
}

// finish stops the children, opens the store and checks the invariants.
func (h *harness) finish(ctx context.Context) (*Report, error) {
	jwks := filepath.Join(h.cfg.Work, "jwks.json")
	if err := fetch(ctx, "http://"+h.gwHost+document.JWKSPath, jwks); err != nil {
		// The daemon is not serving (a failed restart, reported as a
		// fault's error): its keyring's public keys are the same.
		h.logf("jwks: %v; using the data folder's keys/jwks.json", err)
		b, rerr := os.ReadFile(filepath.Join(h.data, "keys", "jwks.json"))
		if rerr != nil {
			return nil, fmt.Errorf("jwks: %w", rerr)
		}
		if err := os.WriteFile(jwks, b, 0o600); err != nil {
			return nil, err
		}
	}
	h.logf("stopping the daemon (SIGTERM) and the emulator")
	h.exits = append(h.exits, h.gw.stop(h.prof.DrainGrace+30*time.Second))
	h.emu.stop(10 * time.Second)

	rep := &Report{Profile: h.prof, Store: h.cfg.Store, Seed: h.seed, DurationSeconds: h.prof.Duration.Seconds(), Faults: h.faults, Quiet: h.quiet,
		Outcomes: map[string]int{}, ByKind: map[Kind]map[string]int{}}
	ss := h.sessions
	rep.Clients = len(ss)
	for _, s := range ss {
		rep.Outcomes[s.Outcome]++
		if rep.ByKind[s.Kind] == nil {
			rep.ByKind[s.Kind] = map[string]int{}
		}
		rep.ByKind[s.Kind][s.Outcome]++
		if s.SessionID != "" {
			rep.Sessions++
		}
		if s.Accepted {
			rep.Accepted++
		}
		for _, f := range h.faults {
			if !s.End.Before(f.start) && !s.End.After(f.end) {
				if f.Outcomes == nil {
					f.Outcomes = map[string]int{}
				}
				f.Outcomes[s.Outcome]++
			}
		}
	}
	rep.Daemon = memory(h.samples, h.quiet, int(h.life.Load()))
	if err := h.writeSessions(ss); err != nil {
		return nil, err
	}

	w := windows{daemonDown: h.faultWindows(FaultDaemonTerm, FaultDaemonKill), drains: h.faultWindows(FaultDaemonTerm),
		kills: h.faultWindows(FaultDaemonKill), store: h.faultWindows(FaultPostgresRestart, FaultDiskFull),
		unplugged: h.faultWindows(FaultReaderUnplug)}
	rep.Checks = append(rep.Checks, checkEndings(ss, w), checkNoFalseMatch(ss), checkLockout(ss, maxAttempts),
		checkOnePerIIN(h.probes))

	keyData, err := os.ReadFile(jwks)
	if err != nil {
		return nil, err
	}
	keys, err := document.ParseJWKS(keyData)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	imageKey, err := evidence.ReadKey(filepath.Join(h.data, "evidence.key"))
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, h.evidence, imageKey)
	if err != nil {
		iv := Invariant{Name: "every result's document is in the store, byte for byte"}
		iv.fail("evidence store: %v", err)
		rep.Checks = append(rep.Checks, iv.close("the store could not be opened"))
	} else {
		rep.Checks = append(rep.Checks, checkDocuments(ctx, ss, store, keys, w))
		store.Close()
	}
	rep.Checks = append(rep.Checks, h.checkChain(ctx, jwks), checkShutdowns(h.exits), checkFaults(h.faults))
	leaks, iv := checkLeaks(h.quiet)
	rep.Leaks = leaks
	rep.Checks = append(rep.Checks, iv)
	rep.Passed = true
	for _, c := range rep.Checks {
		rep.Passed = rep.Passed && c.Passed
	}
	rep.Seconds = h.since(time.Now())
	return rep, nil
}

// openStore opens the evidence store, trying for 30 s (a PostgreSQL
// server may still be starting).
func openStore(ctx context.Context, dsn string, key []byte) (evidence.Store, error) {
	var err error
	for end := time.Now().Add(30 * time.Second); ; {
		var s evidence.Store
		if s, err = evidence.Open(ctx, dsn, evidence.Options{ImageKey: key}); err == nil {
			return s, nil
		}
		if time.Now().After(end) || sleep(ctx, 2*time.Second) != nil {
			return nil, err
		}
	}
}

// memory sums up the samples: the peak RSS of every life, and the slope
// of the last life from its first quiet point on (after warm-up).
func memory(ss []Sample, qs []QuietPoint, lives int) DaemonFigures {
	d := DaemonFigures{Lives: lives, Samples: len(ss)}
	from := -1.0
	for _, q := range qs {
		if q.Life == lives {
			from = q.At
			break
		}
	}
	var last []Sample
	for _, s := range ss {
		d.PeakRSS = max(d.PeakRSS, s.RSSMiB)
		if s.Life == lives && s.At >= from {
			last = append(last, s)
		}
	}
	if b, ok := slope(last); ok {
		d.RSSSlope = b
		d.SlopeSeconds = last[len(last)-1].At - last[0].At
	}
	return d
}

// writeSessions writes one JSON line per client to sessions.jsonl in the
// work folder, in the order they started (IINs only as IINRef).
func (h *harness) writeSessions(ss []*Session) error {
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(a, b *Session) int { return a.Start.Compare(b.Start) })
	f, err := os.Create(filepath.Join(h.cfg.Work, "sessions.jsonl"))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, s := range ss {
		s.EndS = h.since(s.End)
		if s.Accepted {
			s.AcceptedS = h.since(s.AcceptedAt)
		}
		enc.Encode(s)
	}
	return f.Close()
}

// fetch writes url's body to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "biogate-soak: %s run on %s, %.0f s, seed %d\n", r.Profile.Name, r.Store, r.Seconds, r.Seed)
	fmt.Fprintf(w, "clients %d, sessions %d (greeted), accepted %d\n\n", r.Clients, r.Sessions, r.Accepted)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\toutcomes")
	for _, k := range sortedKeys(r.ByKind) {
		fmt.Fprintf(tw, "%s\t%s\n", k, counts(r.ByKind[k]))
	}
	fmt.Fprintf(tw, "all\t%s\n", counts(r.Outcomes))
	tw.Flush()
	fmt.Fprintln(w, "\nfaults (the clients that ended within each)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range r.Faults {
		errText := ""
		if f.Error != "" {
			errText = "  ERROR " + f.Error
		}
		fmt.Fprintf(tw, "%6.1fs-%6.1fs\t%s\t%s%s\t%s\n", f.Start, f.End, f.Kind, f.Detail, errText, counts(f.Outcomes))
	}
	tw.Flush()
	fmt.Fprintf(w, "\ndaemon: %d lives, peak RSS %.1f MiB, RSS slope %+.1f MiB/h over %.0f s of its last life\n",
		r.Daemon.Lives, r.Daemon.PeakRSS, r.Daemon.RSSSlope, r.Daemon.SlopeSeconds)
	for _, q := range r.Quiet {
		fmt.Fprintf(w, "quiet point %-5s at %6.1fs (life %d): goroutines %d, fds %d, mats %d, RSS %.1f MiB, settled %v\n",
			q.Name, q.At, q.Life, q.Goroutines, q.FDs, q.Mats, q.RSSMiB, q.Settled)
	}
	mats := "not counted"
	if r.Leaks.MatsCounted {
		mats = fmt.Sprintf("%+d", r.Leaks.Mats)
	}
	fmt.Fprintf(w, "leaks (%s → %s): goroutines %+d, fds %+d, gocv Mats %s\n\n", r.Leaks.From, r.Leaks.To, r.Leaks.Goroutines, r.Leaks.FDs, mats)
	for _, c := range r.Checks {
		verdict := "PASS"
		if !c.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "%s %s: %s\n", verdict, c.Name, c.Detail)
		for _, v := range c.Violations {
			fmt.Fprintf(w, "     %s\n", v)
		}
		if c.Count > len(c.Violations) {
			fmt.Fprintf(w, "     ... %d more\n", c.Count-len(c.Violations))
		}
	}
	if r.Passed {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

// counts prints a count map, largest first.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[Kind]V) []Kind {
	ks := make([]Kind, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
