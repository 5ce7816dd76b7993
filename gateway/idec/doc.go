// Package idec is biogate's contract with KCMR's identity data exchange
// centre (IDEC), which compares a live face with the reference photo the
// state holds for an IIN: the requests and results, the classified errors,
// the Transport interface that carries one attempt, and the Client that
// makes any transport resilient. The real contract is not public; the HTTP
// transport of the one assumed (openapi.json, the wire types) is
// idec/idechttp, and only it and cmd/idec-emulator know the wire format, so
// the real contract replaces it in one place.
//
// A Client (see New and Config; idechttp.New for IDEC over HTTP) makes the
// request id (a UUIDv4, the idempotency key, kept across retries), retries
// only where the transport says a retry cannot change what the caller saw
// (over HTTP: a failed connection, an attempt without any response in
// time, 502/503/504), backs off with full jitter, never outlives its
// deadline, caps the attempts in flight and stops calling an IDEC that
// keeps failing with a circuit breaker. A no-match is a Result; errors are
// *Error values classified with errors.Is against the package's sentinels.
//
// Metrics (on Config.Registerer): biogate_idec_requests_total{outcome},
// biogate_idec_request_duration_seconds, biogate_idec_breaker_state (0
// closed, 1 half-open, 2 open) and biogate_idec_retries_total.
//
// Biometric data (photos) never appears in a log line or an error, nor do
// the IIN, the BIN or the consent reference.
package idec
