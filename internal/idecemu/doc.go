// Package idecemu is a stand-in for KCMR's identity data exchange centre
// (IDEC) with a real face matcher, speaking the assumed contract of
// gateway/idec/idechttp (wire.go, openapi.json) over HTTP: PathVerify,
// PathEnroll (the emulator's admin endpoint) and PathHealth. It lets the
// gateway, its tests and drills run against something that behaves like
// IDEC: it decodes the photo, finds the face (YuNet), embeds it
// (MobileFaceNet) and compares it with the reference photo enrolled for the
// IIN. A probe showing no face, or several people of comparable size, is
// 422 no_face; a reference photo gives its largest face.
//
// Verifications are idempotent by request id: a retry with the same id and
// body gets the recorded answer (same idec_request_id), the same id with
// another body is 409 request_id_reused. The last
// Config.IdempotencyEntries ids are remembered; 5xx answers are not
// recorded, so their retry is processed again.
//
// # Gallery
//
// The reference photos live in one folder (Config.Gallery): per person
// the photo as enrolled (<name>.jpg or <name>.png) and its embedding record
// (<name>.emb, JSON), both readable by their owner only (0600) because they
// are biometric data. The name is HMAC-SHA256 of the IIN under the
// gallery's name key (64 hex digits; the key in Config.NameKeyFile, by
// default .name-key in the folder, created on first use), and the record
// holds no IIN: a listing of the folder, or of its backup, does not say
// whose photos it holds. A gallery of the earlier format, named by the IIN,
// is migrated when a Server opens it. Files are written to a temporary name and renamed, the
// record last, so a reader sees a whole enrolment or none. Every lookup
// checks the record on disk (one stat), so a person enrolled, re-enrolled
// or removed by another process — `idec-emulator enroll` while `serve`
// runs — is seen by the next verification without polling.
//
// # Similarity
//
// The reported similarity is the embeddings' cosine mapped onto 0..1 by
// Similarity, a piecewise-linear calibration measured on the shared photos
// that puts same-person pairs at 0.95 and above and different people far
// below; the decision is Similarity >= Config.Threshold (DefaultThreshold,
// 0.95).
//
// # Faults
//
// Config.Faults makes every verification misbehave (latency, error
// statuses at a rate, hanging, a malformed body, a reset connection). A
// request can also ask for faults itself with the X-Emulator-Fault header
// (HeaderFault, e.g. "status=503", "latency=2s;reset"). That header is a
// test and drill facility of this emulator only: it is not part of the IDEC
// contract, the real IDEC knows nothing of it, and the gateway's client
// never sends it.
//
// # Transport
//
// IDEC is reached over mutual TLS. WriteDevCerts makes a development CA
// with server and client certificates; ServerTLSConfig and ClientTLSConfig
// load them. They are for development and tests only.
//
// Photos never appear in a log line or a response; logs carry request ids
// and outcomes, not IINs in full.
package idecemu
