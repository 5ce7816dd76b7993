package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/biogate/biogate/attack"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/models"
	"github.com/biogate/biogate/outcome"
)

// attack-eval bounds: the tool stops by itself.
const (
	maxEvalSessions    = 200 // per species
	maxEvalConcurrency = 4
	maxEvalTime        = 24 * time.Hour
)

const attackEvalHelp = `usage: biogate attack-eval --gateway http://127.0.0.1:PORT --key KEY --species SPEC... --genuine CLIP...
                          [--sessions N] [--photos P1,P2,...] [--iin IIN[,IIN...]] [--genuine-iin IIN]
                          [--replay CLIP...] [--seed N] [--concurrency C] [--json]

Runs whole relay sessions against a gateway on loopback and reports, in
ISO/IEC 30107-3 terms, how many attack presentations it classified as bona
fide (APCER, per attack species) and how many bona fide presentations it did
not (BPCER). Every session is a real one: the gateway's random commands, its
liveness cues, IDEC (or its emulator) and its signed result.

Attack sessions (package attack, as cmd/biogate-attack): --sessions N per
species, session i of every species with seed SEED+i (randomised fps 8-15,
JPEG quality, noise, placement, amplitudes and timing), photo i modulo the
--photos list and IIN i modulo the --iin list. Species: warp (a still photo
warped in 2D to follow the commands live), print and screen (the same on a
print-like or screen-like copy), still (the photo not moving), replay (a
recorded genuine clip replayed in real time, looping, deaf to the commands;
clips from --replay, default the --genuine clips, each claiming its own
clip's IIN). Attack sessions never ask for fixed commands.

Genuine sessions: each --genuine clip relayed once (--genuine-repeats
times) at --genuine-fps (10) in real time, then end_of_frames. A recording
cannot follow random commands, so each clip names the commands it performs:
  --genuine [IIN=]PATH[#t=FROM,TO][:COMMAND,COMMAND...]
e.g. 850101300015=clips/cap12_closer_30-42s.mp4:move_closer or
fsanet_webcam_turns.mp4#t=11.7,15:turn_right. The IIN defaults to
--genuine-iin. A clip without commands gets the gateway's random ones.

Outcomes. A session is presented when the gateway admitted its start; it
then ends in match, no_match, spoof, refused or error (the decision), or
no_result (no result within --timeout). Sessions the gateway did not admit
are not presented and count in no rate: locked_out, rate_limited, busy,
key_busy, iin_in_session, another start error, or an HTTP refusal or
connection failure (then named so); not_run when --max-time ran out,
interrupted when the run was stopped (SIGINT, SIGTERM).
  APCER(match)     = attack sessions ending match / attack sessions presented
                     (admitted as a match: the attack got a signed match)
  APCER(liveness)  = attack sessions whose liveness passed (the gateway sent
                     the frame to IDEC: match, no_match, or submitted) /
                     presented (the PAD subsystem classified it bona fide)
  BPCER(match)     = genuine sessions not ending match / genuine presented
  BPCER(liveness)  = genuine sessions whose liveness did not pass / presented
The exit status is 0 when every session was presented, 1 when some were
not (the figures then cover fewer sessions than asked), 2 on a usage error.

What the gateway needs (hack/attack-eval.sh starts one so):
  - loopback only: this tool refuses any other address;
  - --allow-fixed-commands, for the genuine clips' commands;
  - the lockout relaxed, or every attack after a few is locked_out: the
    default locks an IIN for 15 min after 3 failed attempts, and a session
    is offered only the attempts its IIN has left. --lockout 1ms keeps
    --max-attempts 3 per session and forgets the failures at once;
  - --rate-per-iin 0 and --rate-per-key 0 (defaults 10 and 60 a minute);
  - --max-sessions and --max-sessions-per-key at least --concurrency;
  - IDEC with the person of --photos enrolled under every --iin, and each
    genuine clip's person under its IIN (idec-emulator enroll); a warp of
    someone else's photo ends no_match at best.

Flags:`

// genuineClip is one --genuine argument.
type genuineClip struct {
	arg      string
	iin      string
	path     string
	from, to time.Duration
	commands []string
}

