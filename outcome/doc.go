// Package outcome is the one home of the words biogate decides with: the
// decision of a verification, the reasons behind it, the liveness verdict,
// the liveness commands and how each ended, what an IDEC call came to, and
// how a check departs from the rules.
//
// Every layer uses these types: liveness and its challenge state machine
// produce them, the gateway turns them into protocol messages, the signed
// document carries them and the evidence store counts them. They are
// signed into documents and reported to the regulator, so a value is never
// renamed: a new word is added, and the exhaustive tables here (All*
// functions and the mappings in map.go) make a test fail until every
// layer has a counterpart for it.
//
// The package imports nothing but the standard library.
package outcome
