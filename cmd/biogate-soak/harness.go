package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/biogate/biogate/internal/loopback"
	"github.com/biogate/biogate/outcome"
)

// harness is one run: the children, the pools, what the clients saw and
// what the schedule did.
type harness struct {
	cfg   Config
	prof  Profile
	log   io.Writer
	begin time.Time
	seed  uint64

	clips *clips
	ids   *iinSource
	pools map[Kind]*pool
	// enrolment are the pools' idec-emulator enroll flags after --iin
	// (a reference photo or a finger image); replaced counts the
	// enrolments made mid-run (at most maxReplacements), enrolling those
	// that run.
	enrolment map[Kind][]string
	replaced  atomic.Int64
	enrolling sync.WaitGroup
	emuBin    string
	key       string

	models, gallery, pki, data, evidence string
	emu, gw                              *child
	emuAddr, gwHost, metricsURL          string
	pg                                   *pgServer
	tmpfs                                string     // the data folder, when it is a tmpfs the harness mounted
	reader                               *usbReplay // --usb-replay; nil: no finger sessions

	// gate: each client holds it for reading; a quiet point takes it for
	// writing, so no client starts until the running ones ended.
	gate  sync.RWMutex
	heavy chan struct{} // a slot per heavy client
	kiosk atomic.Bool   // the one camera is in use
	inUse atomic.Bool   // the one fingerprint reader is in use
	n     atomic.Int64  // clients started
	life  atomic.Int64  // the daemon's starts

	mu       sync.Mutex
	rng      *rand.Rand
	sessions []*Session
	probes   [][]*Session
	faults   []*FaultRecord
	exits    []int // the daemon's exit codes after SIGTERM
	quiet    []QuietPoint
	samples  []Sample
}

// logf prints a progress line with the run's clock.
func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "soak: %6.1fs %s\n", h.since(time.Now()), fmt.Sprintf(format, args...))
}

// since is t's offset from the run's beginning, in seconds.
func (h *harness) since(t time.Time) float64 {
	if h.begin.IsZero() {
		return 0
	}
	return t.Sub(h.begin).Seconds()
}

// Run runs the soak cfg describes and returns its report, also when an
// invariant broke (Report.Passed). An error means the run itself could
// not be carried out; the report is then nil or partial.
func Run(ctx context.Context, cfg Config, stderr io.Writer) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, prof: newProfile(cfg), log: stderr, seed: cfg.Seed}
	if h.seed == 0 {
		h.seed = uint64(time.Now().UnixNano())
	}
	h.rng = rand.New(rand.NewPCG(h.seed, 0x50a4))
	h.ids = newIINSource(1 + h.rng.IntN(1_000_000))
	h.heavy = make(chan struct{}, h.prof.Heavy)
	defer func() {
		if h.tmpfs != "" { // after killAll below: last
			// Keep the data folder for a post-mortem: the tmpfs goes.
			if out, err := exec.Command("cp", "-a", h.tmpfs, h.tmpfs+".saved").CombinedOutput(); err != nil {
				h.logf("saving the data folder: %v: %s", err, out)
			}
			unmount(h.tmpfs)
		}
	}()
	defer h.killAll()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	h.begin = time.Now()
	h.logf("%s run: %s, %d clients at once (%d streaming), up to %d clients, store %s, seed %d",
		h.prof.Name, h.prof.Duration, h.prof.Concurrency, h.prof.Heavy, h.prof.Sessions, cfg.Store, h.seed)

	runCtx, stopRun := context.WithTimeout(ctx, h.prof.Duration)
	defer stopRun()
	var bg sync.WaitGroup
	sampleCtx, stopSampling := context.WithCancel(ctx)
	bg.Add(1)
	go func() { defer bg.Done(); h.sample(sampleCtx) }()
	var faults, workers sync.WaitGroup
	faults.Add(1)
	go func() { defer faults.Done(); h.runSchedule(runCtx, ctx) }()
	for i := range h.prof.Concurrency {
		workers.Add(1)
		go func() { defer workers.Done(); h.worker(runCtx, ctx, i) }()
	}
	workers.Wait()
	faults.Wait()
	h.enrolling.Wait()
	if ctx.Err() != nil {
		stopSampling()
		bg.Wait()
		return nil, ctx.Err()
	}
	h.logf("sessions ended; final quiet point")
	h.quietPoint(ctx, "end")
	stopSampling()
	bg.Wait()
	return h.finish(ctx)
}

