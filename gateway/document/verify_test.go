package document

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	s, key := newEd25519(t, t0.Add(-time.Hour))
	d := sample(t0)
	jws := mustSign(t, s, d)
	h, err := ParseHeader(jws)
	if err != nil {
		t.Fatal(err)
	}
	if h != (Header{Algorithm: "EdDSA", KeyID: s.KeyID(), Type: Type}) {
		t.Errorf("header %+v", h)
	}
	got, err := Verify(jws, KeySet{key}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Marshal(d)
	if back, _ := Marshal(got); string(back) != string(want) {
		t.Errorf("verified document differs:\n%s\n%s", back, want)
	}
	// Surrounding white space, as from a file, does not matter.
	if _, err := Verify("\n"+jws+"\n", KeySet{key}, t0); err != nil {
		t.Errorf("with white space: %v", err)
	}
}

// TestVerifyReadsVersion1: a document signed before version 2 (no cues)
// still verifies, and says which version it is; the same payload with
// version 2's cues added cannot pass as version 1.
func TestVerifyReadsVersion1(t *testing.T) {
	s, key := newEd25519(t, t0.Add(-time.Hour))
	d := sample(t0)
	d.V, d.Liveness.Passive.Cues, d.Liveness.Passive.FusionBias, d.Modality = 1, nil, 0, ""
	payload, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(payload), `{"v":1,`) || strings.Contains(string(payload), `"cues"`) {
		t.Fatalf("version 1 payload %s", payload)
	}
	got, err := Verify(mustSign(t, s, d), KeySet{key}, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("version 1 document: %v", err)
	}
	if got.V != 1 || got.Liveness.Passive.Cues != nil {
		t.Errorf("version 1 read as %+v", got)
	}
	withCues := strings.Replace(string(payload), `"frames":84}`, `"frames":84,"cues":[{"name":"model","score":0.9,"weight":1,"available":true,"contribution":2.2}]}`, 1)
	jws, err := s.Sign([]byte(withCues))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(jws, KeySet{key}, t0.Add(time.Minute)); !errors.Is(err, ErrInvalid) {
		t.Errorf("version 1 with cues: %v, want ErrInvalid", err)
	}
}

// Every byte of the JWS is covered: a change in the header fails one of the
// header's checks or the signature, a change in the payload or the
// signature fails the signature.
func TestVerifyRejectsAnyChangedByte(t *testing.T) {
	s, key := newEd25519(t, t0.Add(-time.Hour))
	jws := mustSign(t, s, sample(t0))
	headerEnd, payloadEnd := strings.Index(jws, "."), strings.LastIndex(jws, ".")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(jws) {
		if i == headerEnd || i == payloadEnd {
			continue
		}
		b := []byte(jws)
		// Flip the top bit of the character's 6-bit value: a bit that every
		// position carries, even a segment's last character.
		b[i] = alphabet[strings.IndexByte(alphabet, b[i])^32]
		_, err := Verify(string(b), KeySet{key}, t0)
		switch {
		case err == nil:
			t.Fatalf("byte %d changed: verified", i)
		case i > headerEnd && !errors.Is(err, ErrSignature):
			t.Fatalf("byte %d (payload or signature) changed: %v, want ErrSignature", i, err)
		case i < headerEnd && !isOneOf(err, ErrMalformed, ErrAlgorithm, ErrType, ErrUnknownKey, ErrSignature):
			t.Fatalf("byte %d (header) changed: %v, want a sentinel", i, err)
		}
	}
	// A last character that decodes to the same bytes through its unused
	// bits is refused too: one signature, one string.
	sig := segments(t, jws)[2] // 64 bytes: 86 characters, the last with 4 unused bits
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	b := []byte(jws)
	b[len(b)-1] = alphabet[last^1]
	if _, err := Verify(string(b), KeySet{key}, t0); !errors.Is(err, ErrMalformed) {
		t.Errorf("non-canonical base64: %v, want ErrMalformed", err)
	}
	for _, bad := range []string{"", "abc", jws + ".x", strings.Replace(jws, ".", "", 1), "!" + jws[1:]} {
		if _, err := Verify(bad, KeySet{key}, t0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%.20q...: %v, want ErrMalformed", bad, err)
		}
	}
}

