package main

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		s    Session
		want string
	}{
		{Session{Result: &protocol.Result{Decision: protocol.DecisionMatch}}, "result/match"},
		{Session{Result: &protocol.Result{Decision: protocol.DecisionError, Reasons: []string{"idec_timeout"}}, Fatal: "idec_timeout"}, "result/error:idec_timeout"},
		{Session{Fatal: "locked_out", CloseCode: 1008}, "refused/locked_out"},
		{Session{Aborted: true, CloseCode: 1001}, "aborted"},
		{Session{HTTPStatus: 401, HTTPCode: "unauthorized"}, "http/401"},
		{Session{DialError: "connection refused"}, "unavailable"},
		{Session{Vanished: true}, "vanished"},
		{Session{Errors: []string{"invalid_iin"}, Done: "cancelled", CloseCode: 1000}, "rejected/invalid_iin"},
		{Session{CloseCode: 1009}, "closed/1009"},
		{Session{CloseCode: 1006}, "cut"},
		{Session{}, "cut"},
		{Session{Hung: true, Result: &protocol.Result{Decision: protocol.DecisionMatch}}, "hung"},
	} {
		if got := classify(&c.s); got != c.want {
			t.Errorf("classify(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestDocumented(t *testing.T) {
	base := time.Now()
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	kill := &FaultRecord{Kind: FaultDaemonKill, start: at(10), end: at(11)}
	term := &FaultRecord{Kind: FaultDaemonTerm, start: at(20), end: at(25)}
	pg := &FaultRecord{Kind: FaultPostgresRestart, start: at(40), end: at(43)}
	unplug := &FaultRecord{Kind: FaultReaderUnplug, start: at(60), end: at(65)}
	w := windows{daemonDown: []*FaultRecord{kill, term}, drains: []*FaultRecord{term}, kills: []*FaultRecord{kill},
		store: []*FaultRecord{pg}, unplugged: []*FaultRecord{unplug}}
	for _, c := range []struct {
		kind    Kind
		outcome string
		start   float64
		end     float64
		want    bool
	}{
		{KindGenuine, "result/match", 0, 5, true},
		{KindGenuine, "aborted", 20, 30, true},
		{KindGenuine, "cut", 5, 10.5, true},        // the daemon was killed
		{KindGenuine, "cut", 30, 35, false},        // nothing explains it
		{KindGenuine, "hung", 0, 150, false},       // never documented
		{KindGenuine, "unavailable", 21, 21, true}, // restarting
		{KindGenuine, "unavailable", 50, 50, false},
		{KindGenuine, "http/503", 22, 22, true},
		{KindBadIIN, "rejected/invalid_iin", 0, 1, true},
		{KindGenuine, "rejected/invalid_iin", 0, 1, false},
		{KindOversized, "closed/1009", 0, 1, true},
		{KindAttack, "closed/1009", 0, 1, false},
		{KindAttack, "refused/evidence_unavailable", 41, 41, true},
		{KindAttack, "refused/evidence_unavailable", 70, 70, false},
		{KindVanish, "vanished", 0, 3, true},
		{KindGenuine, "vanished", 0, 3, false},
		{KindFinger, "result/match", 0, 1, true},
		{KindFinger, "result/error:reader_unavailable", 61, 61.5, true},  // unplugged
		{KindFinger, "result/error:reader_unavailable", 30, 30.5, false}, // plugged in: busy, a bug
		{KindFingerImpostor, "result/no_match", 30, 31, true},
	} {
		s := &Session{Kind: c.kind, Outcome: c.outcome, Start: at(c.start), End: at(c.end), Hung: c.outcome == "hung"}
		if ok, why := documented(s, w); ok != c.want {
			t.Errorf("%s %s at %g-%g: documented %v (%s), want %v", c.kind, c.outcome, c.start, c.end, ok, why, c.want)
		}
	}
}

func TestCheckLockout(t *testing.T) {
	base := time.Now()
	seq := func(ss ...Session) []*Session {
		out := make([]*Session, len(ss))
		for i := range ss {
			s := ss[i]
			s.N, s.IIN, s.Start = i+1, "900101300011", base.Add(time.Duration(i)*time.Second)
			if s.Outcome == "" {
				s.Outcome = classify(&s)
			}
			out[i] = &s
		}
		return out
	}
	spoof := Session{Kind: KindAttack, Accepted: true, Failures: 1, Attempts: 1, Result: &protocol.Result{Decision: protocol.DecisionSpoof}}
	locked := Session{Kind: KindAttack, Fatal: "locked_out"}
	for _, c := range []struct {
		name string
		ss   []*Session
		want int
	}{
		{"three spoofs then locked", seq(spoof, spoof, spoof, locked), 0},
		{"accepted after three", seq(spoof, spoof, spoof, spoof), 1},
		{"locked after two", seq(spoof, spoof, locked), 1},
		{"locked after two and a cut", seq(spoof, spoof, Session{Kind: KindAttack, Accepted: true, Outcome: "cut"}, locked), 0},
		{"more attempts than left", seq(spoof, spoof, Session{Kind: KindAttack, Accepted: true, Attempts: 2, Failures: 2}), 1},
	} {
		if iv := checkLockout(c.ss, 3); iv.Count != c.want {
			t.Errorf("%s: %d violations %v, want %d", c.name, iv.Count, iv.Violations, c.want)
		}
	}
}

func TestCheckOnePerIIN(t *testing.T) {
	base := time.Now()
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	one := []*Session{{Accepted: true, AcceptedAt: at(0), End: at(10)}, {Fatal: "iin_in_session", End: at(0)}, {Fatal: "iin_in_session", End: at(0)}}
	two := []*Session{{Accepted: true, AcceptedAt: at(0), End: at(10)}, {Accepted: true, AcceptedAt: at(1), End: at(9)}, {Fatal: "iin_in_session"}}
	after := []*Session{{Accepted: true, AcceptedAt: at(0), End: at(1)}, {Accepted: true, AcceptedAt: at(2), End: at(9)}}
	if iv := checkOnePerIIN([][]*Session{one, after}); !iv.Passed {
		t.Errorf("one accepted, or one after the other: %v", iv.Violations)
	}
	if iv := checkOnePerIIN([][]*Session{two}); iv.Passed {
		t.Error("two accepted at once passed")
	}
}

func TestCheckLeaks(t *testing.T) {
	q := func(name string, life, g int, open map[string]int) QuietPoint {
		n := 0
		for _, v := range open {
			n += v
		}
		return QuietPoint{Name: name, Sample: Sample{Life: life, Goroutines: g, FDs: n}, Open: open}
	}
	first := q("a", 2, 14, map[string]int{"tcp:listen": 2, "evidence.db": 2, "pipe": 2})
	// The store's pool grew: not a leak.
	_, iv := checkLeaks([]QuietPoint{q("x", 1, 99, nil), first, q("b", 2, 14, map[string]int{"tcp:listen": 2, "evidence.db": 4, "evidence.db-wal": 2, "pipe": 2})})
	if !iv.Passed {
		t.Errorf("pool growth: %v", iv.Violations)
	}
	_, iv = checkLeaks([]QuietPoint{first, q("b", 2, 14, map[string]int{"tcp:listen": 2, "evidence.db": 2, "pipe": 2, "tcp:idec": 1})})
	if iv.Passed {
		t.Error("a socket more passed")
	}
	_, iv = checkLeaks([]QuietPoint{first, q("b", 2, 15, first.Open)})
	if iv.Passed {
		t.Error("a goroutine more passed")
	}
	_, iv = checkLeaks([]QuietPoint{q("x", 1, 14, nil), first})
	if iv.Passed {
		t.Error("one quiet point in the last life passed")
	}
	moreMats := q("b", 2, 14, first.Open)
	moreMats.Mats = 3
	if l, iv := checkLeaks([]QuietPoint{first, moreMats}); iv.Passed || l.Mats != 3 {
		t.Errorf("three Mats more: passed %v, leaks %+v", iv.Passed, l)
	}
	uncounted := []QuietPoint{first, q("b", 2, 14, first.Open)}
	uncounted[0].Mats, uncounted[1].Mats = -1, -1
	if l, iv := checkLeaks(uncounted); !iv.Passed || l.MatsCounted {
		t.Errorf("Mats not exported: passed %v (%v), leaks %+v", iv.Passed, iv.Violations, l)
	}
}

func TestSlope(t *testing.T) {
	var ss []Sample
	for i := range 10 {
		ss = append(ss, Sample{At: float64(i * 60), RSSMiB: 100 + float64(i)}) // 1 MiB a minute
	}
	if b, ok := slope(ss); !ok || b < 59.99 || b > 60.01 {
		t.Errorf("slope = %g, %v; want 60 MiB/h", b, ok)
	}
	if _, ok := slope(ss[:2]); ok {
		t.Error("slope of 2 samples")
	}
}

func TestParseMetrics(t *testing.T) {
	page := "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 17\nbiogate_gateway_sessions_active 2\nfoo{a=\"b\"} 3\n"
	m, err := parseMetrics(bufio.NewScanner(strings.NewReader(page)))
	if err != nil || m["go_goroutines"] != 17 || m["biogate_gateway_sessions_active"] != 2 || len(m) != 2 {
		t.Errorf("parseMetrics = %v, %v", m, err)
	}
}

func TestIINs(t *testing.T) {
	src := newIINSource(12345)
	seen := map[string]bool{}
	for range 500 {
		id := src.next()
		if _, err := iin.Parse(id); err != nil || seen[id] {
			t.Fatalf("%s: %v, seen %v", id, err, seen[id])
		}
		seen[id] = true
		if _, err := iin.Parse(invalidIIN(id)); err == nil {
			t.Fatalf("invalidIIN(%s) = %s is valid", id, invalidIIN(id))
		}
	}
}

func TestPool(t *testing.T) {
	p := newPool("x", []string{"a", "b"})
	now := time.Now()
	a, _ := p.take(now)
	b, _ := p.take(now)
	if a == b {
		t.Fatalf("lent %s twice", a)
	}
	if _, ok := p.take(now); ok {
		t.Fatal("lent an IIN while both are out")
	}
	p.give(a, now.Add(time.Minute))
	if _, ok := p.take(now); ok {
		t.Fatal("lent an IIN resting")
	}
	if id, ok := p.take(now.Add(2 * time.Minute)); !ok || id != a {
		t.Fatalf("after its rest: %q, %v; want %q", id, ok, a)
	}
}

func TestSchedule(t *testing.T) {
	for _, c := range []struct {
		d                                 time.Duration
		short, postgres, diskFull, reader bool
	}{{50 * time.Second, true, false, true, true}, {50 * time.Second, true, true, false, false},
		{570 * time.Second, false, true, false, true}, {570 * time.Second, false, false, false, false}} {
		ev := schedule(c.d, c.short, c.postgres, c.diskFull, c.reader)
		kinds := map[FaultKind]int{}
		for _, e := range ev {
			kinds[e.kind]++
			if e.at+e.dur > c.d {
				t.Errorf("%s: %s at %s for %s ends after the run", c.d, e.kind, e.at, e.dur)
			}
		}
		for _, k := range []FaultKind{FaultDaemonTerm, FaultIDECLatency, FaultIDEC503, FaultIDECReset, FaultIDECTimeout, FaultEmulatorKill, EventQuiet, EventProbe} {
			if kinds[k] == 0 {
				t.Errorf("%s: no %s", c.d, k)
			}
		}
		if kinds[FaultDaemonKill] != 1 {
			t.Errorf("%s: %d daemon SIGKILLs, want 1", c.d, kinds[FaultDaemonKill])
		}
		if (kinds[FaultPostgresRestart] > 0) != c.postgres {
			t.Errorf("%s: postgres %v, %d restarts", c.d, c.postgres, kinds[FaultPostgresRestart])
		}
		if (kinds[FaultDiskFull] > 0) != c.diskFull {
			t.Errorf("%s: disk full %v, %d fills", c.d, c.diskFull, kinds[FaultDiskFull])
		}
		if (kinds[FaultReaderUnplug] > 0) != c.reader {
			t.Errorf("%s: reader %v, %d unplugs", c.d, c.reader, kinds[FaultReaderUnplug])
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Bin: "b", Work: "w", Store: "sqlite"}
	if err := ok.validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{Work: "w", Store: "sqlite"},
		{Bin: "b", Work: "w", Store: "mysql"},
		{Bin: "b", Work: "w", Store: "postgres"},
		{Bin: "b", Work: "w", Store: "postgres", Evidence: "postgres://u@db.example.com/x", PGDir: "d"},
		{Bin: "b", Work: "w", Store: "sqlite", Duration: time.Hour},
		{Bin: "b", Work: "w", Store: "sqlite", Concurrency: 100},
	} {
		if err := c.validate(); err == nil {
			t.Errorf("%+v: valid", c)
		}
	}
	pg := Config{Bin: "b", Work: "w", Store: "postgres", Evidence: "postgres://u@127.0.0.1:5432/x", PGDir: "d"}
	if err := pg.validate(); err != nil {
		t.Errorf("loopback postgres: %v", err)
	}
}
