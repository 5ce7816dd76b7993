// Package protocol defines the messages of biogated's WebSocket verification
// session (GET /v1/session): their Go types, their JSON encoding, the error
// codes with what each means for the session, and the checks on a start
// message. docs/protocol.md is the protocol's description for the people who
// write calling apps; this package and that document change together, and a
// test fails when a message type or an error code is missing from it.
//
// Every text message is one JSON object carrying "v" (the protocol Version)
// and "type" (a Type). Encode adds both; DecodeClient and DecodeServer check
// them and return the typed message as a pointer (*Start, *Result, ...).
// Unknown fields are ignored, unknown types are rejected: see the
// versioning rules in docs/protocol.md.
//
// Binary messages (camera frames in relay mode) are not decoded here: their
// byte layout and checks belong to devices/relay. The gateway maps that
// package's rejections to the Frame* error codes (see docs/protocol.md,
// "Binary frames").
//
// The package imports only the standard library and gateway/iin. Commands,
// quality hints and liveness decisions are plain strings here: the gateway
// never imports liveness or capture (and so never gocv). Nothing here keeps
// state; all functions are safe for concurrent use.
package protocol
