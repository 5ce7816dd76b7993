package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// Invariant is one check of the run, with the violations found (the first
// maxViolations of them).
type Invariant struct {
	Name       string   `json:"name"`
	Passed     bool     `json:"passed"`
	Detail     string   `json:"detail"`
	Violations []string `json:"violations,omitempty"`
	// Count is the number of violations, also those not listed.
	Count int `json:"violations_count"`
}

const maxViolations = 20

func (iv *Invariant) fail(format string, args ...any) {
	iv.Count++
	if len(iv.Violations) < maxViolations {
		iv.Violations = append(iv.Violations, fmt.Sprintf(format, args...))
	}
}

func (iv *Invariant) close(detail string) Invariant {
	iv.Passed = iv.Count == 0
	iv.Detail = detail
	return *iv
}

// windows are the times faults explain an ending by, from the records.
type windows struct {
	daemonDown []*FaultRecord // SIGTERM and SIGKILL: from the signal to ready again
	drains     []*FaultRecord // SIGTERM only
	kills      []*FaultRecord // SIGKILL only
	store      []*FaultRecord // PostgreSQL down, the SQLite volume full
	unplugged  []*FaultRecord // the USB reader unplugged
}

// storeSlack is how long after PostgreSQL is back the daemon may still
// report the store unavailable (its connections are found broken on use).
const storeSlack = 10 * time.Second

// within reports whether t falls in one of rs, widened by slack on both
// sides.
func within(rs []*FaultRecord, t time.Time, slack time.Duration) bool {
	for _, r := range rs {
		if !t.Before(r.start.Add(-slack)) && !t.After(r.end.Add(slack)) {
			return true
		}
	}
	return false
}

// expected are the endings documented for each kind of client beyond the
// ones every client may see (a result, a documented fatal refusal, an
// abort).
var expected = map[Kind][]string{
	KindBadIIN:    {"rejected/invalid_iin"},
	KindGarbage:   {"rejected/bad_message"},
	KindOversized: {"closed/1009"},
	KindTooLarge:  {"rejected/frame_too_large"},
	KindBadKey:    {"http/401"},
	KindVanish:    {"vanished"},
}

// anyClient are the fatal refusals any client may get at start.
var anyClient = []string{"refused/busy", "refused/key_busy", "refused/locked_out", "refused/iin_in_session", "refused/camera_unavailable"}

// documented says whether s ended in a way the protocol documents for its
// kind, given the faults: why is empty when it did.
func documented(s *Session, w windows) (ok bool, why string) {
	o := s.Outcome
	switch {
	case o == "hung":
		return false, "no result, error or abort within the client's deadline"
	case o == "result/error:reader_unavailable":
		// The reader cannot be opened: only while it is unplugged (a busy
		// reader is a bug: one finger client at a time, and a session
		// releases the reader before its result).
		if within(w.unplugged, s.End, time.Second) {
			return true, ""
		}
		return false, "the reader was unavailable while it was plugged in"
	case strings.HasPrefix(o, "result/"), o == "aborted", slices.Contains(anyClient, o), slices.Contains(expected[s.Kind], o):
		return true, ""
	case o == "refused/evidence_unavailable":
		// The lockout could not be checked: only while the store was down.
		if within(w.store, s.End, storeSlack) {
			return true, ""
		}
		return false, "the evidence store was unavailable outside its outage"
	case o == "unavailable" || o == "http/503":
		// No connection, or 503 while draining: only while the daemon was
		// being restarted.
		if within(w.daemonDown, s.Start, time.Second) || within(w.daemonDown, s.End, time.Second) {
			return true, ""
		}
		return false, "refused while the daemon should have been serving"
	case o == "cut" || o == "closed/1001":
		// The socket closed without a word: only a killed daemon does that
		// (1001 is the drain's going away).
		if within(w.kills, s.End, 3*time.Second) || (o == "closed/1001" && within(w.drains, s.End, time.Second)) {
			return true, ""
		}
		return false, "connection closed without a result, error or abort"
	}
	return false, "not documented for a " + string(s.Kind) + " client"
}

