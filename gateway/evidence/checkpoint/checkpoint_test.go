package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

func keyring(t *testing.T) (*document.Keyring, document.KeySet) {
	t.Helper()
	k, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "keys")})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := k.Keys()
	if err != nil {
		t.Fatal(err)
	}
	return k, ks
}

var hashA, hashB = strings.Repeat("a", 64), strings.Repeat("b", 64)

func TestSignVerify(t *testing.T) {
	k, keys := keyring(t)
	_, otherKeys := keyring(t)
	at := time.Now().Truncate(time.Second)
	jws, err := Sign(k, Checkpoint{Seq: 7, Hash: hashA, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(jws, keys, time.Now())
	if err != nil || c.Seq != 7 || c.Hash != hashA || !c.Time.Equal(at) {
		t.Fatalf("Verify: %+v, %v", c, err)
	}
	if _, err := Verify(jws, otherKeys, time.Now()); !errors.Is(err, ErrInvalid) || !errors.Is(err, document.ErrUnknownKey) {
		t.Errorf("another gateway's keys: %v", err)
	}
	// One changed character of the payload breaks the signature.
	parts := strings.Split(jws, ".")
	p := []byte(parts[1])
	p[10] ^= 1
	if _, err := Verify(parts[0]+"."+string(p)+"."+parts[2], keys, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("altered payload: %v", err)
	}
	// A result document signed by the same key is no checkpoint, and a
	// checkpoint is no result document.
	d := document.New("session-1", time.Now())
	d.Decision = document.DecisionRefused
	d.Organization.BIN, d.Subject.IIN = "000000000000", "790303402568"
	d.Consent = document.Consent{TextID: "c", TextSHA256: hashA, AcceptedAt: time.Now()}
	d.ClientNonce = "nonce-of-the-test-0001"
	d.Liveness = document.Liveness{Random: true}
	d.Gateway = document.Gateway{ID: "gw", Version: "test"}
	d.Device = document.Device{Mode: document.ModeRelay}
	doc, err := document.Sign(k, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(doc, keys, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("a result document read as a checkpoint: %v", err)
	}
	if _, err := document.Verify(jws, keys, time.Now()); !errors.Is(err, document.ErrMalformed) {
		t.Errorf("a checkpoint read as a result document: %v", err)
	}
}

func TestRead(t *testing.T) {
	k, keys := keyring(t)
	other, _ := keyring(t)
	now := time.Now()
	sign := func(s document.Signer, seq int64, hash string) string {
		jws, err := Sign(s, Checkpoint{Seq: seq, Hash: hash, Time: now})
		if err != nil {
			t.Fatal(err)
		}
		return jws
	}
	// Out of order (concurrent appends), repeated, blank lines, and a
	// syslog prefix: read as a set by position.
	file := sign(k, 2, hashB) + "\n\n" + sign(k, 1, hashA) + "\n" +
		"Dec  6 01:00:00 host biogate-checkpoint[12]: " + sign(k, 3, hashA) + "\n" + sign(k, 2, hashB) + "\n"
	s, err := Read(strings.NewReader(file), keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 {
		t.Fatalf("%d checkpoints, want 3: %+v", len(s), s)
	}
	if c, ok := s.At(2); !ok || c.Hash != hashB {
		t.Errorf("At(2): %+v %v", c, ok)
	}
	if _, ok := s.At(4); ok {
		t.Error("At(4) found")
	}
	if c, ok := s.Latest(); !ok || c.Seq != 3 {
		t.Errorf("Latest: %+v %v", c, ok)
	}
	if _, ok := Set(nil).Latest(); ok {
		t.Error("Latest of nothing")
	}
	// A forged line, a damaged line, a fork.
	for name, tc := range map[string]struct {
		file string
		want error
		line string
	}{
		"other key": {sign(k, 1, hashA) + "\n" + sign(other, 2, hashA) + "\n", ErrInvalid, "line 2"},
		"damaged":   {sign(k, 1, hashA)[:40] + "\n", ErrInvalid, "line 1"},
		"fork":      {sign(k, 2, hashA) + "\n" + sign(k, 2, hashB) + "\n", ErrFork, "document 2"},
	} {
		_, err := Read(strings.NewReader(tc.file), keys, now)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.line) {
			t.Errorf("%s: %v, want %v at %s", name, err, tc.want, tc.line)
		}
	}
}

// udpSyslog is a syslog server on loopback that hands over each message.
func udpSyslog(t *testing.T) (string, <-chan string) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	msgs := make(chan string, 16)
	go func() {
		buf := make([]byte, 8192)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return pc.LocalAddr().String(), msgs
}

// The store appends, then checkpoints its new head to the file and the
// witness; a checkpoint that cannot be written leaves the append standing.
func TestStore(t *testing.T) {
	k, keys := keyring(t)
	dir := t.TempDir()
	s, err := evidence.Open(context.Background(), "sqlite:"+filepath.Join(dir, "evidence.db"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr, msgs := udpSyslog(t)
	w, err := DialSyslog("udp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	path := filepath.Join(dir, "evidence-checkpoints.jsonl")
	log, err := OpenLog(path, k, w)
	if err != nil {
		t.Fatal(err)
	}
	var failed []error
	cs := NewStore(s, log, func(err error) { failed = append(failed, err) })
	var last evidence.Entry
	for i := range 3 {
		last, err = cs.Append(context.Background(), func(string) (evidence.Record, error) {
			return evidence.Record{ID: "doc-" + string(rune('a'+i)), Time: time.Now(), Decision: "refused", Document: []byte("x")}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Read(bytes.NewReader(b), keys, time.Now())
	if err != nil || len(set) != 3 {
		t.Fatalf("file: %d checkpoints, %v", len(set), err)
	}
	if c, _ := set.Latest(); c.Seq != 3 || c.Hash != last.Hash {
		t.Errorf("latest checkpoint %+v, last entry %+v", c, last)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint file mode %v", st.Mode())
	}
	// The witness got the same lines, readable as checkpoints.
	var witnessed strings.Builder
	for range 3 {
		select {
		case m := <-msgs:
			if !strings.Contains(m, "biogate-checkpoint") {
				t.Errorf("syslog message without the tag: %q", m)
			}
			witnessed.WriteString(m + "\n")
		case <-time.After(5 * time.Second):
			t.Fatal("the witness got fewer than 3 checkpoints")
		}
	}
	if ws, err := Read(strings.NewReader(witnessed.String()), keys, time.Now()); err != nil || len(ws) != 3 {
		t.Errorf("witnessed: %d checkpoints, %v", len(ws), err)
	}
	// A closed log: the append stands, the error is reported.
	log.Close()
	if _, err := cs.Append(context.Background(), func(string) (evidence.Record, error) {
		return evidence.Record{ID: "doc-z", Time: time.Now(), Decision: "refused", Document: []byte("x")}, nil
	}); err != nil || len(failed) != 1 {
		t.Errorf("append with a closed log: %v, reported %v", err, failed)
	}
	if _, err := DialSyslog("http://example"); err == nil {
		t.Error("DialSyslog accepted http://")
	}
}

// BenchmarkWrite is what a checkpoint adds to each append: a signature and
// one line appended to the file.
func BenchmarkWrite(b *testing.B) {
	k, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(b.TempDir(), "keys")})
	if err != nil {
		b.Fatal(err)
	}
	log, err := OpenLog(filepath.Join(b.TempDir(), "evidence-checkpoints.jsonl"), k, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	for i := 0; b.Loop(); i++ {
		if err := log.Write(int64(i+1), hashA); err != nil {
			b.Fatal(err)
		}
	}
}

// Tail reads only the end of a long file, whose first line there is cut.
func TestTail(t *testing.T) {
	k, keys := keyring(t)
	path := filepath.Join(t.TempDir(), "evidence-checkpoints.jsonl")
	if _, ok, err := Tail(path, keys, time.Now()); ok || err != nil {
		t.Errorf("missing file: %v, %v", ok, err)
	}
	log, err := OpenLog(path, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 { // about 22 KB
		if err := log.Write(int64(i+1), hashA); err != nil {
			t.Fatal(err)
		}
	}
	log.Close()
	if st, _ := os.Stat(path); st.Size() <= tailSize {
		t.Fatalf("file of %d bytes: not longer than the tail", st.Size())
	}
	if c, ok, err := Tail(path, keys, time.Now()); !ok || err != nil || c.Seq != 50 {
		t.Errorf("Tail: %+v, %v, %v; want seq 50", c, ok, err)
	}
}

// BenchmarkRead is what verify spends on each checkpoint: its signature
// checked, its position kept.
func BenchmarkRead(b *testing.B) {
	k, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(b.TempDir(), "keys")})
	if err != nil {
		b.Fatal(err)
	}
	keys, err := k.Keys()
	if err != nil {
		b.Fatal(err)
	}
	var file strings.Builder
	for i := range 1000 {
		jws, err := Sign(k, Checkpoint{Seq: int64(i + 1), Hash: hashA, Time: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		file.WriteString(jws + "\n")
	}
	b.ReportMetric(1000, "checkpoints/op")
	for b.Loop() {
		if s, err := Read(strings.NewReader(file.String()), keys, time.Now()); err != nil || len(s) != 1000 {
			b.Fatal(len(s), err)
		}
	}
}

// The HTTP witness posts each line from its own goroutine; while the
// witness is stuck its queue keeps the newest lines, drops the oldest and
// counts them, and an append never waits.
func TestHTTPWitness(t *testing.T) {
	got := make(chan string, 16)
	stuck, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/jose" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		if string(b) == "line-1\n" {
			once.Do(func() { close(stuck) })
			<-release
		}
		got <- strings.TrimSpace(string(b))
	}))
	defer srv.Close()
	var events []error
	var mu sync.Mutex
	w := NewHTTPWitness(srv.URL, 2, func(err error) { mu.Lock(); events = append(events, err); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	w.Witness("line-1")
	<-stuck // the witness holds line-1; the queue (2) takes the next
	start := time.Now()
	for i := 2; i <= 5; i++ {
		if err := w.Witness("line-" + strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("queueing while the witness is stuck took %v", d)
	}
	close(release)
	var lines []string
	for range 3 {
		select {
		case l := <-got:
			lines = append(lines, l)
		case <-time.After(5 * time.Second):
			t.Fatalf("the witness got %v", lines)
		}
	}
	if want := []string{"line-1", "line-4", "line-5"}; !slices.Equal(lines, want) {
		t.Errorf("witnessed %v, want %v (the oldest queued dropped)", lines, want)
	}
	for deadline := time.Now().Add(5 * time.Second); w.Stats().Sent < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st := w.Stats(); st != (HTTPStats{Sent: 3, Dropped: 2}) {
		t.Errorf("stats %+v", st)
	}

	// A witness that refuses: failing is reported once, and its end.
	refuse := true
	var rmu sync.Mutex
	bad := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rmu.Lock()
		defer rmu.Unlock()
		if refuse {
			http.Error(rw, "no", http.StatusServiceUnavailable)
		}
	}))
	defer bad.Close()
	events = nil
	w2 := NewHTTPWitness(bad.URL, 8, func(err error) { mu.Lock(); events = append(events, err); mu.Unlock() })
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { defer close(done2); w2.Run(ctx2) }()
	defer func() { cancel2(); <-done2 }()
	wait := func(sent, failed uint64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if st := w2.Stats(); st.Sent == sent && st.Failed == failed {
				return
			}
		}
		t.Fatalf("stats %+v, want %d sent %d failed", w2.Stats(), sent, failed)
	}
	w2.Witness("a")
	w2.Witness("b")
	wait(0, 2)
	rmu.Lock()
	refuse = false
	rmu.Unlock()
	w2.Witness("c")
	wait(1, 2)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] == nil || !strings.Contains(events[0].Error(), "503") || events[1] != nil {
		t.Errorf("events %v: want one failure (503), then recovery", events)
	}
}

// A file whose last line was torn (the process killed, or the disk full,
// mid-write) is cut back to its last whole line when opened, so the next
// checkpoint starts a line of its own and the file reads whole; before,
// the next line glued onto the torn one and verification failed on it.
func TestOpenLogCutsATornLine(t *testing.T) {
	k, keys := keyring(t)
	path := filepath.Join(t.TempDir(), "evidence-checkpoints.jsonl")
	log, err := OpenLog(path, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Write(1, hashA); err != nil {
		t.Fatal(err)
	}
	log.Close()
	whole, _ := os.ReadFile(path)
	jws, _ := Sign(k, Checkpoint{Seq: 2, Hash: hashA, Time: time.Now()})
	torn := append(slices.Clone(whole), jws[:len(jws)/2]...)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	if log, err = OpenLog(path, k, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, whole) {
		t.Fatalf("after open: %d bytes, want the %d of the whole lines", len(got), len(whole))
	}
	if err := log.Write(2, hashA); err != nil {
		t.Fatal(err)
	}
	log.Close()
	f, _ := os.Open(path)
	defer f.Close()
	if s, err := Read(f, keys, time.Now()); err != nil || len(s) != 2 {
		t.Errorf("Read: %d checkpoints, %v; want 2", len(s), err)
	}
	// A file that is all torn line (no newline at all) is emptied; an
	// empty or whole file is left alone.
	os.WriteFile(path, []byte(jws[:40]), 0o600)
	if log, err = OpenLog(path, k, nil); err != nil {
		t.Fatal(err)
	}
	log.Close()
	if st, _ := os.Stat(path); st.Size() != 0 {
		t.Errorf("a file of one torn line: %d bytes left", st.Size())
	}
}