// setUp makes the work folder, the PKI, the gallery and the API key, and
// starts the emulator and the daemon.
func (h *harness) setUp(ctx context.Context) error {
	c := h.cfg
	for _, b := range []string{"biogated", "idec-emulator", "biogate"} {
		if _, err := os.Stat(filepath.Join(c.Bin, b)); err != nil {
			return fmt.Errorf("--bin: %w", err)
		}
	}
	if err := os.MkdirAll(c.Work, 0o700); err != nil {
		return err
	}
	if entries, err := os.ReadDir(c.Work); err != nil || len(entries) > 0 {
		return fmt.Errorf("--work %s: want an absent or empty folder", c.Work)
	}
	work, err := filepath.Abs(c.Work)
	if err != nil {
		return err
	}
	h.cfg.Work = work
	h.models = filepath.Join(c.Shared, "models")
	h.gallery, h.pki, h.data = filepath.Join(work, "gallery"), filepath.Join(work, "pki"), filepath.Join(work, "data")
	if c.Store == "postgres" {
		h.evidence = c.Evidence
		if h.pg, err = newPGServer(c.PGDir); err != nil {
			return err
		}
	} else {
		h.evidence = "sqlite:" + filepath.Join(h.data, "evidence.db")
	}
	if c.DiskFull {
		if err := mountTmpfs(h.data, diskFullMiB); err != nil {
			return err
		}
		h.tmpfs = h.data
	}
	emuBin := filepath.Join(c.Bin, "idec-emulator")
	if out, err := exec.CommandContext(ctx, emuBin, "certs", "--out", h.pki).CombinedOutput(); err != nil {
		return fmt.Errorf("idec-emulator certs: %w: %s", err, out)
	}
	if h.clips, err = loadClips(c.Shared, work); err != nil {
		return err
	}
	if c.USBReplay != "" {
		if h.reader, err = newUSBReplay(c.USBReplay); err != nil {
			return err
		}
	}
	if err := h.enrol(ctx, emuBin); err != nil {
		return err
	}
	h.key = "soak-" + nonce()
	if err := os.WriteFile(filepath.Join(work, "api-keys"), []byte(h.key+" relay,kiosk\n"), 0o600); err != nil {
		return err
	}

	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	h.emuAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	h.gwHost = fmt.Sprintf("127.0.0.1:%d", ports[1])
	h.metricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[2])
	// The gateway's address passes the load tools' loopback check.
	if _, err := loopback.GatewayURL("http://" + h.gwHost); err != nil {
		return err
	}
	env := []string{"BIOGATE_SHARED=" + c.Shared}
	h.emu = &child{name: "idec-emulator", path: emuBin, log: filepath.Join(work, "idec-emulator.log"), env: env}
	h.gw = &child{name: "biogated", path: filepath.Join(c.Bin, "biogated"), log: filepath.Join(work, "biogated.log"), env: env}
	if h.reader != nil {
		h.gw.path, h.gw.wrapped = "umockdev-run", true
	}
	if err := h.startEmulator(ctx); err != nil {
		return err
	}
	return h.startDaemon(ctx)
}