// evalJob is one session to run.
type evalJob struct {
	n       int    // 1-based, in the order run
	kind    string // "attack" or "genuine"
	species attack.Species
	seed    uint64
	source  string // photo or clip path
	clip    *genuineClip
	iin     string
}

// evalSession is one session's outcome in the report.
type evalSession struct {
	N    int    `json:"n"`
	Kind string `json:"kind"` // attack or genuine
	// Outcome is the decision, no_result, or why it was not presented.
	Outcome   string `json:"outcome"`
	Presented bool   `json:"presented"`
	// PassedLiveness: the gateway sent the session's frame to IDEC.
	PassedLiveness bool `json:"passed_liveness"`
	// Commands are the fixed commands of a genuine clip.
	FixedCommands []string `json:"fixed_commands,omitempty"`
	// Error is why the session ended without a result.
	Error string `json:"error,omitempty"`
	*attack.Report
}

// evalGroup is the figures of one attack species or of the genuine clips.
type evalGroup struct {
	Species        string `json:"species"`
	Sessions       int    `json:"sessions"`
	Presented      int    `json:"presented"`
	NotPresented   int    `json:"not_presented"`
	Matched        int    `json:"matched"`
	PassedLiveness int    `json:"passed_liveness"`
	// NoResult counts presented sessions that ended in decision error or
	// no result.
	NoResult int `json:"no_result"`
	// Rates over the presented sessions; absent when none was.
	APCERMatch     *float64       `json:"apcer_match,omitempty"`
	APCERLiveness  *float64       `json:"apcer_liveness,omitempty"`
	BPCERMatch     *float64       `json:"bpcer_match,omitempty"`
	BPCERLiveness  *float64       `json:"bpcer_liveness,omitempty"`
	Outcomes       map[string]int `json:"outcomes"`
	Reasons        map[string]int `json:"reasons"`
	MeanSeconds    float64        `json:"mean_session_seconds"`
	CommandsFailed map[string]int `json:"command_failures"`
	// BySource counts the outcomes per photo or clip.
	BySource map[string]map[string]int `json:"by_source"`
}

// evalReport is what `biogate attack-eval --json` prints.
type evalReport struct {
	Gateway           string        `json:"gateway"`
	Seed              uint64        `json:"seed"`
	SessionsPerSpec   int           `json:"sessions_per_species"`
	Photos            []string      `json:"photos,omitempty"`
	Attacks           []evalGroup   `json:"attacks"`
	Genuine           *evalGroup    `json:"genuine,omitempty"`
	APCERMatchMax     *float64      `json:"apcer_match_max,omitempty"`
	APCERLivenessMax  *float64      `json:"apcer_liveness_max,omitempty"`
	WorstSpecies      string        `json:"worst_species,omitempty"`
	NotPresented      int           `json:"not_presented"`
	Complete          bool          `json:"complete"`
	WallSeconds       float64       `json:"wall_seconds"`
	MeanSessionSecond float64       `json:"mean_session_seconds"`
	Sessions          []evalSession `json:"sessions"`
}

// evalConfig is an attack-eval run, as its flags give it.
type evalConfig struct {
	gateway, key   string
	species        []attack.Species
	sessions       int
	photos         []string
	iins           []string
	genuine        []genuineClip
	genuineRepeats int
	genuineFPS     float64
	replay         []genuineClip
	seed           uint64
	concurrency    int
	timeout        time.Duration
	maxTime        time.Duration
	json           bool
	jsonOut        string
	models         string
}

func runAttackEval(args []string, stdout, stderr io.Writer) int {
	c, code, done := parseAttackEval(args, stderr)
	if done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := attackEval(ctx, c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "biogate attack-eval: %v\n", err)
		return exitFailure
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "biogate attack-eval: %v\n", err)
		return exitFailure
	}
	js = append(js, '\n')
	if c.jsonOut != "" {
		if err := os.WriteFile(c.jsonOut, js, 0o644); err != nil {
			fmt.Fprintf(stderr, "biogate attack-eval: %v\n", err)
			return exitFailure
		}
	}
	if c.json {
		stdout.Write(js)
	} else {
		printAttackEval(stdout, rep)
	}
	if !rep.Complete {
		fmt.Fprintf(stderr, "biogate attack-eval: %d sessions were not presented (see their outcomes); the figures cover the others\n", rep.NotPresented)
		return exitFailure
	}
	return exitOK
}