// checkEndings: every client got a result, a documented error or an
// abort on shutdown; no socket hung.
func checkEndings(ss []*Session, w windows) Invariant {
	iv := Invariant{Name: "every client ended as documented (no hung socket)"}
	hung := 0
	for _, s := range ss {
		if ok, why := documented(s, w); !ok {
			iv.fail("client %d (%s) at %.1fs: %s: %s", s.N, s.Kind, s.Offset, s.Outcome, why)
		}
		if s.Hung {
			hung++
		}
	}
	return iv.close(fmt.Sprintf("%d clients, %d hung", len(ss), hung))
}

// checkNoFalseMatch: only the genuine person under his own IIN matches.
func checkNoFalseMatch(ss []*Session) Invariant {
	iv := Invariant{Name: "no match for an attack, an impostor or invalid input"}
	n := 0
	for _, s := range ss {
		if s.Kind.mayMatch() {
			continue
		}
		n++
		if s.Result != nil && s.Result.Decision == "match" {
			iv.fail("client %d (%s) at %.1fs: match", s.N, s.Kind, s.Offset)
		}
	}
	return iv.close(fmt.Sprintf("%d clients that must not match", n))
}

// checkLockout walks each IIN's clients in order, counting the failed
// attempts they were told of (a lower bound of what the store counted):
// none may be accepted once maxAttempts failures were seen, none may
// begin more attempts than the IIN had left, and none may be locked out
// before maxAttempts failures unless an earlier client of the IIN ended
// unseen (cut, vanished, aborted: its failures may be uncounted here).
func checkLockout(ss []*Session, max int) Invariant {
	iv := Invariant{Name: "lockout: at most " + fmt.Sprint(max) + " failed attempts per IIN, then locked_out"}
	by := map[string][]*Session{}
	for _, s := range ss {
		if s.IIN != "" && s.Kind != KindBadIIN {
			by[s.IIN] = append(by[s.IIN], s)
		}
	}
	locked := 0
	for _, list := range by {
		slices.SortFunc(list, func(a, b *Session) int { return a.Start.Compare(b.Start) })
		seen, unsure := 0, false
		for _, s := range list {
			switch {
			case s.Accepted && seen >= max:
				iv.fail("client %d (%s) at %.1fs accepted after %d failed attempts", s.N, s.Kind, s.Offset, seen)
			case s.Accepted && s.Attempts > max-seen:
				iv.fail("client %d (%s) at %.1fs began %d attempts with %d left", s.N, s.Kind, s.Offset, s.Attempts, max-seen)
			case s.Fatal == "locked_out" && seen < max && !unsure:
				iv.fail("client %d (%s) at %.1fs locked out after %d failed attempts", s.N, s.Kind, s.Offset, seen)
			}
			if s.Fatal == "locked_out" {
				locked++
			}
			seen += s.Failures
			switch s.Outcome {
			case "cut", "vanished", "aborted", "hung", "closed/1001":
				unsure = true
			}
		}
	}
	return iv.close(fmt.Sprintf("%d IINs, %d starts refused locked_out", len(by), locked))
}

// checkOnePerIIN: of the probes' three clients sending one IIN at once,
// at most one was accepted while another's was running.
func checkOnePerIIN(groups [][]*Session) Invariant {
	iv := Invariant{Name: "one session per IIN at a time"}
	inSession := 0
	for _, g := range groups {
		var acc []*Session
		for _, s := range g {
			if s.Accepted {
				acc = append(acc, s)
			}
			if s.Fatal == "iin_in_session" {
				inSession++
			}
		}
		for i, a := range acc {
			for _, b := range acc[i+1:] {
				if a.AcceptedAt.Before(b.End) && b.AcceptedAt.Before(a.End) {
					iv.fail("probe at %.1fs: clients %d and %d both accepted at once", a.Offset, a.N, b.N)
				}
			}
		}
	}
	return iv.close(fmt.Sprintf("%d probes of 3 clients, %d iin_in_session", len(groups), inSession))
}

