// Package pgtest gives tests a real PostgreSQL database: DSN creates a fresh
// database (one per call, unique name) on a throwaway server.
//
// The server is $BIOGATE_TEST_POSTGRES when set (a DSN to an admin database
// of a server the caller runs, as hack/test.sh does with hack/pg.sh so a
// whole run pays initdb once). Otherwise the first call to DSN starts one for
// the test binary with the newest /usr/lib/postgresql/*/bin: initdb in a temp
// folder, listening only on 127.0.0.1 on a free port, its unix socket in the
// same folder, fsync off. As root it runs as the postgres user (initdb
// refuses root). Main stops it after the tests (pg_ctl stop -m immediate) and
// removes the folder; a watchdog process does the same if the test binary
// dies without getting there.
//
// When the PostgreSQL binaries are missing, DSN fails the test under CI=true
// (a skip would hide a broken setup) and skips it elsewhere.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding an admin DSN of a server to
// use instead of starting one.
const EnvDSN = "BIOGATE_TEST_POSTGRES"

var (
	once     sync.Once
	admin    string // admin DSN, "" when unavailable
	startErr error
	srv      *server
	counter  atomic.Int64
)

// Main runs the tests of m, stops the server the tests started (if any) and
// exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the server the tests started, if any. For a TestMain that
// does more than Main after the tests.
func Stop() {
	if srv != nil {
		srv.stop()
	}
}

// DSN returns the DSN of a new, empty database on the test server, dropped
// when the test ends (close your connections first: cleanups run last in,
// first out, so register the store's Close after calling DSN). It fails or
// skips t when no server can be had (see the package comment).
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if v := os.Getenv(EnvDSN); v != "" {
			admin = v
			return
		}
		srv, startErr = start()
		if srv != nil {
			admin = srv.dsn
		}
	})
	if admin == "" {
		msg := fmt.Sprintf("PostgreSQL unavailable: %v; install postgresql (hack/install-deps.sh) or set %s", startErr, EnvDSN)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return ""
	}
	name := fmt.Sprintf("biogate_test_%d_%d_%s", os.Getpid(), counter.Add(1), randHex(4))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to the admin database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", EnvDSN)
	}
	u.Path = "/" + name
	return u.String()
}

// server is a PostgreSQL server started for this test binary.
type server struct {
	dir, bin, dsn string
	asPostgres    bool
	watchdog      *exec.Cmd
}

// start runs initdb and pg_ctl start in a new temp folder.
func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "biogate-pg-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, bin: bin, asPostgres: os.Geteuid() == 0}
	if s.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs a postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := s.cmd("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
		out, err := s.cmd("pg_ctl", "-D", s.data(), "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			s.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			break
		}
		if attempt == 2 { // the free port may have been taken in between; else give up
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %v: %s%s", err, out, log)
		}
	}
	s.startWatchdog()
	return s, nil
}

func (s *server) data() string { return filepath.Join(s.dir, "data") }

// cmd runs one of the server's binaries, as the postgres user when root.
func (s *server) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// stopScript stops the server and removes its folder.
func (s *server) stopScript() string {
	stop := fmt.Sprintf("%q -D %q -m immediate stop", filepath.Join(s.bin, "pg_ctl"), s.data())
	if s.asPostgres {
		stop = "runuser -u postgres -- " + stop
	}
	return stop + " >/dev/null 2>&1; rm -rf " + strconv.Quote(s.dir)
}

// startWatchdog starts a shell that waits for this process to end and then
// stops the server: the safety net for a test binary that panicked or was
// killed before Main could stop it.
func (s *server) startWatchdog() {
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; %s", os.Getpid(), s.stopScript())
	w := exec.Command("sh", "-c", script)
	if err := w.Start(); err == nil {
		s.watchdog = w
	}
}

// stop stops the server, removes its folder and ends the watchdog.
func (s *server) stop() {
	exec.Command("sh", "-c", s.stopScript()).Run()
	if s.watchdog != nil {
		s.watchdog.Process.Kill()
		s.watchdog.Wait()
	}
}

// binDir returns the newest /usr/lib/postgresql/VERSION/bin with initdb.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/initdb")
	}
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(p))), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	return filepath.Dir(dirs[0]), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
