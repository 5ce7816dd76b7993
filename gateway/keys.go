package gateway

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Scope is what an API key may do.
type Scope string

// Scopes of an API key.
const (
	// ScopeKiosk allows sessions with camera.mode "kiosk".
	ScopeKiosk Scope = "kiosk"
	// ScopeRelay allows sessions with camera.mode "relay".
	ScopeRelay Scope = "relay"
	// ScopeAdmin allows the administrative endpoints (none are served by
	// this package yet); it does not allow sessions.
	ScopeAdmin Scope = "admin"
)

// AttestPolicy is what an API key asks of the app attestation of its
// relay sessions (docs/protocol.md, "App attestation").
type AttestPolicy string

// Attestation policies.
const (
	// AttestOff: nothing is announced, checked or recorded (the default).
	AttestOff AttestPolicy = "off"
	// AttestReport: hello announces a nonce; the start's attestation is
	// verified and recorded in the document, and never refuses.
	AttestReport AttestPolicy = "report"
	// AttestRequire: as report, and a start without a valid attestation
	// is refused (attestation_required, attestation_failed).
	AttestRequire AttestPolicy = "require"
)

// minKeyLen is the shortest key ParseKeys accepts: shorter ones can be
// guessed.
const minKeyLen = 16

// Keys is the set of API keys and their scopes. Keys are kept only as
// SHA-256 digests and compared in constant time. The zero Keys accepts no
// key. A Keys is immutable and safe for concurrent use.
type Keys struct {
	entries []keyEntry
}

type keyEntry struct {
	digest [sha256.Size]byte
	scopes map[Scope]bool
	attest AttestPolicy
	// name identifies the key in logs without revealing it: "line N".
	name string
}

// key is an authenticated key: what a session knows of its caller.
type key struct {
	name   string
	scopes map[Scope]bool
	attest AttestPolicy
}

func (k key) has(s Scope) bool { return k.scopes[s] }

// ParseKeys reads an --api-keys file: one "KEY SCOPE[,SCOPE...]
// [attestation=POLICY]" per line, blank lines and lines starting with '#'
// ignored. Keys are at least 16 characters without spaces; scopes are
// kiosk, relay and admin; the attestation policy (off, report, require;
// off when absent) applies to the key's relay sessions and needs the relay
// scope. Errors name the line, never the key.
func ParseKeys(r io.Reader) (Keys, error) {
	var ks Keys
	seen := map[[sha256.Size]byte]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 {
			return Keys{}, fmt.Errorf("gateway: api keys line %d: want KEY SCOPE[,SCOPE...] [attestation=POLICY]", n)
		}
		if len(f[0]) < minKeyLen {
			return Keys{}, fmt.Errorf("gateway: api keys line %d: key shorter than %d characters", n, minKeyLen)
		}
		e := keyEntry{digest: sha256.Sum256([]byte(f[0])), scopes: map[Scope]bool{}, attest: AttestOff, name: fmt.Sprintf("line %d", n)}
		for _, s := range strings.Split(f[1], ",") {
			switch sc := Scope(s); sc {
			case ScopeKiosk, ScopeRelay, ScopeAdmin:
				e.scopes[sc] = true
			default:
				return Keys{}, fmt.Errorf("gateway: api keys line %d: unknown scope %q", n, s)
			}
		}
		if len(f) == 3 {
			v, ok := strings.CutPrefix(f[2], "attestation=")
			switch p := AttestPolicy(v); {
			case !ok:
				return Keys{}, fmt.Errorf("gateway: api keys line %d: unknown option (want attestation=POLICY)", n)
			case p != AttestOff && p != AttestReport && p != AttestRequire:
				return Keys{}, fmt.Errorf("gateway: api keys line %d: attestation must be off, report or require", n)
			case p != AttestOff && !e.scopes[ScopeRelay]:
				return Keys{}, fmt.Errorf("gateway: api keys line %d: attestation applies to relay sessions: the key needs the relay scope", n)
			default:
				e.attest = p
			}
		}
		if prev, dup := seen[e.digest]; dup {
			return Keys{}, fmt.Errorf("gateway: api keys line %d: same key as line %d", n, prev)
		}
		seen[e.digest] = n
		ks.entries = append(ks.entries, e)
	}
	if err := sc.Err(); err != nil {
		return Keys{}, fmt.Errorf("gateway: read api keys: %w", err)
	}
	if len(ks.entries) == 0 {
		return Keys{}, errors.New("gateway: api keys: no key")
	}
	return ks, nil
}

// Len is the number of keys.
func (ks Keys) Len() int { return len(ks.entries) }

// lookup finds the key in constant time with respect to its value: every
// entry is compared, digests of equal length.
func (ks Keys) lookup(presented string) (key, bool) {
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range ks.entries {
		if subtle.ConstantTimeCompare(d[:], ks.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 || presented == "" {
		return key{}, false
	}
	e := ks.entries[found]
	return key{name: e.name, scopes: e.scopes, attest: e.attest}, true
}

// Attesting reports whether a key asks for app attestation (policy report
// or require): the gateway then needs an Attester.
func (ks Keys) Attesting() bool {
	for _, e := range ks.entries {
		if e.attest != AttestOff {
			return true
		}
	}
	return false
}

// Subprotocols of a browser's WebSocket: browsers cannot set headers on a
// WebSocket, so a page sends its key as a subprotocol (docs/protocol.md).
const (
	// SubprotocolV1 is the subprotocol the gateway answers with.
	SubprotocolV1 = "biogate.v1"
	// SubprotocolKeyPrefix is followed by the API key in unpadded base64url.
	SubprotocolKeyPrefix = "biogate.key."
)

// keyFromRequest returns the API key from the Authorization: Bearer or the
// X-API-Key header, else from a biogate.key. subprotocol; the URL is never
// read.
func keyFromRequest(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		const p = "bearer "
		if len(a) > len(p) && strings.EqualFold(a[:len(p)], p) {
			return strings.TrimSpace(a[len(p):])
		}
		return ""
	}
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return k
	}
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if enc, ok := strings.CutPrefix(p, SubprotocolKeyPrefix); ok {
				k, err := base64.RawURLEncoding.DecodeString(enc)
				if err != nil {
					return ""
				}
				return string(k)
			}
		}
	}
	return ""
}
