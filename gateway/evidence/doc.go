// Package evidence is the tamper-evident store of verification evidence:
// every verification ends in a signed document, appended here with the
// images it was decided on. It runs on a SQLite file by default and on
// PostgreSQL for a fleet of gateways sharing one database (Open).
//
// # The chain
//
// Documents form one hash chain. Entry n (seq n, from 1, contiguous) stores
// hash(n) = SHA-256 over a canonical, length-prefixed encoding of
//
//	seq, hash(n-1) ("" for the first), id, time (Unix ns), decision,
//	reasons, BIN, gateway id, SHA-256 of the signed document,
//	and for each image in order: its name and the SHA-256 of its JPEG
//
// and a one-row head names the last entry. Append runs the caller's seal
// function inside the append's transaction with hash(n-1), so the signed
// document itself names its predecessor; appends from any number of
// processes serialise on the head (SQLite's write lock, a row lock on
// PostgreSQL) and each is one transaction: a crash never leaves half an
// entry. Verify recomputes every hash in one snapshot and reports the first
// entry whose content, link or presence does not match: an edited field,
// document or image digest, a deleted entry, a cut-off end whose head was
// not rewound. Verify alone cannot see entries cut off the end together with
// a rewound head, or the last entries rewritten with their hashes. The
// anchors outside the database are the gateway's signed checkpoints of the
// chain's end (package checkpoint), each stored document's signature and its
// agreement with the row's columns (the caller checks through
// VerifyDocuments), and the signed documents the clients hold.
//
// # What is encrypted
//
// Images (biometric data) are encrypted at rest with AES-256-GCM under
// Options.ImageKey (LoadOrCreateKey keeps one in a file), a random nonce each,
// with the document id and image name as additional data so a ciphertext
// cannot be moved to another row. Only their plaintext digests enter the
// hashes. Documents, decisions and the chain are not encrypted: they are the
// record the regulator and auditors read, and carry no images. Lockout
// failures are kept under an opaque key the caller derives (an HMAC of the
// IIN), never the IIN. Frame hashes (RecordFrames, for the replay cue) are
// not encrypted, since lookups compare their bands: they are perceptual
// hashes of whole frames (64 and 256 bits, no image can be rebuilt from
// them), derived from images with a face in them, so they are kept under an
// opaque session id of the cue's (no IIN, no subject key, no document id)
// and the caller prunes them (PruneFrames) no later than the images.
//
// # Retention
//
// Purge drops the images of documents older than a date. The documents,
// their hashes and the images' names and digests stay, so the chain still
// verifies, and Get then reports ErrImagesPurged with the rest of the record.
//
// # Schema
//
// Migrations are embedded SQL per dialect (migrations/), applied at Open in
// one transaction that excludes other migrating processes and recorded in
// schema_migrations; a database from a newer biogate is refused
// (ErrSchemaTooNew).
package evidence