// parseAttackEval parses and checks the flags; done says the command
// returns code now (help or a usage error).
func parseAttackEval(args []string, stderr io.Writer) (c evalConfig, code int, done bool) {
	fs := flag.NewFlagSet("attack-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var species, photos, iins, genuine, replay stringList
	fs.StringVar(&c.gateway, "gateway", "", "the gateway, http://HOST:PORT; HOST must be loopback")
	fs.StringVar(&c.key, "key", envOr("BIOGATE_API_KEY", ""), "API key with the relay scope (default $BIOGATE_API_KEY)")
	fs.Var(&species, "species", "attack species, comma separated or repeated: warp, print, screen, still, replay")
	fs.Var(&genuine, "genuine", "a genuine clip, [IIN=]PATH[#t=FROM,TO][:COMMAND,...] (repeatable)")
	fs.IntVar(&c.sessions, "sessions", 20, fmt.Sprintf("sessions per attack species, 1-%d", maxEvalSessions))
	fs.Var(&photos, "photos", "photos of the person enrolled under --iin, comma separated or repeated (warp, print, screen, still); rotated across sessions")
	fs.Var(&iins, "iin", "IINs the photo attacks claim, comma separated or repeated; rotated across sessions")
	genuineIIN := fs.String("genuine-iin", "", "the IIN of --genuine clips that name none")
	fs.Var(&replay, "replay", "clips for the replay species, [IIN=]PATH[#t=FROM,TO] (default: the --genuine clips)")
	fs.IntVar(&c.genuineRepeats, "genuine-repeats", 1, "sessions per genuine clip, 1-20")
	fs.Float64Var(&c.genuineFPS, "genuine-fps", 10, "frames per second the genuine clips are relayed at, 1-15")
	seed := fs.String("seed", "", "seed of each species' first session (session i uses seed+i; default random, reported)")
	fs.IntVar(&c.concurrency, "concurrency", 1, fmt.Sprintf("sessions run at once, 1-%d, never two of one IIN", maxEvalConcurrency))
	fs.DurationVar(&c.timeout, "timeout", 150*time.Second, "end a session without a result after this long (longer than the gateway's --session-timeout, 120s by default, lets the gateway end it)")
	fs.DurationVar(&c.maxTime, "max-time", time.Hour, "start no session after this long (the rest are not_run)")
	fs.BoolVar(&c.json, "json", false, "print one JSON report instead of text (progress lines on stderr are left out too)")
	fs.StringVar(&c.jsonOut, "json-out", "", "also write the JSON report to this file")
	fs.StringVar(&c.models, "models", "", "models folder, for the photos' face detection (default $BIOGATE_MODELS, else the shared models)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, attackEvalHelp)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return c, code, true
	}
	usageErr := func(format string, a ...any) (evalConfig, int, bool) {
		fmt.Fprintf(stderr, "biogate attack-eval: "+format+"\n", a...)
		return c, exitUsage, true
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected arguments %q", fs.Args())
	}
	if _, err := attack.GatewayURL(c.gateway); err != nil {
		return usageErr("--gateway: %v", err)
	}
	if c.key == "" {
		return usageErr("--key is required")
	}
	for _, s := range splitAll(species) {
		sp, err := attack.ParseSpecies(s)
		if err != nil {
			return usageErr("--species: %v", err)
		}
		if !slices.Contains(c.species, sp) {
			c.species = append(c.species, sp)
		}
	}
	c.photos = splitAll(photos)
	c.iins = splitAll(iins)
	switch {
	case len(c.species) == 0 && len(genuine) == 0:
		return usageErr("nothing to run: give --species, --genuine or both")
	case c.sessions < 1 || c.sessions > maxEvalSessions:
		return usageErr("--sessions %d: want 1-%d", c.sessions, maxEvalSessions)
	case c.genuineRepeats < 1 || c.genuineRepeats > 20:
		return usageErr("--genuine-repeats %d: want 1-20", c.genuineRepeats)
	case !(c.genuineFPS >= 1 && c.genuineFPS <= float64(protocol.DefaultLimits.MaxFPS)):
		return usageErr("--genuine-fps %g: want 1-%d", c.genuineFPS, protocol.DefaultLimits.MaxFPS)
	case c.concurrency < 1 || c.concurrency > maxEvalConcurrency:
		return usageErr("--concurrency %d: want 1-%d", c.concurrency, maxEvalConcurrency)
	case c.timeout <= 0 || c.timeout > 10*time.Minute:
		return usageErr("--timeout %s: want more than 0 and at most 10m", c.timeout)
	case c.maxTime <= 0 || c.maxTime > maxEvalTime:
		return usageErr("--max-time %s: want more than 0 and at most %s", c.maxTime, maxEvalTime)
	}
	photoSpecies := slices.ContainsFunc(c.species, func(sp attack.Species) bool { return sp != attack.Replay })
	if photoSpecies && len(c.photos) == 0 {
		return usageErr("--photos is required with the photo species (warp, print, screen, still)")
	}
	if photoSpecies && len(c.iins) == 0 {
		return usageErr("--iin is required with the photo species (warp, print, screen, still)")
	}
	for _, id := range c.iins {
		if _, err := iin.Parse(id); err != nil {
			return usageErr("--iin: %v", err)
		}
	}
	if *genuineIIN != "" {
		if _, err := iin.Parse(*genuineIIN); err != nil {
			return usageErr("--genuine-iin: %v", err)
		}
	}
	for _, a := range genuine {
		g, err := parseGenuine(a, *genuineIIN, true)
		if err != nil {
			return usageErr("--genuine %q: %v", a, err)
		}
		c.genuine = append(c.genuine, g)
	}
	for _, a := range replay {
		g, err := parseGenuine(a, *genuineIIN, false)
		if err != nil {
			return usageErr("--replay %q: %v", a, err)
		}
		c.replay = append(c.replay, g)
	}
	if len(c.replay) == 0 {
		c.replay = c.genuine
	}
	if slices.Contains(c.species, attack.Replay) && len(c.replay) == 0 {
		return usageErr("the replay species needs clips: --replay or --genuine")
	}
	for _, p := range c.photos {
		if _, err := os.Stat(p); err != nil {
			return usageErr("--photos: %v", err)
		}
	}
	if *seed == "" {
		var b [8]byte
		crand.Read(b[:])
		c.seed = binary.LittleEndian.Uint64(b[:]) >> 1
	} else if _, err := fmt.Sscan(*seed, &c.seed); err != nil {
		return usageErr("--seed %q: want an unsigned integer", *seed)
	}
	return c, exitOK, false
}

// splitAll splits each value at commas and drops empty parts.
func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, splitList(v)...)
	}
	return out
}