// checkDocuments: every result a client received that carries a signed
// document has it in the store byte for byte, and states the result. A
// result without a document is allowed only as the gateway sends it when
// the store could not keep one (gateway/session.go: "the error result goes
// out unsigned"): decision error while the store was down.
func checkDocuments(ctx context.Context, ss []*Session, store evidence.Store, keys document.KeySet, w windows) Invariant {
	iv := Invariant{Name: "every result's document is in the store, byte for byte"}
	n, unsigned := 0, 0
	for _, s := range ss {
		if s.Result == nil {
			continue
		}
		n++
		if s.Result.Document == "" {
			if s.Result.Decision == "error" && within(w.store, s.End, storeSlack) {
				unsigned++
				continue
			}
			iv.fail("client %d (%s): result %s without a document", s.N, s.Kind, s.Result.Decision)
			continue
		}
		doc, err := document.Verify(s.Result.Document, keys, time.Now())
		if err != nil {
			iv.fail("client %d (%s): document does not verify: %v", s.N, s.Kind, err)
			continue
		}
		rec, _, err := store.Get(ctx, doc.ID)
		switch {
		case err != nil:
			iv.fail("client %d (%s): document %s: %v", s.N, s.Kind, doc.ID, err)
		case string(rec.Document) != s.Result.Document:
			iv.fail("client %d (%s): document %s differs from the stored one", s.N, s.Kind, doc.ID)
		case string(doc.Decision) != string(s.Result.Decision) || doc.SessionID != s.Result.SessionID:
			iv.fail("client %d (%s): document %s says %s for session %s, the result %s for %s", s.N, s.Kind, doc.ID,
				doc.Decision, doc.SessionID, s.Result.Decision, s.Result.SessionID)
		}
	}
	detail := fmt.Sprintf("%d results, %d with documents", n, n-unsigned-iv.Count)
	if unsigned > 0 {
		detail += fmt.Sprintf("; %d error results without a document while the store was down or full (docs/protocol.md: the error result after evidence_unavailable has none)", unsigned)
	}
	return iv.close(detail)
}

