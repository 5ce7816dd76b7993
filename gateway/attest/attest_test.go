package attest_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/attest/attesttest"
)

// The Android sample: a real chain from google/android-key-attestation's
// test resources (testdata/android_sample_chain.pem says more).
const (
	androidPackage   = "com.google.attestationexample"
	androidDigestHex = "68856d1d06f637d6255face5b224db43a9514ace538bb1548b844480fcd85c87"
)

var (
	androidChallenge = []byte("challenge")
	// androidValidAt is inside every certificate's validity (the
	// intermediates live from 2023-02-19T18:28:36Z to 2023-03-24T01:33:52Z).
	androidValidAt = time.Date(2023, 3, 1, 12, 0, 0, 0, time.UTC)
)

// The Apple sample: a real App Attest attestation object made by an
// iPhone on iOS 14.2 for the App Attest development environment, from
// veehaitch/devicecheck-appattest's test resources
// (src/test/resources/iOS14-attestation-sample.json, Apache-2.0): client
// data "wurzelpfropf", made 2020-10-22T17:00:32Z; its credential
// certificate is valid from 2020-10-21T17:00:34Z to 2020-10-24T17:00:34Z.
const (
	appleAppID    = "6MURL8TA57.de.vincent-haupert.apple-appattest-poc"
	appleKeyIDB64 = "Q5aRQfTntrRXuaFcMxOQT5oblNC7yEPt71bvLoueEkE="
)

var (
	appleChallenge = []byte("wurzelpfropf")
	appleValidAt   = time.Date(2020, 10, 22, 17, 0, 32, 0, time.UTC)
)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func androidChain(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/android_sample_chain.pem")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := attest.ParsePEM(b)
	if err != nil {
		t.Fatal(err)
	}
	var ders [][]byte
	for _, c := range certs {
		ders = append(ders, c.Raw)
	}
	return ders
}