// splitList splits s at commas, trimming spaces and dropping empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseGenuine parses [IIN=]PATH[#t=FROM,TO][:COMMAND,...]; commands are
// refused unless withCommands.
func parseGenuine(a, defaultIIN string, withCommands bool) (genuineClip, error) {
	g := genuineClip{arg: a, iin: defaultIIN}
	rest := a
	if id, p, ok := strings.Cut(rest, "="); ok && len(id) == 12 && !strings.ContainsAny(id, "/.#:") {
		if _, err := iin.Parse(id); err != nil {
			return g, err
		}
		g.iin, rest = id, p
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		if !withCommands {
			return g, errors.New("a replay follows no commands")
		}
		for _, s := range strings.Split(rest[i+1:], ",") {
			if !slices.Contains(outcome.Commands(), outcome.Command(s)) {
				return g, fmt.Errorf("command %q: want %s", s, strings.Join(outcome.Strings(outcome.Commands()), ", "))
			}
			g.commands = append(g.commands, s)
		}
		rest = rest[:i]
	}
	if g.iin == "" {
		return g, errors.New("no IIN: give IIN=PATH or --genuine-iin")
	}
	file, seg := splitSegment(rest)
	if strings.Contains(rest, "#t=") && seg == [2]time.Duration{} {
		return g, errors.New("#t=FROM,TO: want seconds")
	}
	if seg[1] != 0 && seg[1] <= seg[0] {
		return g, fmt.Errorf("#t=%g,%g: want FROM < TO", seg[0].Seconds(), seg[1].Seconds())
	}
	if _, err := os.Stat(file); err != nil {
		return g, err
	}
	g.path, g.from, g.to = file, seg[0], seg[1]
	return g, nil
}

