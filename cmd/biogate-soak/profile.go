package main

import (
	"time"
)

// Kind is a kind of session the harness runs.
type Kind string

// The session kinds. Heavy kinds stream a clip for seconds; light kinds
// end within a second.
const (
	// KindGenuine relays the genuine clip with its fixed command under an
	// IIN enrolled with that man: a match, unless a fault intervenes.
	KindGenuine Kind = "genuine"
	// KindImpostor relays the same live clip under an IIN enrolled with
	// another person: no_match.
	KindImpostor Kind = "impostor"
	// KindAttack relays the phone replay and the printed photo under an
	// IIN enrolled with the woman they show: never a match.
	KindAttack Kind = "attack"
	// KindKiosk runs a kiosk session on the daemon's camera, the attack
	// clip, which ends after 2.9 s: never a match.
	KindKiosk Kind = "kiosk"
	// KindFinger is a finger session on the replayed USB reader
	// (--usb-replay) under an IIN enrolled with the image libfprint
	// captured from that recording: a match.
	KindFinger Kind = "finger"
	// KindFingerImpostor is the same reader under an IIN enrolled with
	// another person's finger (FVC2002 DB1_B 101_1): no_match.
	KindFingerImpostor Kind = "finger_impostor"
	// KindVanish relays the genuine clip and closes the socket without a
	// word mid-session.
	KindVanish Kind = "vanish"
	// KindProbe is one of three clients sending one fresh IIN at once:
	// at most one may be accepted.
	KindProbe Kind = "probe"
	// The invalid inputs (light).
	KindBadIIN    Kind = "bad_iin"
	KindGarbage   Kind = "garbage"
	KindOversized Kind = "oversized"
	KindTooLarge  Kind = "too_large"
	KindNotJPEG   Kind = "not_jpeg"
	KindBadKey    Kind = "bad_key"
)

// heavy reports whether k streams frames for seconds.
func (k Kind) heavy() bool {
	switch k {
	case KindGenuine, KindImpostor, KindAttack, KindKiosk, KindVanish, KindProbe, KindFinger, KindFingerImpostor:
		return true
	}
	return false
}

// mayMatch reports whether a match is allowed for k: only the genuine
// person under his own IIN (a vanished client never reads its result).
func (k Kind) mayMatch() bool { return k == KindGenuine || k == KindVanish || k == KindFinger }

// finger reports whether k is a finger session (the one reader).
func (k Kind) finger() bool { return k == KindFinger || k == KindFingerImpostor }

// weighted is one kind's share of the mix.
type weighted struct {
	kind   Kind
	weight int
}

// mix is the share of each kind among the sessions the workers start.
var mix = []weighted{
	{KindGenuine, 20}, {KindImpostor, 4}, {KindAttack, 12}, {KindKiosk, 4}, {KindVanish, 8},
	{KindFinger, 4}, {KindFingerImpostor, 2}, // with --usb-replay; else light kinds instead
	{KindBadIIN, 8}, {KindGarbage, 8}, {KindOversized, 5}, {KindTooLarge, 5}, {KindNotJPEG, 6}, {KindBadKey, 3},
}

// FaultKind is a kind of fault, or another event of the schedule.
type FaultKind string

// The faults, and the schedule's other events.
const (
	// IDEC misbehaving for a window: the emulator restarted with
	// --fault-latency 3s, --fault-error-rate 0.6 (503), --fault-reset or
	// --fault-timeout, and restarted without at the window's end.
	FaultIDECLatency FaultKind = "idec_latency"
	FaultIDEC503     FaultKind = "idec_503"
	FaultIDECReset   FaultKind = "idec_reset"
	FaultIDECTimeout FaultKind = "idec_timeout"
	// FaultEmulatorKill: the emulator SIGKILLed, down for the window,
	// started again.
	FaultEmulatorKill FaultKind = "emulator_kill"
	// FaultPostgresRestart: PostgreSQL stopped at once (pg_ctl -m
	// immediate, as a crash), down for the window, started again.
	FaultPostgresRestart FaultKind = "postgres_restart"
	// FaultDaemonTerm: biogated sent SIGTERM (it drains), then started
	// again on the same data folder and ports.
	FaultDaemonTerm FaultKind = "daemon_sigterm"
	// FaultDaemonKill: biogated SIGKILLed mid-session, then started again.
	FaultDaemonKill FaultKind = "daemon_sigkill"
	// FaultReaderUnplug: the replayed USB reader (--usb-replay) unplugged
	// for the window, then plugged in again (reader.go).
	FaultReaderUnplug FaultKind = "reader_unplug"
	// FaultDiskFull: the data folder's volume (a small tmpfs, --disk-full)
	// filled up with a file for the window, which is then removed.
	FaultDiskFull FaultKind = "disk_full"
	// EventQuiet: no new session until the running ones ended, the
	// emulator restarted (its keep-alive connections closed), then the
	// daemon's goroutines, descriptors and RSS read once they settle.
	EventQuiet FaultKind = "quiet"
	// EventProbe: three clients send one fresh IIN at once.
	EventProbe FaultKind = "probe"
)