func isOneOf(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// resign signs a payload edited as JSON with s, so that only the
// document's own checks can catch the edit.
func resign(t *testing.T, s Signer, d *Document, edit func(map[string]any)) string {
	t.Helper()
	payload, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if payload, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// token builds a compact JWS by hand: header JSON, payload, signature
// function over the signing input.
func token(header map[string]any, payload []byte, sign func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(payload)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

func TestVerifyFailsWithTheCheckThatFailed(t *testing.T) {
	s, key := newEd25519(t, t0.Add(-time.Hour))
	keys := KeySet{key}
	payload, err := Marshal(sample(t0))
	if err != nil {
		t.Fatal(err)
	}
	pub := []byte(key.Public.(ed25519.PublicKey))

	_, _, impostor := newKeyPair(t, t0.Add(-time.Hour))
	sameKid, err := NewKeySigner(s.KeyID(), jose.EdDSA, impostor)
	if err != nil {
		t.Fatal(err)
	}
	strangerKid, err := NewKeySigner("not-a-key-we-know", jose.EdDSA, impostor)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	es256, err := NewKeySigner(s.KeyID(), jose.ES256, ecKey)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		jws  string
		now  time.Time
		want error
	}{
		{"another key claiming the same kid", mustSign(t, sameKid, sample(t0)), t0, ErrSignature},
		{"unknown kid", mustSign(t, strangerKid, sample(t0)), t0, ErrUnknownKey},
		{"required member removed and re-signed", resign(t, s, sample(t0), func(m map[string]any) { delete(m, "session_id") }), t0, ErrInvalid},
		{"unknown member added and re-signed", resign(t, s, sample(t0), func(m map[string]any) { m["override"] = true }), t0, ErrMalformed},
		{"alg none", token(map[string]any{"alg": "none", "kid": s.KeyID(), "typ": Type}, payload, func([]byte) []byte { return nil }), t0, ErrAlgorithm},
		{"HS256 with the public key as secret", token(map[string]any{"alg": "HS256", "kid": s.KeyID(), "typ": Type}, payload, func(in []byte) []byte {
			m := hmac.New(sha256.New, pub)
			m.Write(in)
			return m.Sum(nil)
		}), t0, ErrAlgorithm},
		{"another algorithm than the key's", mustSign(t, es256, sample(t0)), t0, ErrAlgorithm},
		{"wrong typ", token(map[string]any{"alg": "EdDSA", "kid": s.KeyID(), "typ": "JWT"}, payload, func([]byte) []byte { return nil }), t0, ErrType},
		{"no kid", token(map[string]any{"alg": "EdDSA", "typ": Type}, payload, func([]byte) []byte { return nil }), t0, ErrUnknownKey},
		{"issued in the future", mustSign(t, s, sample(t0.Add(10*time.Minute))), t0, ErrFuture},
		{"issued before the key existed", mustSign(t, s, sample(t0.Add(-2*time.Hour))), t0, ErrKeyExpired},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Verify(c.jws, keys, c.now)
			if !errors.Is(err, c.want) || d != nil {
				t.Fatalf("got %v (document %v), want %v", err, d != nil, c.want)
			}
		})
	}
}

