// Package document builds, signs and verifies biogate's result documents.
//
// Kazakhstan's rules require every biometric authentication to end in an
// electronic document (the result, the time, the requesting organisation,
// the person's authentication data and the images of each command) that the
// bank or MFO signs and keeps. A Document is that record; its JSON is the
// payload of a JWS in compact serialisation, so a loan system that receives
// the result through a client app it does not control can check that the
// gateway wrote it and that nobody changed it on the way.
//
// The pieces:
//
//   - Document and its parts, with New and (*Document).Validate;
//   - Signer, the one method a signing key needs, and Sign, which validates a
//     document and signs its JSON. KeySigner signs with a key go-jose knows
//     (Ed25519 by default) or with a jose.OpaqueSigner, which is how a key in
//     an HSM or a signature under the national CA (GOST, through NCALayer)
//     plugs in without changing callers;
//   - Keyring, the gateway's Ed25519 keys in a folder: created on first use,
//     rotated by configuration, retired keys kept for verification for a
//     configured time; it is itself a Signer;
//   - KeySet and Verify, which check a document against public keys with
//     their validity periods and say, through sentinel errors, which check
//     failed; VerifySignature, the signature checks alone, for the other
//     statements signed with the document key (the evidence checkpoints);
//   - the JWKS (RFC 7517) of the keyring, served at
//     /.well-known/jwks.json by (*Keyring).Handler and read by ParseJWKS.
//
// Images are not in the document: each is referenced by its SHA-256 digest
// (ImageRef), and the JPEGs go to the evidence store, encrypted. The
// document's PrevHash ties it to the evidence chain.
//
// Nothing here logs. A document holds an IIN in clear (the rules ask for
// it): treat documents as personal data.
package document
