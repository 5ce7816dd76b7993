package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// child is a process the harness runs: in a process group of its own, so
// a signal reaches only it and its children, and killed (SIGKILL) by the
// kernel when the harness dies (Pdeathsig). Its output is appended to a
// log file. Start may be called again after the process ended (a
// restart). Methods are safe for concurrent use.
type child struct {
	name string
	path string
	// wrapped: path runs the program as its first child (umockdev-run);
	// target is then that child.
	wrapped bool
	log     string // file its stdout and stderr are appended to
	env     []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd ended
	err  error         // its Wait error, once done is closed
}

// start runs the child with args. It fails if it is running.
func (c *child) start(args ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		select {
		case <-c.done:
		default:
			return fmt.Errorf("%s is already running", c.name)
		}
	}
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- soak: %s start %s %q\n", time.Now().UTC().Format(time.RFC3339Nano), c.name, args)
	cmd := exec.Command(c.path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("%s: %w", c.name, err)
	}
	done := make(chan struct{})
	c.cmd, c.done = cmd, done
	go func() {
		err := cmd.Wait()
		logf.Close()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

// pid returns the running process's id, or 0.
func (c *child) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.exited() {
		return 0
	}
	return c.cmd.Process.Pid
}

// exited reports whether the last process ended; c.mu is held.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// target returns the process the child is about: pid, or the program a
// wrapper runs (0 when none runs).
func (c *child) target() int {
	pid := c.pid()
	if pid == 0 || !c.wrapped {
		return pid
	}
	kid, err := firstChild(pid)
	if err != nil {
		return 0
	}
	return kid
}

// running reports whether the process runs.
func (c *child) running() bool { return c.pid() != 0 }

// signal sends sig to the child's process group.
func (c *child) signal(sig syscall.Signal) error {
	pid := c.pid()
	if pid == 0 {
		return fmt.Errorf("%s is not running", c.name)
	}
	return syscall.Kill(-pid, sig)
}

// wait waits up to d for the process to end and returns its exit code
// (-1: killed by a signal).
func (c *child) wait(d time.Duration) (int, error) {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return 0, fmt.Errorf("%s never started", c.name)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return 0, fmt.Errorf("%s did not exit within %s", c.name, d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case c.err == nil:
		return 0, nil
	case errors.As(c.err, &ee):
		return ee.ExitCode(), nil
	}
	return 0, c.err
}

// stop sends SIGTERM, waits up to grace, then SIGKILL; it returns the exit
// code after SIGTERM (-1 when it had to be killed or was not running).
func (c *child) stop(grace time.Duration) int {
	if !c.running() {
		return -1
	}
	c.signal(syscall.SIGTERM)
	if code, err := c.wait(grace); err == nil {
		return code
	}
	c.signal(syscall.SIGKILL)
	c.wait(10 * time.Second)
	return -1
}

// kill sends SIGKILL and waits for the end.
func (c *child) kill() {
	if c.running() {
		c.signal(syscall.SIGKILL)
		c.wait(10 * time.Second)
	}
}

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections, the child ends or d passes.
func waitTCP(ctx context.Context, c *child, addr string, d time.Duration) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !c.running() {
			return fmt.Errorf("%s exited before listening (see %s)", c.name, c.log)
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s did not listen on %s within %s", c.name, addr, d)
}

// waitHTTP waits until url answers 200, the child ends or d passes.
func waitHTTP(ctx context.Context, c *child, url string, d time.Duration) error {
	cl := &http.Client{Timeout: time.Second}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !c.running() {
			return fmt.Errorf("%s exited before it was ready (see %s)", c.name, c.log)
		}
		if resp, err := cl.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s not ready at %s within %s", c.name, url, d)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pgServer is the throwaway PostgreSQL server hack/pg.sh started in dir,
// stopped and started again by the postgres_restart fault.
type pgServer struct {
	dir    string
	bin    string // /usr/lib/postgresql/VERSION/bin
	asUser bool   // run pg_ctl as the postgres user (the harness runs as root)
}

// newPGServer finds the newest PostgreSQL binaries, as hack/pg.sh does.
func newPGServer(dir string) (*pgServer, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(dirs) == 0 {
		return nil, errors.New("no /usr/lib/postgresql/*/bin/pg_ctl")
	}
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(p))), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err != nil {
		return nil, fmt.Errorf("--pg-dir %s: no running server (%w)", dir, err)
	}
	return &pgServer{dir: dir, bin: filepath.Dir(dirs[0]), asUser: os.Geteuid() == 0}, nil
}

func (p *pgServer) ctl(ctx context.Context, args ...string) error {
	path := filepath.Join(p.bin, "pg_ctl")
	args = append([]string{"-D", filepath.Join(p.dir, "data")}, args...)
	var cmd *exec.Cmd
	if p.asUser {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %v: %w: %s", args[2:], err, out)
	}
	return nil
}

// crash stops the server at once, as a crash would (no checkpoint).
func (p *pgServer) crash(ctx context.Context) error { return p.ctl(ctx, "-m", "immediate", "stop") }

// start starts it again with the options it last ran with (pg_ctl
// restart reads them from postmaster.opts), and waits until it accepts
// connections. It tries a few times: hack/pg.sh's port lies in the
// ephemeral range, so while the server is down an outgoing connection may
// hold it for a while.
func (p *pgServer) start(ctx context.Context) error {
	var err error
	for attempt := range 6 {
		if attempt > 0 {
			if sleep(ctx, 5*time.Second) != nil {
				break
			}
		}
		if err = p.ctl(ctx, "-l", filepath.Join(p.dir, "log"), "-w", "-t", "60", "restart"); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w; the server's log ends: %s", err, tail(filepath.Join(p.dir, "log"), 600))
}

// tail returns the last n bytes of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, 0)
	}
	b := make([]byte, n)
	k, _ := f.Read(b)
	return string(b[:k])
}
