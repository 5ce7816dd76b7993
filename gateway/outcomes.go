package gateway

import (
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
)

// ending is how a session ends: with a decision and its reason, or, when
// code is set, failed with that protocol error code (which is then its
// reason; see session.fail).
type ending struct {
	decision outcome.Decision
	reason   outcome.Reason // "" only for a match
	code     protocol.ErrorCode
}

// livenessEndings says how a session ends for each liveness verdict of
// its pipeline. A live verdict is absent: the session goes on to IDEC.
// Every verdict of package outcome is here or is Live (outcomes_test.go).
var livenessEndings = map[outcome.Liveness]ending{
	outcome.LivenessSpoof:   {decision: outcome.Spoof, reason: outcome.ReasonPassiveSpoof},
	outcome.LivenessRefused: {decision: outcome.Refused, reason: outcome.ReasonAttemptsExhausted},
	outcome.Undecided:       {decision: outcome.Error, reason: outcome.ReasonPassiveUndecided},
}

// idecEndings says how a session ends for each outcome of its IDEC call
// (idec.Classify). A session whose own context ended never gets here (it
// ends as aborted or timed out). Every IDEC outcome of package outcome is
// here (outcomes_test.go).
var idecEndings = map[outcome.IDEC]ending{
	outcome.IDECMatch:             {decision: outcome.Match},
	outcome.IDECNoMatch:           {decision: outcome.NoMatch, reason: outcome.ReasonBelowThreshold},
	outcome.IDECUnknownIIN:        {decision: outcome.Error, reason: outcome.ReasonUnknownIIN},
	outcome.IDECNoReferencePhoto:  {decision: outcome.Error, reason: outcome.ReasonNoReferencePhoto},
	outcome.IDECNoFace:            {decision: outcome.Error, reason: outcome.ReasonNoFace},
	outcome.IDECNoFinger:          {decision: outcome.Error, reason: outcome.ReasonNoFinger},
	outcome.IDECNoReferenceFinger: {decision: outcome.Error, reason: outcome.ReasonNoReferenceFinger},
	outcome.IDECTimeout:           {code: protocol.CodeIDECTimeout},
	outcome.IDECUnavailable:       {code: protocol.CodeIDECUnavailable},
	outcome.IDECBreakerOpen:       {code: protocol.CodeIDECUnavailable},
	// Ours to fix, not the person's: logged as errors.
	outcome.IDECInvalidRequest: {code: protocol.CodeInternal},
	outcome.IDECBadResponse:    {code: protocol.CodeInternal},
	outcome.IDECCanceled:       {code: protocol.CodeInternal},
}

// idecEnding is the ending of an IDEC outcome; an outcome missing from
// the table (which a test prevents) ends as an internal error.
func idecEnding(o outcome.IDEC) ending {
	if e, ok := idecEndings[o]; ok {
		return e
	}
	return ending{code: protocol.CodeInternal}
}
