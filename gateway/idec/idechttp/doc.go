// Package idechttp is the HTTP transport of the assumed IDEC contract:
// mutual TLS with a pinned CA, the JSON wire types (openapi.json beside
// them is the contract's one written description), and the mapping of
// statuses and error codes to idec's classified errors. Only this package
// and cmd/idec-emulator know the wire format, so the real contract
// replaces it in one place.
//
// New makes an *idec.Client over a Transport in one call; the client adds
// retries, the circuit breaker, the in-flight cap and the metrics.
package idechttp