// name is the clip's file name and part, for the report.
func (g *genuineClip) name() string {
	n := filepath.Base(g.path)
	if g.from != 0 || g.to != 0 {
		n += fmt.Sprintf("#t=%g,%g", g.from.Seconds(), g.to.Seconds())
	}
	return n
}

// evalJobs lists the sessions in the order they run: the genuine clips
// first, then session i of every species, for i from 0.
func evalJobs(c evalConfig) []evalJob {
	var jobs []evalJob
	for r := range c.genuineRepeats {
		for i := range c.genuine {
			g := &c.genuine[i]
			jobs = append(jobs, evalJob{kind: "genuine", seed: c.seed + uint64(r), source: g.path, clip: g, iin: g.iin})
		}
	}
	for i := range c.sessions {
		for _, sp := range c.species {
			j := evalJob{kind: "attack", species: sp, seed: c.seed + uint64(i)}
			if sp == attack.Replay {
				g := &c.replay[i%len(c.replay)]
				j.clip, j.source, j.iin = g, g.path, g.iin
			} else {
				j.source, j.iin = c.photos[i%len(c.photos)], c.iins[i%len(c.iins)]
			}
			jobs = append(jobs, j)
		}
	}
	for i := range jobs {
		jobs[i].n = i + 1
	}
	return jobs
}

// sources holds the photos and clips a run uses, each loaded once.
type sources struct {
	mu      sync.Mutex
	det     *models.FaceDetector
	photos  map[string]photoSource
	clips   map[string]*attack.Replayer
	modelDr string
}

type photoSource struct {
	im   *attack.Image
	face models.Face
}

func (s *sources) close() {
	if s.det != nil {
		s.det.Close()
	}
}

func (s *sources) photo(path string) (photoSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.photos[path]; ok {
		return p, nil
	}
	if s.det == nil {
		det, err := models.NewFaceDetector(models.DetectorConfig{ModelDir: models.Dir(s.modelDr), MaxWidth: 640})
		if err != nil {
			return photoSource{}, fmt.Errorf("face detector: %w", err)
		}
		s.det = det
	}
	im, err := attack.LoadPhoto(path)
	if err != nil {
		return photoSource{}, err
	}
	face, err := attack.DetectFace(s.det, im)
	if err != nil {
		return photoSource{}, fmt.Errorf("%s: %w", path, err)
	}
	p := photoSource{im, face}
	s.photos[path] = p
	return p, nil
}

func (s *sources) clip(path string) (*attack.Replayer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.clips[path]; ok {
		return r, nil
	}
	r, err := attack.NewReplayer(path, 90)
	if err != nil {
		return nil, err
	}
	s.clips[path] = r
	return r, nil
}

// attackEval loads the sources, runs the sessions and sums them up. It
// fails only when a source cannot be loaded; a session that goes wrong is
// an outcome.
func attackEval(ctx context.Context, c evalConfig, stderr io.Writer) (*evalReport, error) {
	src := &sources{photos: map[string]photoSource{}, clips: map[string]*attack.Replayer{}, modelDr: c.models}
	defer src.close()
	jobs := evalJobs(c)
	// Load every source before the first session: a bad photo fails the
	// run at once, not after an hour.
	for _, j := range jobs {
		var err error
		if j.clip != nil {
			_, err = src.clip(j.clip.path)
		} else {
			_, err = src.photo(j.source)
		}
		if err != nil {
			return nil, err
		}
	}

	began := time.Now()
	deadline := began.Add(c.maxTime)
	out := make([]evalSession, len(jobs))
	var (
		iinMu   sync.Mutex
		busyIIN = map[string]bool{}
		iinFree = sync.NewCond(&iinMu)
		next    int
		wg      sync.WaitGroup
	)
	// take gives a worker the first job not yet run whose IIN no running
	// session holds, and holds it; ok is false when none is left.
	take := func() (j evalJob, ok bool) {
		iinMu.Lock()
		defer iinMu.Unlock()
		for {
			if next >= len(jobs) {
				return j, false
			}
			for i := next; i < len(jobs); i++ {
				if jobs[i].n != 0 && !busyIIN[jobs[i].iin] {
					j = jobs[i]
					jobs[i].n = 0 // taken
					busyIIN[j.iin] = true
					for next < len(jobs) && jobs[next].n == 0 {
						next++
					}
					return j, true
				}
			}
			iinFree.Wait()
		}
	}
	release := func(id string) {
		iinMu.Lock()
		delete(busyIIN, id)
		iinMu.Unlock()
		iinFree.Broadcast()
	}
	for range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := take()
				if !ok {
					return
				}
				s := runEvalSession(ctx, c, src, j, deadline)
				release(j.iin)
				out[j.n-1] = s
				if !c.json {
					fmt.Fprintf(stderr, "attack-eval: %s\n", sessionLine(&s))
				}
			}
		}()
	}
	wg.Wait()
	rep := summarize(c, out)
	rep.WallSeconds = time.Since(began).Seconds()
	return rep, nil
}