// checkChain runs `biogate evidence verify` with the JWKS, the
// checkpoints and the images.
func (h *harness) checkChain(ctx context.Context, jwks string) Invariant {
	iv := Invariant{Name: "biogate evidence verify --jwks: chain intact"}
	args := []string{"evidence", "verify", "--store", h.evidence, "--jwks", jwks,
		"--checkpoints", filepath.Join(h.data, "evidence-checkpoints.jsonl"),
		"--images", "--key", filepath.Join(h.data, "evidence.key")}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(vctx, filepath.Join(h.cfg.Bin, "biogate"), args...).CombinedOutput()
	os.WriteFile(filepath.Join(h.cfg.Work, "evidence-verify.txt"), out, 0o600)
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil {
		iv.fail("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return iv.close(first)
}

// checkShutdowns: the daemon exited 0 after each SIGTERM.
func checkShutdowns(exits []int) Invariant {
	iv := Invariant{Name: "the daemon drains and exits 0 on SIGTERM"}
	for i, c := range exits {
		if c != 0 {
			iv.fail("SIGTERM %d: exit code %d", i+1, c)
		}
	}
	return iv.close(fmt.Sprintf("%d SIGTERMs, exit codes %v", len(exits), exits))
}

// checkFaults: every scheduled fault was carried out.
func checkFaults(rs []*FaultRecord) Invariant {
	iv := Invariant{Name: "every fault injected and undone"}
	for _, r := range rs {
		if r.Error != "" {
			iv.fail("%s at %.1fs: %s", r.Kind, r.Start, r.Error)
		}
	}
	return iv.close(fmt.Sprintf("%d faults", len(rs)))
}

// Leaks are the differences between the first and the last quiet point
// of the daemon's last life.
type Leaks struct {
	From       string `json:"from,omitempty"`
	To         string `json:"to,omitempty"`
	Goroutines int    `json:"goroutines"`
	// Mats is the growth of gocv's open Mats; MatsCounted says whether
	// the daemon exported the count (built with -tags matprofile).
	Mats        int  `json:"mats"`
	MatsCounted bool `json:"mats_counted"`
	// FDs is the growth of the descriptors other than the evidence
	// store's pooled connections; Pooled is those at the end.
	FDs    int     `json:"fds"`
	Pooled int     `json:"store_pool_fds"`
	RSSMiB float64 `json:"rss_mib"`
}

// maxPooledFDs bounds the evidence store's descriptors when no session
// runs: SQLite keeps a writer and up to 2 idle readers (database/sql's
// default), each with the database, its WAL and its shared memory file
// open; PostgreSQL at most 4 connections (evidence.Options).
const maxPooledFDs = 3 * 3

// checkLeaks compares the last life's quiet points: the goroutines and
// descriptors must not grow.
func checkLeaks(qs []QuietPoint) (Leaks, Invariant) {
	iv := Invariant{Name: "no goroutine, gocv Mat or file descriptor leaked (quiet points of the daemon's last life)"}
	if len(qs) == 0 {
		iv.fail("no quiet point")
		return Leaks{}, iv.close("")
	}
	lastLife := qs[len(qs)-1].Life
	var life []QuietPoint
	for _, q := range qs {
		if q.Life == lastLife {
			life = append(life, q)
		}
	}
	if len(life) < 2 {
		iv.fail("one quiet point in the daemon's last life: nothing to compare")
		return Leaks{}, iv.close("")
	}
	a, b := life[0], life[len(life)-1]
	l := Leaks{From: a.Name, To: b.Name, Goroutines: b.Goroutines - a.Goroutines, FDs: b.FDs - a.FDs, RSSMiB: b.RSSMiB - a.RSSMiB}
	if a.Goroutines < 0 || b.Goroutines < 0 {
		iv.fail("goroutines not read from the metrics listener")
	}
	if l.Goroutines > 0 {
		iv.fail("goroutines %d at %s, %d at %s", a.Goroutines, a.Name, b.Goroutines, b.Name)
	}
	mats := "Mats not counted (biogated built without -tags matprofile)"
	if l.MatsCounted = a.Mats >= 0 && b.Mats >= 0; l.MatsCounted {
		l.Mats = b.Mats - a.Mats
		mats = fmt.Sprintf("Mats %+d (%d open at the end)", l.Mats, b.Mats)
		if l.Mats > 0 {
			iv.fail("gocv Mats %d at %s, %d at %s", a.Mats, a.Name, b.Mats, b.Name)
		}
	}
	// The evidence store's pooled connections come and go up to their
	// pool's cap; every other descriptor must be back.
	pooled := func(open map[string]int) int {
		n := 0
		for k, v := range open {
			if strings.HasPrefix(k, "evidence.db") || k == "tcp:postgres" {
				n += v
			}
		}
		return n
	}
	l.Pooled = pooled(b.Open)
	l.FDs -= pooled(b.Open) - pooled(a.Open)
	if l.FDs > 0 {
		iv.fail("descriptors %d at %s, %d at %s (%s)", a.FDs, a.Name, b.FDs, b.Name, fdDiff(a.Open, b.Open))
	}
	if l.Pooled > maxPooledFDs {
		iv.fail("the evidence store holds %d descriptors at %s, more than its pools' %d", l.Pooled, b.Name, maxPooledFDs)
	}
	return l, iv.close(fmt.Sprintf("quiet points %s → %s: goroutines %+d, %s, descriptors %+d besides the store's pool (%d at the end: %s), RSS %+.1f MiB",
		a.Name, b.Name, l.Goroutines, mats, l.FDs, l.Pooled, fdDiff(a.Open, b.Open), l.RSSMiB))
}

// fdDiff names the descriptors that differ between two quiet points.
func fdDiff(a, b map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if d := b[k] - a[k]; d != 0 {
			parts = append(parts, fmt.Sprintf("%+d %s", d, k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			parts = append(parts, fmt.Sprintf("%+d %s", -a[k], k))
		}
	}
	return strings.Join(parts, ", ")
}
