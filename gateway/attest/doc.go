// Package attest verifies that a relay session's calling app is the
// genuine app on a genuine device: Android hardware key attestation and
// Apple App Attest, each checked offline against the vendor's published
// root certificates, with the session's challenge bound in.
//
// A platform's Verifier (Android, Apple) takes the app's Evidence and the
// challenge the session expects (Challenge) and returns an Outcome value:
// valid, or invalid with a stable Reason; never an error, since a bad
// attestation is what an attacker sends, not a failure of the gateway.
// Verifiers bundles one per platform and says absent when the app sent
// nothing.
//
// The vendors' roots are embedded (roots/*.pem, each naming its source);
// a Config may replace them (tests, or a root published after this
// build). Play Integrity verdicts are not verified: they are encrypted
// with keys that Google hands to each app's developer in the Play Console,
// so an offline check needs those keys and no public sample exists to test
// it with.
//
// The package depends on the standard library only, and logs nothing.
package attest