// runEvalSession runs one job and classifies it.
func runEvalSession(ctx context.Context, c evalConfig, src *sources, j evalJob, deadline time.Time) evalSession {
	s := evalSession{N: j.n, Kind: j.kind, Report: &attack.Report{Species: j.species, Seed: j.seed, Commands: []attack.CommandReport{}}}
	if j.kind == "genuine" {
		s.Species = "genuine"
		s.FixedCommands = j.clip.commands
	}
	if ctx.Err() != nil || time.Now().After(deadline) {
		s.Outcome = "not_run"
		return s
	}
	p := attack.NewParams(j.seed, 0)
	cfg := attack.SessionConfig{Gateway: c.gateway, Key: c.key, IIN: j.iin, FPS: p.FPS, Timeout: c.timeout}
	var gen attack.Generator
	switch {
	case j.clip != nil:
		r, err := src.clip(j.clip.path)
		if err == nil {
			r, err = r.Cut(j.clip.from, j.clip.to)
		}
		if err != nil {
			s.Outcome, s.Error = "not_run", err.Error()
			return s
		}
		s.Source = j.clip.name()
		if j.kind == "genuine" {
			gen, cfg.FPS, cfg.Commands = r.Once(), c.genuineFPS, j.clip.commands
		} else {
			gen = r
		}
	default:
		ph, err := src.photo(j.source)
		if err == nil {
			gen, err = attack.NewPerformer(j.species, ph.im, ph.face, p)
		}
		if err != nil {
			s.Outcome, s.Error = "not_run", err.Error()
			return s
		}
		s.Source, s.JPEGQuality = filepath.Base(j.source), p.JPEGQuality
	}
	err := attack.Run(ctx, cfg, gen, s.Report)
	s.Outcome, s.Presented = classify(s.Report, err)
	if ctx.Err() != nil && s.Decision == "" { // the operator stopped the run
		s.Outcome, s.Presented = "interrupted", false
	}
	s.PassedLiveness = s.Presented && (s.Submitted || s.Decision == string(outcome.Match) || s.Decision == string(outcome.NoMatch))
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// notAdmitted are the error codes with which a gateway refuses a start:
// the session was not presented.
var notAdmitted = []protocol.ErrorCode{
	protocol.CodeLockedOut, protocol.CodeRateLimited, protocol.CodeBusy, protocol.CodeKeyBusy,
	protocol.CodeIINInSession, protocol.CodeUnauthorized, protocol.CodeForbiddenScope, protocol.CodeOriginNotAllowed,
	protocol.CodeBadMessage, protocol.CodeInvalidIIN, protocol.CodeConsentRequired, protocol.CodeConsentInvalid,
	protocol.CodeFixedCommandsNotAllowed, protocol.CodeCameraUnavailable, protocol.CodeUnsupportedVersion,
}

// classify names a session's outcome from its report and Run's error, and
// says whether the gateway admitted it (presented).
func classify(r *attack.Report, err error) (string, bool) {
	for _, e := range r.Errors {
		if slices.Contains(notAdmitted, protocol.ErrorCode(e)) {
			return e, false
		}
	}
	var refused *attack.RefusedError
	switch {
	case errors.As(err, &refused):
		var m struct{ Code string }
		if json.Unmarshal([]byte(refused.Body), &m) == nil && m.Code != "" {
			return m.Code, false
		}
		return fmt.Sprintf("http_%d", refused.StatusCode), false
	case errors.Is(err, attack.ErrConnect) || errors.Is(err, attack.ErrNotLoopback):
		return "connect_failed", false
	case r.Decision != "":
		return r.Decision, true
	default:
		return "no_result", true
	}
}

// summarize sums the sessions up per species.
func summarize(c evalConfig, ss []evalSession) *evalReport {
	rep := &evalReport{Gateway: c.gateway, Seed: c.seed, SessionsPerSpec: c.sessions, Sessions: ss, Attacks: []evalGroup{}}
	for _, p := range c.photos {
		rep.Photos = append(rep.Photos, filepath.Base(p))
	}
	groups := map[string]*evalGroup{}
	var order []string
	for _, sp := range c.species {
		order = append(order, string(sp))
	}
	var secs float64
	var timed int
	for i := range ss {
		s := &ss[i]
		name := string(s.Species)
		g := groups[name]
		if g == nil {
			g = &evalGroup{Species: name, Outcomes: map[string]int{}, Reasons: map[string]int{}, CommandsFailed: map[string]int{},
				BySource: map[string]map[string]int{}}
			groups[name] = g
		}
		g.Sessions++
		g.Outcomes[s.Outcome]++
		if g.BySource[s.Source] == nil {
			g.BySource[s.Source] = map[string]int{}
		}
		g.BySource[s.Source][s.Outcome]++
		if !s.Presented {
			rep.NotPresented++
			g.NotPresented++
			continue
		}
		g.Presented++
		g.MeanSeconds += s.Seconds
		secs += s.Seconds
		timed++
		for _, r := range s.Reasons {
			g.Reasons[r]++
		}
		for _, cm := range s.Commands {
			if cm.Status == outcome.CommandFailed {
				g.CommandsFailed[string(cm.Reason)]++
			}
		}
		if s.Decision == string(outcome.Match) {
			g.Matched++
		}
		if s.PassedLiveness {
			g.PassedLiveness++
		}
		if s.Decision == "" || s.Decision == string(outcome.Error) {
			g.NoResult++
		}
	}
	rate := func(n, d int) *float64 {
		if d == 0 {
			return nil
		}
		v := float64(n) / float64(d)
		return &v
	}
	for _, g := range groups {
		if g.Presented > 0 {
			g.MeanSeconds /= float64(g.Presented)
		}
	}
	for _, name := range order {
		g := groups[name]
		if g == nil {
			continue
		}
		g.APCERMatch, g.APCERLiveness = rate(g.Matched, g.Presented), rate(g.PassedLiveness, g.Presented)
		rep.Attacks = append(rep.Attacks, *g)
		if g.APCERMatch != nil && (rep.APCERMatchMax == nil || *g.APCERMatch > *rep.APCERMatchMax) {
			v := *g.APCERMatch
			rep.APCERMatchMax, rep.WorstSpecies = &v, name
		}
		if g.APCERLiveness != nil && (rep.APCERLivenessMax == nil || *g.APCERLiveness > *rep.APCERLivenessMax) {
			v := *g.APCERLiveness
			rep.APCERLivenessMax = &v
		}
	}
	if g := groups["genuine"]; g != nil {
		g.BPCERMatch, g.BPCERLiveness = rate(g.Presented-g.Matched, g.Presented), rate(g.Presented-g.PassedLiveness, g.Presented)
		rep.Genuine = g
	}
	if timed > 0 {
		rep.MeanSessionSecond = secs / float64(timed)
	}
	rep.Complete = rep.NotPresented == 0
	return rep
}

// sessionLine is one session in a line.
func sessionLine(s *evalSession) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s", s.N, s.Species)
	if s.Kind == "attack" && s.Species != attack.Replay {
		fmt.Fprintf(&b, " seed %d", s.Seed)
	}
	fmt.Fprintf(&b, " %s", s.Source)
	if s.FPS > 0 {
		fmt.Fprintf(&b, " %g fps", s.FPS)
	}
	if len(s.FixedCommands) > 0 {
		fmt.Fprintf(&b, " commands %s", strings.Join(s.FixedCommands, ","))
	}
	fmt.Fprintf(&b, ": %s", s.Outcome)
	if len(s.Reasons) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(s.Reasons, ", "))
	}
	if s.PLive != nil {
		fmt.Fprintf(&b, ", p(live) %.3f", *s.PLive)
	}
	if s.Presented {
		fmt.Fprintf(&b, ", liveness %s, commands %d/%d passed, %d attempts, %d frames, %.1f s",
			map[bool]string{true: "passed", false: "not passed"}[s.PassedLiveness], s.Passed, s.Issued, s.Attempts, s.Frames, s.Seconds)
	}
	if s.Error != "" && !s.Presented {
		fmt.Fprintf(&b, " [%s]", s.Error)
	}
	return b.String()
}

