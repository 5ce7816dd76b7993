// Package checkpoint anchors the evidence chain's end outside its database.
//
// The hash chain (gateway/evidence) shows an edited or missing entry in the
// middle, but someone who can write to the database can cut entries off its
// end and rewind the head, or rewrite the last entries and their hashes:
// nothing after them is left to disagree. A checkpoint is the gateway's
// signed statement "the chain had Seq entries, the last one hashed Hash, at
// Time", signed with its document key. After every append the gateway adds
// one to a file in its data folder (Log) and, optionally, sends it to a
// witness the database's writers cannot rewrite (syslog, DialSyslog, or a
// URL, HTTPWitness). Verifying the
// store against the checkpoints (Read, Set) shows a cut end (the store is
// shorter than a checkpoint) and a rewritten one (an entry's hash differs
// from the one signed).
//
// # Format
//
// One checkpoint a line: a compact JWS, signed by the same document.Signer
// as the result documents (so its header is theirs), whose payload is
//
//	{"type":"biogate-evidence-checkpoint","seq":N,"hash":"<hex>","time":"<RFC 3339>"}
//
// The payload's type tells it from a result document, and each is decoded
// strictly (no unknown member), so neither can pass for the other. A
// checkpoint carries no personal data.
package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/biogate/biogate/gateway/document"
)

// Type is the payload's "type" member.
const Type = "biogate-evidence-checkpoint"

// Errors callers branch on.
var (
	// ErrInvalid: a line is not a checkpoint signed by one of the keys.
	ErrInvalid = errors.New("checkpoint: not a checkpoint signed by the gateway's keys")
	// ErrFork: two genuine checkpoints name different hashes for one
	// position: the chain was cut and written again while the gateway ran.
	ErrFork = errors.New("checkpoint: the chain was rewound and rewritten")
)

// Checkpoint says the evidence chain had Seq entries, the last hashing to
// Hash, at Time.
type Checkpoint struct {
	Seq  int64     // the chain's length: the position of its last entry
	Hash string    // that entry's hash (hex SHA-256)
	Time time.Time // when the gateway signed it
}

// payload is the JSON that is signed.
type payload struct {
	Type string    `json:"type"`
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

// Sign returns c signed by s as a compact JWS.
func Sign(s document.Signer, c Checkpoint) (string, error) {
	b, err := json.Marshal(payload{Type: Type, Seq: c.Seq, Hash: c.Hash, Time: c.Time.UTC()})
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(b)
	if err != nil {
		return "", fmt.Errorf("checkpoint: sign: %w", err)
	}
	return jws, nil
}

// Verify checks a checkpoint's JWS against keys at now and returns it: the
// signature (document.VerifySignature), a strict payload of Type, and the
// signing key's validity at the checkpoint's time. Its errors wrap
// ErrInvalid.
func Verify(compact string, keys document.KeySet, now time.Time) (Checkpoint, error) {
	b, key, err := document.VerifySignature(compact, keys)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p payload
	if err := dec.Decode(&p); err != nil || dec.More() || p.Type != Type || p.Seq < 1 || len(p.Hash) != 64 || p.Time.IsZero() {
		return Checkpoint{}, fmt.Errorf("%w: payload is not a checkpoint", ErrInvalid)
	}
	if err := key.Covers(p.Time, now); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return Checkpoint{Seq: p.Seq, Hash: p.Hash, Time: p.Time.UTC()}, nil
}
