// Package idecemu is a stand-in for KCMR's identity data exchange centre
// (IDEC) with real matchers, speaking the assumed contract of
// gateway/idec/idechttp (wire.go, openapi.json) over HTTP: PathVerify and
// PathVerifyFinger, PathEnroll and PathEnrollFinger (the emulator's admin
// endpoints) and PathHealth. It lets the gateway, its tests and drills run
// against something that behaves like IDEC.
//
// A face verification decodes the photo, finds the face (YuNet), embeds it
// (MobileFaceNet) and compares it with the reference photo enrolled for
// the IIN. A probe showing no face, or several people of comparable size,
// is 422 no_face; a reference photo gives its largest face.
//
// A fingerprint verification takes an ISO/IEC 19794-4 finger image record
// (WSQ, PNG, JPEG or uncompressed inside) or an ISO/IEC 19794-2 minutiae
// record, extracts the minutiae of an image (package fingerprint, a
// SourceAFIS port) and compares them with the reference of that finger
// enrolled for the IIN. A blank image, or a sample without minutiae, is 422
// no_finger; a position outside 1-10, another format, or a record that does
// not parse as its format is 400 invalid_request. The position in the
// request names the finger; a record's own position field is not checked.
//
// An IIN with nothing enrolled is 404 unknown_iin for both. A person
// enrolled without the reference asked for is 409: no_reference_photo
// when only fingerprints are enrolled, no_reference_finger when the photo
// or other fingers are but not this finger.
//
// Decoding, extraction and comparison are CPU work (some 50 ms for an
// image): fingerprint requests take the face matchers' slots
// (Config.Matchers, Config.MaxPending), so a flood of either kind is
// answered 503 unavailable rather than piling up goroutines.
//
// Verifications (of faces and fingers alike) are idempotent by request id:
// a retry with the same id and body gets the recorded answer (same
// idec_request_id), the same id with another body, or at the other
// endpoint, is 409 request_id_reused. The last
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
// is migrated when a Server opens it.
//
// Fingerprints are kept per person and finger as <name>.f<position>.fmr
// (position 1-10): the template made at enrolment, written as an ISO/IEC
// 19794-2:2005 minutiae record (one view of that finger, 500 ppi) whatever
// was enrolled, an image or a minutiae record; neither the image nor the
// record as sent is kept. Enrolling a finger replaces that finger only.
//
// Files are written to a temporary name and renamed, the photo's record
// last, so a reader sees a whole enrolment or none. Every lookup checks the
// record (or the finger's file) on disk (one stat), so a person enrolled, re-enrolled
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
// For a fingerprint the decision is on fingerprint.Compare's score: a match
// when score >= Config.FingerThreshold (fingerprint.DefaultThreshold, FMR
// 1/10,000 by the matcher's calibration). The reported similarity is
// FingerSimilarity, 1 - 2^(-score/threshold): 0.5 at the threshold.
//
// # Faults
//
// Config.Faults makes every verification (of a face or a finger) misbehave (latency, error
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
// Photos, fingerprint records and templates never appear in a log line or
// a response; logs carry request ids, finger positions and outcomes, not
// IINs in full.
package idecemu