func printAttackEval(w io.Writer, r *evalReport) {
	pct := func(v *float64) string {
		if v == nil {
			return "     -"
		}
		return fmt.Sprintf("%5.1f%%", 100**v)
	}
	fmt.Fprintf(w, "ISO/IEC 30107-3 evaluation of whole relay sessions against %s (seed %d, %d sessions per species)\n", r.Gateway, r.Seed, r.SessionsPerSpec)
	if len(r.Photos) > 0 {
		fmt.Fprintf(w, "photos: %s\n", strings.Join(r.Photos, ", "))
	}
	fmt.Fprintln(w, "rates over the sessions presented (admitted by the gateway)")
	fmt.Fprintf(w, "\n%-8s %9s %7s %7s %9s %12s %15s %9s %7s\n", "species", "presented", "match", "live", "no result", "APCER(match)", "APCER(liveness)", "not pres.", "mean s")
	for _, g := range r.Attacks {
		fmt.Fprintf(w, "%-8s %9d %7d %7d %9d %12s %15s %9d %7.1f\n", g.Species, g.Presented, g.Matched, g.PassedLiveness, g.NoResult,
			pct(g.APCERMatch), pct(g.APCERLiveness), g.NotPresented, g.MeanSeconds)
	}
	if len(r.Attacks) > 0 {
		fmt.Fprintf(w, "APCER(match) worst %s (%s), APCER(liveness) worst %s\n", pct(r.APCERMatchMax), r.WorstSpecies, pct(r.APCERLivenessMax))
	}
	if g := r.Genuine; g != nil {
		fmt.Fprintf(w, "\n%-8s %9s %7s %7s %9s %12s %15s %9s %7s\n", "", "presented", "match", "live", "no result", "BPCER(match)", "BPCER(liveness)", "not pres.", "mean s")
		fmt.Fprintf(w, "%-8s %9d %7d %7d %9d %12s %15s %9d %7.1f\n", "genuine", g.Presented, g.Matched, g.PassedLiveness, g.NoResult,
			pct(g.BPCERMatch), pct(g.BPCERLiveness), g.NotPresented, g.MeanSeconds)
	}
	fmt.Fprintln(w, "\noutcomes, result reasons and failed commands' reasons")
	groups := slices.Clone(r.Attacks)
	if r.Genuine != nil {
		groups = append(groups, *r.Genuine)
	}
	for _, g := range groups {
		fmt.Fprintf(w, "  %-8s outcomes %s; reasons %s; command failures %s\n", g.Species, counts(g.Outcomes), counts(g.Reasons), counts(g.CommandsFailed))
		srcs := make([]string, 0, len(g.BySource))
		for src := range g.BySource {
			srcs = append(srcs, src)
		}
		sort.Strings(srcs)
		for _, src := range srcs {
			fmt.Fprintf(w, "  %-8s   %s: %s\n", "", src, counts(g.BySource[src]))
		}
	}
	fmt.Fprintf(w, "\nsessions (%.0f s in all, %.1f s a presented session on average)\n", r.WallSeconds, r.MeanSessionSecond)
	for i := range r.Sessions {
		fmt.Fprintf(w, "  %s\n", sessionLine(&r.Sessions[i]))
	}
	if !r.Complete {
		fmt.Fprintf(w, "\nINCOMPLETE: %d sessions were not presented; the rates cover the others\n", r.NotPresented)
	}
}

// counts prints a count map sorted by name, "-" when empty.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
