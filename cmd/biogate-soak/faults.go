package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// FaultRecord is one fault as injected: when it began and ended (offsets
// from the run's beginning, seconds) and what happened.
type FaultRecord struct {
	Kind  FaultKind `json:"kind"`
	Start float64   `json:"start_s"`
	End   float64   `json:"end_s"`
	// Detail says what was done: the flags, the downtime, the exit code.
	Detail string `json:"detail,omitempty"`
	// Error is set when the fault could not be carried out as planned.
	Error string `json:"error,omitempty"`
	// Outcomes counts the clients that ended within the fault.
	Outcomes map[string]int `json:"outcomes,omitempty"`

	start, end time.Time
}

// runSchedule carries out the schedule's events in order, each at its
// time or as soon as the one before ended; probes run beside it. It stops
// starting events when run ends, but finishes the one under way (a fault
// is always undone: the emulator and PostgreSQL serve again, the daemon
// runs). ctx is the harness's own.
func (h *harness) runSchedule(run, ctx context.Context) {
	var probes sync.WaitGroup
	defer probes.Wait()
	for _, ev := range h.sortedEvents() {
		if err := sleep(run, time.Until(h.begin.Add(ev.at))); err != nil {
			return
		}
		if ev.kind == EventProbe {
			probes.Add(1)
			go func() { defer probes.Done(); h.probe(ctx) }()
			continue
		}
		if ev.kind == EventQuiet {
			h.quietPoint(ctx, fmt.Sprintf("%.0fs", ev.at.Seconds()))
			continue
		}
		h.inject(ctx, ev)
	}
}

// inject carries out one fault and records it.
func (h *harness) inject(ctx context.Context, ev event) {
	r := &FaultRecord{Kind: ev.kind, start: time.Now()}
	r.Start = h.since(r.start)
	h.logf("fault %s begins", ev.kind)
	var err error
	switch ev.kind {
	case FaultIDECLatency, FaultIDEC503, FaultIDECReset, FaultIDECTimeout:
		r.Detail = fmt.Sprintf("emulator restarted with %v for %s", h.emulatorArgs(ev.kind)[9:], ev.dur)
		if err = h.restartEmulator(ctx, ev.kind); err == nil {
			sleep(ctx, ev.dur)
		}
		if e := h.restartEmulator(ctx, ""); err == nil {
			err = e
		}
	case FaultEmulatorKill:
		r.Detail = fmt.Sprintf("SIGKILL, down %s", ev.dur)
		h.emu.kill()
		sleep(ctx, ev.dur)
		err = h.startEmulator(ctx)
	case FaultPostgresRestart:
		r.Detail = fmt.Sprintf("pg_ctl stop -m immediate, down %s", ev.dur)
		if err = h.pg.crash(ctx); err == nil {
			sleep(ctx, ev.dur)
		}
		if e := h.pg.start(ctx); err == nil {
			err = e
		}
	case FaultDaemonTerm:
		h.gw.signal(syscall.SIGTERM)
		code, werr := h.gw.wait(h.prof.DrainGrace + 30*time.Second)
		if werr != nil {
			err = werr
			h.gw.kill()
		}
		h.mu.Lock()
		h.exits = append(h.exits, code)
		h.mu.Unlock()
		r.Detail = fmt.Sprintf("SIGTERM: drained and exited %d after %.1fs; restarted", code, time.Since(r.start).Seconds())
		if e := h.startDaemon(ctx); err == nil {
			err = e
		}
	case FaultDiskFull:
		var n int64
		n, err = fill(filepath.Join(h.data, "filler"))
		r.Detail = fmt.Sprintf("%d MiB written to the data folder's tmpfs until it was full, for %s", n>>20, ev.dur)
		sleep(ctx, ev.dur)
		if e := os.Remove(filepath.Join(h.data, "filler")); err == nil {
			err = e
		}
	case FaultReaderUnplug:
		var plug func() error
		if plug, err = h.reader.unplug(h.gw.pid()); err == nil {
			r.Detail = fmt.Sprintf("the replayed reader's /sys/bus/usb/devices/%s hidden in umockdev's testbed for %s", h.reader.busPath, ev.dur)
			sleep(ctx, ev.dur)
			err = plug()
		}
	case FaultDaemonKill:
		h.gw.kill()
		r.Detail = "SIGKILL; restarted on the same data folder"
		err = h.startDaemon(ctx)
	}
	r.end = time.Now()
	r.End = h.since(r.end)
	if err != nil {
		r.Error = err.Error()
		h.logf("fault %s: %v", ev.kind, err)
	}
	h.logf("fault %s ends (%s)", ev.kind, r.Detail)
	h.mu.Lock()
	h.faults = append(h.faults, r)
	h.mu.Unlock()
}

// fill writes zeros to path until the volume is full (ENOSPC) and
// returns how many bytes it wrote.
func fill(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if n > 4<<30 {
			return n, errors.New("4 GiB written and not full: is the data folder on the tmpfs?")
		}
	}
}

// mountTmpfs mounts a tmpfs of size MiB on dir (made if absent).
func mountTmpfs(dir string, size int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w: %s", dir, err, out)
	}
	return nil
}

// unmount unmounts dir, lazily if it is busy.
func unmount(dir string) {
	if exec.Command("umount", dir).Run() != nil {
		exec.Command("umount", "-l", dir).Run()
	}
}

// faultWindows returns the records of the kinds given.
func (h *harness) faultWindows(kinds ...FaultKind) []*FaultRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*FaultRecord
	for _, r := range h.faults {
		for _, k := range kinds {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}
