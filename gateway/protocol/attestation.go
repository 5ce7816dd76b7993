package protocol

import (
	"crypto/sha256"
	"encoding/base64"
)

// AttestationChallenge is the challenge an app attests for a session:
// SHA-256("biogate.attest.v1" || 0x00 || nonce || clientNonce), with
// nonce the bytes of hello's attestation.nonce (decoded from base64url)
// and clientNonce the UTF-8 bytes of start.client_nonce. Android apps set
// it as the key's attestation challenge; iOS apps pass its SHA-256 to
// attestKey as clientDataHash. ok is false when nonce is not unpadded
// base64url. It equals gateway/attest.Challenge, which the gateway
// verifies with.
func AttestationChallenge(nonce, clientNonce string) (challenge []byte, ok bool) {
	n, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil {
		return nil, false
	}
	h := sha256.New()
	h.Write([]byte("biogate.attest.v1\x00"))
	h.Write(n)
	h.Write([]byte(clientNonce))
	return h.Sum(nil), true
}