func TestVerifyChecksTheKeysValidityPeriod(t *testing.T) {
	s, key := newEd25519(t, t0)
	retired, notAfter := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	key.RetiredAt, key.NotAfter = retired, notAfter
	for _, c := range []struct {
		name        string
		issued, now time.Time
		want        error
	}{
		{"issued while the key signed", t0.Add(time.Hour), t0.Add(time.Hour), nil},
		{"verified after retirement, in the window", t0.Add(time.Hour), notAfter.Add(-time.Second), nil},
		{"issued just after retirement, within the clock skew", retired.Add(ClockSkew / 2), retired.Add(ClockSkew), nil},
		{"issued after the key retired", retired.Add(time.Hour), retired.Add(time.Hour), ErrKeyExpired},
		{"verified after the window closed", t0.Add(time.Hour), notAfter.Add(time.Second), ErrKeyExpired},
		{"issued before the key began", t0.Add(-time.Hour), t0, ErrKeyExpired},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(mustSign(t, s, sample(c.issued)), KeySet{key}, c.now)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewKeySignerRefusesUnsafeAlgorithms(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{"", "none", jose.HS256, jose.HS512} {
		if _, err := NewKeySigner("k", alg, []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("%q: %v, want ErrAlgorithm", alg, err)
		}
	}
}

// opaqueEd25519 stands for a key the process cannot read (an HSM, a GOST
// signature through NCALayer): go-jose only sees SignPayload.
type opaqueEd25519 struct {
	priv ed25519.PrivateKey
	alg  jose.SignatureAlgorithm
}

func (o opaqueEd25519) Public() *jose.JSONWebKey        { return &jose.JSONWebKey{Key: o.priv.Public()} }
func (o opaqueEd25519) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{o.alg} }
func (o opaqueEd25519) SignPayload(p []byte, _ jose.SignatureAlgorithm) ([]byte, error) {
	return ed25519.Sign(o.priv, p), nil
}

type opaqueVerifier struct{ pub ed25519.PublicKey }

func (o opaqueVerifier) VerifyPayload(p, sig []byte, _ jose.SignatureAlgorithm) error {
	if !ed25519.Verify(o.pub, p, sig) {
		return errors.New("bad signature")
	}
	return nil
}

// A signer and verifier outside go-jose's algorithms plug in through
// jose.OpaqueSigner and jose.OpaqueVerifier, with their own "alg".
func TestOpaqueSignerAndVerifierPlugIn(t *testing.T) {
	const alg = "X-GOST-like"
	_, key, priv := newKeyPair(t, t0.Add(-time.Hour))
	s, err := NewKeySigner("hsm-1", alg, opaqueEd25519{priv: priv, alg: alg})
	if err != nil {
		t.Fatal(err)
	}
	jws := mustSign(t, s, sample(t0))
	keys := KeySet{{ID: "hsm-1", Algorithm: alg, Public: opaqueVerifier{pub: key.Public.(ed25519.PublicKey)}, NotBefore: t0.Add(-time.Hour)}}
	if _, err := Verify(jws, keys, t0); err != nil {
		t.Fatal(err)
	}
	_, other, _ := newKeyPair(t, t0)
	keys[0].Public = opaqueVerifier{pub: other.Public.(ed25519.PublicKey)}
	if _, err := Verify(jws, keys, t0); !errors.Is(err, ErrSignature) {
		t.Fatalf("with another key: %v, want ErrSignature", err)
	}
}

// TestVerifyWithReplay: a document of an earlier request verifies with
// Verify alone (the replay the relying party must catch); VerifyWith
// refuses it for its nonce and for its age, and accepts the answer to the
// request that was asked, while it is fresh.
func TestVerifyWithReplay(t *testing.T) {
	s, key := newEd25519(t, t0.Add(-time.Hour))
	old := sample(t0)
	old.ClientNonce = "nonce-of-last-weeks-request"
	oldJWS := mustSign(t, s, old)
	fresh := sample(t0.Add(7 * 24 * time.Hour))
	fresh.ClientNonce = "nonce-of-todays-request-42"
	freshJWS := mustSign(t, s, fresh)
	now := fresh.IssuedAt.Add(30 * time.Second)
	keys := KeySet{key}

	if _, err := Verify(oldJWS, keys, now); err != nil {
		t.Fatalf("the replayed document must pass the signature checks (the attack): %v", err)
	}
	for _, c := range []struct {
		name string
		jws  string
		opts VerifyOptions
		want error
	}{
		{"replayed, nonce checked", oldJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce}, ErrNonce},
		{"replayed, age checked", oldJWS, VerifyOptions{Now: now, MaxAge: 10 * time.Minute}, ErrStale},
		{"replayed, both", oldJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce, MaxAge: 10 * time.Minute}, ErrNonce},
		{"the request's own answer", freshJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce, MaxAge: 10 * time.Minute}, nil},
		{"a prefix of the nonce", freshJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce[:20]}, ErrNonce},
		{"the nonce with more", freshJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce + "x"}, ErrNonce},
		{"the answer, kept too long", freshJWS, VerifyOptions{Now: now.Add(time.Hour), ClientNonce: fresh.ClientNonce, MaxAge: 10 * time.Minute}, ErrStale},
		{"just within the age", freshJWS, VerifyOptions{Now: fresh.IssuedAt.Add(10 * time.Minute), MaxAge: 10 * time.Minute}, nil},
		{"verifier's clock behind within the skew", freshJWS, VerifyOptions{Now: fresh.IssuedAt.Add(-time.Minute), MaxAge: 10 * time.Minute}, nil},
		{"issued beyond the skew", freshJWS, VerifyOptions{Now: fresh.IssuedAt.Add(-ClockSkew - time.Second), MaxAge: 10 * time.Minute}, ErrFuture},
		{"another person's document", freshJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce, IIN: "061211600012"}, ErrSubject},
		{"the applicant's document", freshJWS, VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce, IIN: fresh.Subject.IIN}, nil},
		{"a bad signature comes first", oldJWS[:len(oldJWS)-4] + "AAAA", VerifyOptions{Now: now, ClientNonce: fresh.ClientNonce}, ErrSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := VerifyWith(c.jws, keys, c.opts)
			if c.want == nil {
				if err != nil || doc == nil || doc.ID != fresh.ID {
					t.Fatalf("got %v, %v; want the fresh document", doc, err)
				}
				return
			}
			if !errors.Is(err, c.want) || doc != nil {
				t.Fatalf("got %v, %v; want %v", doc, err, c.want)
			}
		})
	}
	// Zero Now is the wall clock, later than t0: the old document is stale.
	if _, err := VerifyWith(oldJWS, keys, VerifyOptions{MaxAge: time.Hour}); !errors.Is(err, ErrStale) {
		t.Errorf("zero Now: %v", err)
	}
}
