// Package gateway serves biogated's verification sessions over WebSocket
// (GET /v1/session), as docs/protocol.md and gateway/protocol define them,
// plus /healthz and /readyz. Its metrics go to Config.Registerer; the
// caller serves them where it chooses (biogated: a listener of their own).
//
// A Server authenticates the API key (Authorization: Bearer or X-API-Key,
// never the URL), the Origin (scheme, host and port) and the key's rate
// before the upgrade; caps the connections waiting for start and, from
// start on, the concurrent sessions, overall and per key (capacity.go);
// and runs each session's state machine: hello → waiting_start →
// capturing → liveness → submitting → done. Capture and liveness run behind
// the Pipeline interface, matching behind Verifier and kiosk cameras behind
// Cameras: all three are declared here and implemented outside (package
// pipeline, gateway/idec, internal/daemon's kiosk cameras), so this package
// never imports gocv or gousb. Relay mode feeds a RelayCamera
// (made by Config.Relay: internal/relaycam over devices/relay) with the
// socket's binary messages; this package imports only the devices contract.
//
// API keys carry the scopes kiosk, relay and admin (ParseKeys). A key
// needs kiosk or relay to open a socket (else 403 forbidden_scope before
// the upgrade), and the scope of the start's camera.mode (else a non-fatal
// forbidden_scope error on the socket); admin opens no session.
// docs/protocol.md still names a single "session" scope and will follow.
//
// A relay key may also ask for app attestation (attestation=report or
// require on its line): hello then carries a nonce for the session, and
// the relay start's attestation is checked by the Attester declared here
// (gateway/attest implements it, offline) against a challenge that binds
// the nonce and the start's client_nonce (attestation.go). require refuses
// a start without a valid one before it takes a session slot; the outcome
// goes into the result's document either way.
//
// Each connection runs its reader in the HTTP handler, its writer in a
// goroutine the handler waits for, and its pipeline in another; the
// handler returns only when both are gone, and Shutdown returns only when
// every handler has. Outbound messages go through a bounded queue: quality
// and progress messages are dropped when it is full, anything else drops
// the client (slow_consumer).
//
// Logs never carry the IIN, the consent record, the API key or biometric
// data; the session id is the key to logs, metrics and support.
package gateway