// event is one item of the schedule: at At from the run's beginning, for
// For (a fault's window or downtime).
type event struct {
	kind FaultKind
	at   time.Duration
	dur  time.Duration
}

// Profile is the shape of a run.
type Profile struct {
	Name        string        `json:"name"`
	Duration    time.Duration `json:"-"`
	Sessions    int           `json:"max_clients"`
	Concurrency int           `json:"concurrency"`
	// Heavy bounds the clients streaming frames at once (2 cores).
	Heavy int `json:"heavy"`
	// MaxSessions is the daemon's --max-sessions (room for the probes).
	MaxSessions int           `json:"daemon_max_sessions"`
	DrainGrace  time.Duration `json:"-"`
	// Persons enrolled per pool.
	Genuine, Impostor, Attack, Finger, FingerImpostor int `json:"-"`
	// SampleEvery is the sampler's period.
	SampleEvery time.Duration `json:"-"`
	Events      []event       `json:"-"`
}

// newProfile returns the profile of c: short or long, with c's overrides,
// and the schedule laid out over the duration.
func newProfile(c Config) Profile {
	p := Profile{Name: "long", Duration: 570 * time.Second, Sessions: 8000, Concurrency: 8, Heavy: 5,
		DrainGrace: 20 * time.Second, Genuine: 12, Impostor: 4, Attack: 16, Finger: 4, FingerImpostor: 6, SampleEvery: 5 * time.Second}
	if c.Short {
		p = Profile{Name: "short", Duration: 50 * time.Second, Sessions: 800, Concurrency: 6, Heavy: 4,
			DrainGrace: 8 * time.Second, Genuine: 5, Impostor: 2, Attack: 5, Finger: 2, FingerImpostor: 2, SampleEvery: 2 * time.Second}
	}
	if c.Duration > 0 {
		p.Duration = c.Duration
	}
	if c.Sessions > 0 {
		p.Sessions = c.Sessions
	}
	if c.Concurrency > 0 {
		p.Concurrency = c.Concurrency
		p.Heavy = min(p.Heavy, c.Concurrency)
	}
	p.MaxSessions = p.Concurrency + 4
	p.Events = schedule(p.Duration, c.Short, c.Store == "postgres", c.DiskFull, c.USBReplay != "")
	return p
}

// schedule lays the faults out over d: the daemon's restarts first, so
// that its last life, the longest, holds the other faults between quiet
// points (a leak shows as a difference within one life); then each IDEC
// fault for a window, the emulator's kill, PostgreSQL's restart, and
// probes throughout; the data folder's volume filled up when diskFull;
// the USB reader unplugged when reader.
func schedule(d time.Duration, short, postgres, diskFull, reader bool) []event {
	at := func(f float64) time.Duration { return time.Duration(f * float64(d)) }
	window := max(4*time.Second, at(0.05))
	down := min(10*time.Second, max(3*time.Second, at(0.02)))
	ev := []event{
		{kind: FaultDaemonTerm, at: at(0.06)},
		{kind: FaultDaemonKill, at: at(0.16)},
		{kind: EventQuiet, at: at(0.26)},
		{kind: FaultIDECLatency, at: at(0.32), dur: window},
		{kind: FaultIDEC503, at: at(0.40), dur: window},
		{kind: FaultIDECReset, at: at(0.48), dur: window},
		{kind: FaultIDECTimeout, at: at(0.56), dur: window},
	}
	if !short {
		ev = append(ev, event{kind: EventQuiet, at: at(0.66)})
	}
	ev = append(ev, event{kind: FaultEmulatorKill, at: at(0.70), dur: down})
	if postgres {
		ev = append(ev, event{kind: FaultPostgresRestart, at: at(0.78), dur: down})
	}
	if diskFull {
		ev = append(ev, event{kind: FaultDiskFull, at: at(0.82), dur: window})
	}
	if reader {
		ev = append(ev, event{kind: FaultReaderUnplug, at: at(0.61), dur: window})
	}
	if !short {
		ev = append(ev, event{kind: FaultIDEC503, at: at(0.86), dur: window})
	}
	probes := 2
	if !short {
		probes = 8
	}
	for i := range probes {
		ev = append(ev, event{kind: EventProbe, at: at((float64(i) + 0.5) / float64(probes))})
	}
	return ev
}
