package challenge

import (
	"time"

	"github.com/biogate/biogate/outcome"
)

// Kind says what an Event reports.
type Kind string

// Event kinds, in the order a session meets them.
const (
	// KindBaseline: the neutral baseline was taken; an attempt begins and
	// its first command follows at once (Attempt is set).
	KindBaseline Kind = "baseline"
	// KindIssued: a command is issued; show it to the person now (Command,
	// Attempt, Index).
	KindIssued Kind = "issued"
	// KindProgress: the current command's progress changed by at least
	// 0.05, or this sample is a new peak (Peak true: keep this frame's image,
	// it may become the command's evidence).
	KindProgress Kind = "progress"
	// KindPassed: the command passed; Seq is its peak frame's Seq, the
	// frame to put in the result document for this command.
	KindPassed Kind = "passed"
	// KindFailed: the command failed (Reason); the attempt ends with it.
	KindFailed Kind = "failed"
	// KindAttemptFailed: the attempt failed (Reason repeats the command's).
	// Unless KindRefused follows, a new attempt will begin with a fresh
	// baseline and freshly drawn commands.
	KindAttemptFailed Kind = "attempt_failed"
	// KindSucceeded: every command of the attempt passed. Final.
	KindSucceeded Kind = "succeeded"
	// KindRefused: the last allowed attempt failed. Final.
	KindRefused Kind = "refused"
)

// Event is one thing the challenge reports. Fields that do not apply to a
// Kind are zero.
type Event struct {
	Kind Kind `json:"kind"`
	// Command is the command concerned (issued, progress, passed, failed).
	Command Command `json:"command,omitempty"`
	// Progress is the command's progress, 0-1 (progress, passed).
	Progress float64 `json:"progress,omitempty"`
	// Peak is true on a progress event whose sample is the command's
	// largest response so far.
	Peak bool `json:"peak,omitempty"`
	// Reason is why a command or attempt failed (failed, attempt_failed,
	// refused).
	Reason Reason `json:"reason,omitempty"`
	// Attempt is the attempt, 1-based.
	Attempt int `json:"attempt"`
	// Index is the command's position in its attempt, 0-based.
	Index int `json:"index"`
	// Time is the time of the sample (or of Tick's now) that caused the
	// event.
	Time time.Time `json:"time"`
	// Seq is the Seq of the sample that caused the event; on passed, the
	// Seq of the command's peak frame; for an event from Tick, the last
	// sample's.
	Seq uint64 `json:"seq"`
}

// Outcome is how an issued command ended, in the words of package outcome.
type Outcome = outcome.CommandOutcome

// Command outcomes.
const (
	// OutcomePending: the command is current (or the challenge stopped
	// being fed while it was).
	OutcomePending = outcome.CommandPending
	// OutcomePassed: the command passed.
	OutcomePassed = outcome.CommandOutcomePassed
	// OutcomeFailed: the command failed; CommandResult.Reason says why.
	OutcomeFailed = outcome.CommandOutcomeFailed
)

// CommandResult is one issued command as the result document records it.
type CommandResult struct {
	Command Command `json:"command"`
	Outcome Outcome `json:"outcome"`
	// Reason is set when Outcome is OutcomeFailed.
	Reason Reason `json:"reason,omitempty"`
	// Issued and Ended are sample times (Ended is zero while pending).
	Issued time.Time `json:"issued"`
	Ended  time.Time `json:"ended"`
	// Peak is the largest response to the command, in threshold units (1
	// is the threshold); 0 if the person never moved in its direction.
	Peak float64 `json:"peak"`
	// PeakSeq is the Seq of the peak frame; meaningful when Peak > 0.
	PeakSeq uint64 `json:"peak_seq"`
}

// Result is the challenge's outcome so far; final once Done.
type Result struct {
	// Passed: an attempt passed all its commands.
	Passed bool `json:"passed"`
	// Refused: every allowed attempt failed.
	Refused bool `json:"refused"`
	// Attempts is the number of attempts begun (a baseline taken and a
	// first command issued).
	Attempts int `json:"attempts"`
	// Commands[i] are the commands issued in attempt i+1, in order.
	Commands [][]CommandResult `json:"commands"`
	// Random is false when the commands came from Config.Fixed.
	Random bool `json:"random"`
	// Departures lists how this check departs from the rules, for tests
	// and demos: DepartureFixedCommands, DepartureFewCommands. Empty for a
	// check under the rules.
	Departures []string `json:"departs_from_rules,omitempty"`
}

// Departures from the rules that a Result names.
const (
	// DepartureFixedCommands: the commands were fixed, not random, so a
	// recording could anticipate them.
	DepartureFixedCommands = string(outcome.FixedCommands)
	// DepartureFewCommands: fewer than MinCount commands per attempt.
	DepartureFewCommands = string(outcome.FewerThan3Commands)
)