// enrol fills the gallery: the pools' IINs, each with its person's
// reference photo or finger, two enrolments at a time.
func (h *harness) enrol(ctx context.Context, emuBin string) error {
	type job struct {
		id   string
		args []string
	}
	var jobs []job
	h.pools = map[Kind]*pool{}
	h.emuBin = emuBin
	photo := func(p string) []string { return []string{"--photo", p, "--models", h.models} }
	h.enrolment = map[Kind][]string{KindGenuine: photo(h.clips.genuinePhoto), KindImpostor: photo(h.clips.impostorPhoto),
		KindAttack: photo(h.clips.attackPhoto)}
	size := map[Kind]int{KindGenuine: h.prof.Genuine, KindImpostor: h.prof.Impostor, KindAttack: h.prof.Attack}
	if h.reader != nil {
		h.enrolment[KindFinger] = []string{"--finger", string(fingerPosition), "--image", h.reader.image}
		h.enrolment[KindFingerImpostor] = []string{"--finger", string(fingerPosition), "--image", h.clips.otherFinger}
		size[KindFinger], size[KindFingerImpostor] = h.prof.Finger, h.prof.FingerImpostor
	}
	for _, kind := range slices.Sorted(maps.Keys(size)) {
		var ids []string
		for range size[kind] {
			id := h.ids.next()
			ids = append(ids, id)
			jobs = append(jobs, job{id, h.enrolment[kind]})
		}
		h.pools[kind] = newPool(string(kind), ids)
	}
	errs := make(chan error, len(jobs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := h.enrolOne(ctx, j.id, j.args); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// maxReplacements bounds the persons enrolled mid-run.
const maxReplacements = 400

// enrolOne enrols id with idec-emulator enroll's flags args.
func (h *harness) enrolOne(ctx context.Context, id string, args []string) error {
	out, err := exec.CommandContext(ctx, h.emuBin, append([]string{"enroll", "--gallery", h.gallery, "--iin", id}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("enrol %v: %w: %s", args, err, out)
	}
	return nil
}

// fingerPosition is the finger of finger sessions and their enrolments.
const fingerPosition = outcome.RightThumb

// replace enrols a fresh IIN with args (the pool's enrolment) in the
// background and adds it to pl once enrolled (the emulator re-reads its
// gallery: no restart).
func (h *harness) replace(pl *pool, args []string) {
	if h.replaced.Add(1) > maxReplacements {
		return
	}
	h.enrolling.Add(1)
	go func() {
		defer h.enrolling.Done()
		id := h.ids.next()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.enrolOne(ctx, id, args); err != nil {
			h.logf("enrol a replacement: %v", err)
			return
		}
		pl.add(id)
	}()
}

// emulatorArgs are the emulator's flags, with a fault's.
func (h *harness) emulatorArgs(fault FaultKind) []string {
	args := []string{"serve", "--listen", h.emuAddr, "--gallery", h.gallery, "--tls", h.pki, "--models", h.models}
	switch fault {
	case FaultIDECLatency:
		args = append(args, "--fault-latency", "3s")
	case FaultIDEC503:
		args = append(args, "--fault-error-rate", "0.6", "--fault-status", "503")
	case FaultIDECReset:
		args = append(args, "--fault-reset")
	case FaultIDECTimeout:
		args = append(args, "--fault-timeout")
	}
	return args
}

// startEmulator starts the emulator with fault's flags ("" for none).
func (h *harness) startEmulator(ctx context.Context, fault ...FaultKind) error {
	f := FaultKind("")
	if len(fault) > 0 {
		f = fault[0]
	}
	if err := h.emu.start(h.emulatorArgs(f)...); err != nil {
		return err
	}
	return waitTCP(ctx, h.emu, h.emuAddr, 30*time.Second)
}

// restartEmulator stops the emulator (SIGTERM) and starts it with fault's
// flags.
func (h *harness) restartEmulator(ctx context.Context, fault FaultKind) error {
	h.emu.stop(10 * time.Second)
	return h.startEmulator(ctx, fault)
}

// daemonArgs are biogated's flags: loopback, fixed commands allowed (a
// recording cannot follow random ones), replay checks off (the clips are
// relayed again and again), no rate caps, a long lockout window (every
// failure of the run counts), the attack clip as kiosk camera; with
// --usb-replay, umockdev-run's arguments first and --fingerprint.
func (h *harness) daemonArgs() []string {
	metricsHost := h.metricsURL[len("http://") : len(h.metricsURL)-len("/metrics")]
	args := []string{"--listen", h.gwHost, "--metrics-listen", metricsHost,
		"--idec", "https://" + h.emuAddr, "--idec-tls", h.pki, "--api-keys", filepath.Join(h.cfg.Work, "api-keys"),
		"--data", h.data, "--models", h.models, "--allow-fixed-commands", "--replay-window=-1s",
		"--max-sessions", strconv.Itoa(h.prof.MaxSessions), "--max-sessions-per-key", strconv.Itoa(h.prof.MaxSessions),
		"--rate-per-key", "0", "--rate-per-iin", "0", "--lockout", "2h", "--max-attempts", strconv.Itoa(maxAttempts),
		"--drain-grace", h.prof.DrainGrace.String(), "--http-idle-timeout", "5s",
		"--camera", "file:" + h.clips.kioskCamera, "--log-level", "info"}
	if h.cfg.Store == "postgres" {
		args = append(args, "--evidence", h.evidence)
	}
	if h.reader != nil {
		// Under umockdev-run (h.gw.path), with the replayed reader.
		args = append(append(append([]string{}, h.reader.args...), "--", filepath.Join(h.cfg.Bin, "biogated")),
			append(args, "--fingerprint")...)
	}
	return args
}

// diskFullMiB is the size of the data folder's tmpfs with --disk-full:
// room for a long run's evidence (some 60 KiB a document).
const diskFullMiB = 256

// maxAttempts is the daemon's --max-attempts.
const maxAttempts = 3

// startDaemon starts biogated and waits until /readyz answers.
func (h *harness) startDaemon(ctx context.Context) error {
	if err := h.gw.start(h.daemonArgs()...); err != nil {
		return err
	}
	h.life.Add(1)
	return waitHTTP(ctx, h.gw, "http://"+h.gwHost+"/readyz", 60*time.Second)
}

// killAll kills what still runs (the harness is leaving).
func (h *harness) killAll() {
	for _, c := range []*child{h.gw, h.emu} {
		if c != nil {
			c.kill()
		}
	}
}

// sortedEvents is the profile's schedule by time.
func (h *harness) sortedEvents() []event {
	ev := append([]event(nil), h.prof.Events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].at < ev[j].at })
	return ev
}