func androidVerifier(t testing.TB, now time.Time, mod func(*attest.AndroidConfig)) *attest.AndroidVerifier {
	t.Helper()
	app, err := attest.ParseAndroidApp(androidPackage + ":" + androidDigestHex)
	if err != nil {
		t.Fatal(err)
	}
	cfg := attest.AndroidConfig{Apps: []attest.AndroidApp{app}, Clock: at(now)}
	if mod != nil {
		mod(&cfg)
	}
	v, err := attest.NewAndroid(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func appleObject(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/apple_sample_attestation.cbor")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appleVerifier(t testing.TB, now time.Time, mod func(*attest.AppleConfig)) *attest.AppleVerifier {
	t.Helper()
	cfg := attest.AppleConfig{AppIDs: []string{appleAppID}, AllowDevelopment: true, Clock: at(now)}
	if mod != nil {
		mod(&cfg)
	}
	v, err := attest.NewApple(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// replace returns chain with its certificate i changed by f.
func replace(chain [][]byte, i int, f func([]byte) []byte) [][]byte {
	c := make([][]byte, len(chain))
	copy(c, chain)
	c[i] = f(chain[i])
	return c
}

func TestAndroidSample(t *testing.T) {
	chain := androidChain(t)
	got := androidVerifier(t, androidValidAt, nil).Verify(attest.Evidence{Platform: attest.Android, Chain: chain}, androidChallenge)
	want := attest.Outcome{Platform: attest.Android, Verdict: attest.Valid, AppID: androidPackage, SecurityLevel: "tee"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// The root may be left out: the gateway has it.
	got = androidVerifier(t, androidValidAt, nil).Verify(attest.Evidence{Platform: attest.Android, Chain: chain[:len(chain)-1]}, androidChallenge)
	if got.Verdict != attest.Valid {
		t.Errorf("without the root: %+v", got)
	}
}

// What an attacker would try with a real Android chain in hand.
func TestAndroidSampleAttacks(t *testing.T) {
	chain := androidChain(t)
	leaf := chain[0]
	at := bytes.Index(leaf, androidChallenge)
	if at < 0 {
		t.Fatal("challenge not in the leaf")
	}
	otherApp := func(c *attest.AndroidConfig) {
		d, _ := hex.DecodeString(androidDigestHex)
		c.Apps = []attest.AndroidApp{{Package: "kz.example.bank", SigningDigests: [][]byte{d}}}
	}
	otherKey := func(c *attest.AndroidConfig) {
		c.Apps = []attest.AndroidApp{{Package: androidPackage, SigningDigests: [][]byte{make([]byte, 32)}}}
	}
	ca := attesttest.NewCA(t)
	for _, tc := range []struct {
		name      string
		chain     [][]byte
		challenge []byte
		now       time.Time
		mod       func(*attest.AndroidConfig)
		reason    string
	}{
		{"another session's challenge", chain, attest.Challenge(make([]byte, 32), "client-nonce-0123456789"), androidValidAt, nil, attest.ReasonChallengeMismatch},
		{"challenge edited in the leaf", replace(chain, 0, func(b []byte) []byte { return flip(b, at) }), []byte("dhallenge"), androidValidAt, nil, attest.ReasonUntrustedChain},
		{"byte of the leaf's signature", replace(chain, 0, func(b []byte) []byte { return flip(b, len(b)-5) }), androidChallenge, androidValidAt, nil, attest.ReasonUntrustedChain},
		{"byte of an intermediate", replace(chain, 2, func(b []byte) []byte { return flip(b, len(b)-5) }), androidChallenge, androidValidAt, nil, attest.ReasonUntrustedChain},
		{"leaf alone", chain[:1], androidChallenge, androidValidAt, nil, attest.ReasonUntrustedChain},
		{"not DER", [][]byte{[]byte("not a certificate")}, androidChallenge, androidValidAt, nil, attest.ReasonMalformed},
		{"no chain", nil, androidChallenge, androidValidAt, nil, attest.ReasonMalformed},
		{"intermediates expired", chain, androidChallenge, time.Date(2023, 3, 25, 0, 0, 0, 0, time.UTC), nil, attest.ReasonExpired},
		{"intermediates not yet valid", chain, androidChallenge, time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), nil, attest.ReasonExpired},
		{"another package", chain, androidChallenge, androidValidAt, otherApp, attest.ReasonAppNotTrusted},
		{"another signing key", chain, androidChallenge, androidValidAt, otherKey, attest.ReasonAppNotTrusted},
		{"another vendor's root", chain, androidChallenge, androidValidAt, func(c *attest.AndroidConfig) { c.Roots = attest.AppleRoots() }, attest.ReasonUntrustedChain},
		{"a self-made chain", ca.Chain(t, attesttest.Key{Challenge: androidChallenge, Package: androidPackage, SigningDigest: mustHex(androidDigestHex), Level: attesttest.LevelStrongBox}),
			androidChallenge, androidValidAt.AddDate(4, 0, 0), nil, attest.ReasonUntrustedChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := androidVerifier(t, tc.now, tc.mod).Verify(attest.Evidence{Platform: attest.Android, Chain: tc.chain}, tc.challenge)
			if got.Verdict != attest.Invalid || got.Reason != tc.reason {
				t.Errorf("got %+v, want invalid %s", got, tc.reason)
			}
		})
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The checks of the key's properties, on chains made under a test root
// (no public sample has a software key or an unlocked device).
func TestAndroidKeyProperties(t *testing.T) {
	ca := attesttest.NewCA(t)
	challenge := attest.Challenge([]byte("0123456789abcdef0123456789abcdef"), "client-nonce-0123456789")
	good := attesttest.Key{Challenge: challenge, Package: androidPackage, SigningDigest: mustHex(androidDigestHex), Level: attesttest.LevelStrongBox}
	for _, tc := range []struct {
		name   string
		mod    func(*attesttest.Key)
		allow  bool
		want   attest.Verdict
		reason string
		level  string
	}{
		{"strongbox", nil, false, attest.Valid, "", "strongbox"},
		{"tee", func(k *attesttest.Key) { k.Level = attesttest.LevelTEE }, false, attest.Valid, "", "tee"},
		{"software key", func(k *attesttest.Key) { k.Level = attesttest.LevelSoftware }, false, attest.Invalid, attest.ReasonSoftwareKey, ""},
		{"unverified boot", func(k *attesttest.Key) { k.BootState = attesttest.BootUnverified }, false, attest.Invalid, attest.ReasonBootNotVerified, "strongbox"},
		{"unlocked bootloader", func(k *attesttest.Key) { k.Unlocked = true }, false, attest.Invalid, attest.ReasonBootNotVerified, "strongbox"},
		{"unlocked, allowed", func(k *attesttest.Key) { k.Unlocked = true }, true, attest.Valid, "", "strongbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			if tc.mod != nil {
				tc.mod(&k)
			}
			v := androidVerifier(t, time.Now(), func(c *attest.AndroidConfig) {
				c.Roots = []*x509.Certificate{ca.Root}
				c.AllowUnverifiedBoot = tc.allow
			})
			got := v.Verify(attest.Evidence{Platform: attest.Android, Chain: ca.Chain(t, k)}, challenge)
			if got.Verdict != tc.want || got.Reason != tc.reason || got.SecurityLevel != tc.level {
				t.Errorf("got %+v, want %s %q level %q", got, tc.want, tc.reason, tc.level)
			}
		})
	}
}

func TestAppleSample(t *testing.T) {
	keyID, _ := base64.StdEncoding.DecodeString(appleKeyIDB64)
	got := appleVerifier(t, appleValidAt, nil).Verify(attest.Evidence{Platform: attest.IOS, Object: appleObject(t), KeyID: keyID}, appleChallenge)
	want := attest.Outcome{Platform: attest.IOS, Verdict: attest.Valid, AppID: appleAppID, SecurityLevel: "secure_enclave", Environment: "development"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// The clientDataHash the app passed is the sample's own.
	if h := sha256.Sum256(appleChallenge); base64.StdEncoding.EncodeToString(h[:]) != "i+ZcylFa0JfJU5Z9GNY12G3XihQu09B3UmvtEca+xns=" {
		t.Errorf("client data hash %x", h)
	}
}

// What an attacker would try with a real App Attest object in hand.
func TestAppleSampleAttacks(t *testing.T) {
	obj := appleObject(t)
	authAt := bytes.Index(obj, []byte("authData")) + len("authData") + 2 // after the byte string's head
	certAt := bytes.Index(obj, []byte("Apple App Attestation CA 1"))     // inside the credential certificate
	if authAt < 10 || certAt < 0 {
		t.Fatal("sample layout")
	}
	for _, tc := range []struct {
		name      string
		obj       []byte
		keyID     []byte
		challenge []byte
		now       time.Time
		mod       func(*attest.AppleConfig)
		reason    string
	}{
		{"another session's challenge", obj, nil, attest.Challenge(make([]byte, 32), "client-nonce-0123456789"), appleValidAt, nil, attest.ReasonChallengeMismatch},
		{"rpIdHash edited", flip(obj, authAt), nil, appleChallenge, appleValidAt, nil, attest.ReasonChallengeMismatch},
		{"counter edited", flip(obj, authAt+36), nil, appleChallenge, appleValidAt, nil, attest.ReasonChallengeMismatch},
		{"credential certificate edited", flip(obj, certAt), nil, appleChallenge, appleValidAt, nil, attest.ReasonUntrustedChain},
		{"truncated", obj[:len(obj)-10], nil, appleChallenge, appleValidAt, nil, attest.ReasonMalformed},
		{"not CBOR", []byte("{\"fmt\":\"apple-appattest\"}"), nil, appleChallenge, appleValidAt, nil, attest.ReasonMalformed},
		{"expired", obj, nil, appleChallenge, time.Date(2020, 10, 25, 0, 0, 0, 0, time.UTC), nil, attest.ReasonExpired},
		{"another app", obj, nil, appleChallenge, appleValidAt, func(c *attest.AppleConfig) { c.AppIDs = []string{"ABCDE12345.kz.example.bank"} }, attest.ReasonAppNotTrusted},
		{"development refused", obj, nil, appleChallenge, appleValidAt, func(c *attest.AppleConfig) { c.AllowDevelopment = false }, attest.ReasonEnvironment},
		{"another key id", obj, make([]byte, 32), appleChallenge, appleValidAt, nil, attest.ReasonKeyMismatch},
		{"another vendor's root", obj, nil, appleChallenge, appleValidAt, func(c *attest.AppleConfig) { c.Roots = attest.GoogleRoots() }, attest.ReasonUntrustedChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := appleVerifier(t, tc.now, tc.mod).Verify(attest.Evidence{Platform: attest.IOS, Object: tc.obj, KeyID: tc.keyID}, tc.challenge)
			if got.Verdict != attest.Invalid || got.Reason != tc.reason {
				t.Errorf("got %+v, want invalid %s", got, tc.reason)
			}
		})
	}
}

func TestVerifiers(t *testing.T) {
	vs := attest.Verifiers{IOS: appleVerifier(t, appleValidAt, nil)}
	if got := vs.Verify(nil, nil); got != (attest.Outcome{Verdict: attest.Absent}) {
		t.Errorf("nil evidence: %+v", got)
	}
	if got := vs.Verify(&attest.Evidence{Platform: "windows"}, nil); got.Reason != attest.ReasonUnknownPlatform {
		t.Errorf("unknown platform: %+v", got)
	}
	if got := vs.Verify(&attest.Evidence{Platform: attest.Android, Chain: androidChain(t)}, androidChallenge); got.Reason != attest.ReasonPlatformNotConfigured {
		t.Errorf("android without a verifier: %+v", got)
	}
	if got := vs.Verify(&attest.Evidence{Platform: attest.IOS, Object: appleObject(t)}, appleChallenge); got.Verdict != attest.Valid {
		t.Errorf("ios: %+v", got)
	}
}

func TestChallenge(t *testing.T) {
	n := []byte("0123456789abcdef0123456789abcdef")
	c := attest.Challenge(n, "client-nonce-0123456789")
	if len(c) != 32 || bytes.Equal(c, attest.Challenge(n, "client-nonce-0123456789x")) || bytes.Equal(c, attest.Challenge(flip(n, 0), "client-nonce-0123456789")) {
		t.Error("the challenge does not depend on both nonces")
	}
	// Pinned so that apps computing it in another language can check theirs.
	if got := hex.EncodeToString(c); got != challengeVector {
		t.Errorf("challenge %s", got)
	}
}

func TestEmbeddedRoots(t *testing.T) {
	if g, a := attest.GoogleRoots(), attest.AppleRoots(); len(g) != 4 || len(a) != 1 {
		t.Fatalf("%d Google roots, %d Apple roots", len(g), len(a))
	}
	for _, c := range append(attest.GoogleRoots(), attest.AppleRoots()...) {
		if err := c.CheckSignatureFrom(c); err != nil || !c.IsCA {
			t.Errorf("%s: not a self-signed CA: %v", c.Subject, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := attest.NewAndroid(attest.AndroidConfig{}); err == nil {
		t.Error("android without apps")
	}
	if _, err := attest.NewApple(attest.AppleConfig{AppIDs: []string{"nodot"}}); err == nil {
		t.Error("apple with a bad app id")
	}
	for _, s := range []string{"com.x", "com.x:zz", "com.x:" + androidDigestHex[:62], ":" + androidDigestHex} {
		if _, err := attest.ParseAndroidApp(s); err == nil {
			t.Errorf("ParseAndroidApp(%q) accepted", s)
		}
	}
}

// challengeVector is Challenge("0123456789abcdef0123456789abcdef",
// "client-nonce-0123456789"), computed independently (Python's hashlib).
const challengeVector = "6d1ff05817e8dcee08ecfb3e50db8a5b5601e24daa3f6866af549c933512afc1"

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0xa1, 0x63, 'f', 'm', 't', 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Must not panic, whatever the bytes.
		v, _ := attest.NewApple(attest.AppleConfig{AppIDs: []string{appleAppID}})
		v.Verify(attest.Evidence{Platform: attest.IOS, Object: b}, nil)
	})
}

// The cost of one check at start, on the real samples (go test
// ./gateway/attest -run '^$' -bench Verify).
func BenchmarkVerifyAndroid(b *testing.B) {
	chain := androidChain(b)
	v := androidVerifier(b, androidValidAt, nil)
	ev := attest.Evidence{Platform: attest.Android, Chain: chain}
	for b.Loop() {
		if v.Verify(ev, androidChallenge).Verdict != attest.Valid {
			b.Fatal("not valid")
		}
	}
}

func BenchmarkVerifyApple(b *testing.B) {
	v := appleVerifier(b, appleValidAt, nil)
	ev := attest.Evidence{Platform: attest.IOS, Object: appleObject(b)}
	for b.Loop() {
		if v.Verify(ev, appleChallenge).Verdict != attest.Valid {
			b.Fatal("not valid")
		}
	}
}

// Google's status list, in the format it is served in (the sample is
// google/android-key-attestation's server/src/test/resources/status.json):
// the real chain passes with a list that does not name it, and is refused
// once a list names one of its intermediates.
func TestAndroidStatusList(t *testing.T) {
	b, err := os.ReadFile("testdata/google_status_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	list, err := attest.ParseStatusList(b)
	if err != nil || len(list) != 5 || !list["cc66e9a93713b6e643b26c15879786f7"] || !list["6681152659205225093"] {
		t.Fatalf("status list %v, %v", list, err)
	}
	chain := androidChain(t)
	ev := attest.Evidence{Platform: attest.Android, Chain: chain}
	if got := androidVerifier(t, androidValidAt, func(c *attest.AndroidConfig) { c.Revoked = list }).Verify(ev, androidChallenge); got.Verdict != attest.Valid {
		t.Errorf("not on the list: %+v", got)
	}
	// The TEE intermediate's serial, with a leading zero the list's
	// writer may or may not keep.
	revoked, err := attest.ParseStatusList([]byte(`{"entries":{"00D05FACF443ED535548D994F6845E6D3C":{"status":"REVOKED","reason":"KEY_COMPROMISE"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := androidVerifier(t, androidValidAt, func(c *attest.AndroidConfig) { c.Revoked = revoked }).Verify(ev, androidChallenge)
	if got.Verdict != attest.Invalid || got.Reason != attest.ReasonRevoked {
		t.Errorf("revoked intermediate: %+v", got)
	}
	for _, bad := range []string{`[]`, `{}`, `{"entries":{"xyz":{}}}`} {
		if _, err := attest.ParseStatusList([]byte(bad)); err == nil {
			t.Errorf("ParseStatusList(%s) accepted", bad)
		}
	}
}

// Two more real chains, from WebAuthn registrations by Google Play
// services (testdata says where from): a Pixel 8a (KeyMint 300) and a
// Samsung Galaxy S9+ (attestation version 3, Keymaster 4, the 2016 root).
// Both list two packages sharing a user id; either one, trusted with the
// signing digest, makes the app trusted.
func TestAndroidWebAuthnSamples(t *testing.T) {
	const gms, digest = "com.google.android.gms", "f0fd6c5b410f25cb25c3b53346c8972fae30f8ee7411df910480ad6b2d60db83"
	for _, tc := range []struct {
		file, challenge string
		at              time.Time
	}{
		{"android_pixel8a_chain.pem", "5652e2dc45549a96f96afa225502f87fadc08a60bc021392c0be8c5062fd5f5e", time.Date(2025, 2, 2, 10, 0, 0, 0, time.UTC)},
		{"android_samsung_s9_chain.pem", "ad0cf00aa4c67d84c6d838ed5723037ebff81530e4c60230de7ebae806c8f6f9", time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)},
		// The 2016 root certificate has expired; its key, in the 2019 and
		// 2022 certificates, still anchors the chain.
		{"android_samsung_s9_chain.pem", "ad0cf00aa4c67d84c6d838ed5723037ebff81530e4c60230de7ebae806c8f6f9", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			certs, err := attest.ParsePEM(b)
			if err != nil {
				t.Fatal(err)
			}
			var chain [][]byte
			for _, c := range certs {
				chain = append(chain, c.Raw)
			}
			ev := attest.Evidence{Platform: attest.Android, Chain: chain}
			trust := func(pkg string) func(*attest.AndroidConfig) {
				return func(c *attest.AndroidConfig) {
					c.Apps = []attest.AndroidApp{{Package: pkg, SigningDigests: [][]byte{mustHex(digest)}}}
				}
			}
			got := androidVerifier(t, tc.at, trust(gms)).Verify(ev, mustHex(tc.challenge))
			want := attest.Outcome{Platform: attest.Android, Verdict: attest.Valid, AppID: gms, SecurityLevel: "tee"}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if got := androidVerifier(t, tc.at, trust("com.google.android.gsf")).Verify(ev, mustHex(tc.challenge)); got.Verdict != attest.Valid {
				t.Errorf("the other package of the shared user id: %+v", got)
			}
			if got := androidVerifier(t, tc.at, trust(androidPackage)).Verify(ev, mustHex(tc.challenge)); got.Reason != attest.ReasonAppNotTrusted || got.AppID != "com.google.android.gsf" {
				t.Errorf("another app trusted: %+v", got)
			}
			if got := androidVerifier(t, tc.at, trust(gms)).Verify(ev, androidChallenge); got.Reason != attest.ReasonChallengeMismatch {
				t.Errorf("another challenge: %+v", got)
			}
			if got := androidVerifier(t, tc.at.AddDate(5, 0, 0), trust(gms)).Verify(ev, mustHex(tc.challenge)); got.Reason != attest.ReasonExpired {
				t.Errorf("five years on: %+v", got)
			}
		})
	}
}

// The checks of an App Attest key's properties, on objects made under a
// test root (the one real sample is a development key with counter 0).
func TestAppleKeyProperties(t *testing.T) {
	ca := attesttest.NewCA(t)
	challenge := attest.Challenge([]byte("0123456789abcdef0123456789abcdef"), "client-nonce-0123456789")
	good := attesttest.AppleKey{AppID: "ABCDE12345.kz.example.bank", Challenge: challenge}
	for _, tc := range []struct {
		name    string
		mod     func(*attesttest.AppleKey)
		keyID   func([]byte) []byte
		dev     bool
		want    attest.Verdict
		reason  string
		environ string
	}{
		{"production", nil, nil, false, attest.Valid, "", "production"},
		{"production, key id sent", nil, func(id []byte) []byte { return id }, false, attest.Valid, "", "production"},
		{"development refused", func(k *attesttest.AppleKey) { k.Development = true }, nil, false, attest.Invalid, attest.ReasonEnvironment, "development"},
		{"development allowed", func(k *attesttest.AppleKey) { k.Development = true }, nil, true, attest.Valid, "", "development"},
		{"counter not 0", func(k *attesttest.AppleKey) { k.Counter = 1 }, nil, false, attest.Invalid, attest.ReasonKeyMismatch, ""},
		{"another key id", nil, func(id []byte) []byte { return flip(id, 0) }, false, attest.Invalid, attest.ReasonKeyMismatch, ""},
		{"another app", func(k *attesttest.AppleKey) { k.AppID = "ABCDE12345.kz.example.fake" }, nil, false, attest.Invalid, attest.ReasonAppNotTrusted, ""},
		{"another challenge", func(k *attesttest.AppleKey) { k.Challenge = []byte("wurzelpfropf") }, nil, false, attest.Invalid, attest.ReasonChallengeMismatch, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			if tc.mod != nil {
				tc.mod(&k)
			}
			obj, id := ca.AppleObject(t, k)
			ev := attest.Evidence{Platform: attest.IOS, Object: obj}
			if tc.keyID != nil {
				ev.KeyID = tc.keyID(id)
			}
			v := appleVerifier(t, time.Now(), func(c *attest.AppleConfig) {
				c.AppIDs, c.Roots, c.AllowDevelopment = []string{good.AppID}, []*x509.Certificate{ca.Root}, tc.dev
			})
			got := v.Verify(ev, challenge)
			if got.Verdict != tc.want || got.Reason != tc.reason || got.Environment != tc.environ {
				t.Errorf("got %+v, want %s %q %q", got, tc.want, tc.reason, tc.environ)
			}
		})
	}
	// The same object under Apple's real root: a self-made chain.
	obj, _ := ca.AppleObject(t, good)
	v := appleVerifier(t, time.Now(), func(c *attest.AppleConfig) { c.AppIDs = []string{good.AppID} })
	if got := v.Verify(attest.Evidence{Platform: attest.IOS, Object: obj}, challenge); got.Reason != attest.ReasonUntrustedChain {
		t.Errorf("under Apple's root: %+v", got)
	}
}
