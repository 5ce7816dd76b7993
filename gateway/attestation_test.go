package gateway

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/attest"
	"github.com/biogate/biogate/gateway/attest/attesttest"
	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/iin"
	"github.com/biogate/biogate/gateway/protocol"
	"github.com/biogate/biogate/outcome"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	keyAttestRequire = "test-key-attest-require-0123456789"
	keyAttestReport  = "test-key-attest-report-0123456789"
	attestPackage    = "kz.example.bank"
	attestDigestHex  = "68856d1d06f637d6255face5b224db43a9514ace538bb1548b844480fcd85c87"
	attestIOSApp     = "ABCDE12345.kz.example.bank"
)

// attestHarness runs a gateway whose keys ask for attestation, with an
// Android verifier that trusts attestPackage under ca's root (a made-up
// root: no real device can attest a challenge a test draws), and a signer,
// so results carry their document.
func attestHarness(t *testing.T, ca *attesttest.CA, mod func(*attest.AndroidConfig)) *harness {
	t.Helper()
	digest, _ := hex.DecodeString(attestDigestHex)
	acfg := attest.AndroidConfig{
		Apps:  []attest.AndroidApp{{Package: attestPackage, SigningDigests: [][]byte{digest}}},
		Roots: []*x509.Certificate{ca.Root},
	}
	if mod != nil {
		mod(&acfg)
	}
	android, err := attest.NewAndroid(acfg)
	if err != nil {
		t.Fatal(err)
	}
	ios, err := attest.NewApple(attest.AppleConfig{AppIDs: []string{attestIOSApp}, Roots: []*x509.Certificate{ca.Root}})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := document.NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(strings.NewReader(keyAll + " kiosk,relay\n" +
		keyAttestRequire + " relay,kiosk attestation=require\n" + keyAttestReport + " relay attestation=report\n"))
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, &testPipeline{Frames: 3, Verdict: outcome.Live}, func(c *Config) {
		c.Keys, c.Signer = keys, signer
		c.Attester = attest.Verifiers{Android: android, IOS: ios}
	})
}

// dialHello opens a session with key and returns hello.
func (h *harness) dialHello(key string) (*client, *protocol.Hello) {
	h.t.Helper()
	ws, _, err := h.dialHeader(http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	c := &client{t: h.t, ws: ws}
	hello, ok := c.next().(*protocol.Hello)
	if !ok {
		h.t.Fatal("first message is not hello")
	}
	c.wantState(protocol.StateWaitingStart)
	return c, hello
}

// androidAttestation is start's attestation member for chain.
func androidAttestation(chain [][]byte) *protocol.Attestation {
	a := &protocol.Attestation{Platform: protocol.PlatformAndroid}
	for _, c := range chain {
		a.CertChain = append(a.CertChain, base64.StdEncoding.EncodeToString(c))
	}
	return a
}

// sessionKey is a made-up device key attesting the session's challenge.
func sessionKey(t *testing.T, hello *protocol.Hello) attesttest.Key {
	t.Helper()
	if hello.Attestation == nil {
		t.Fatal("hello announces no attestation")
	}
	ch, ok := protocol.AttestationChallenge(hello.Attestation.Nonce, testNonce)
	if !ok {
		t.Fatalf("nonce %q is not base64url", hello.Attestation.Nonce)
	}
	digest, _ := hex.DecodeString(attestDigestHex)
	return attesttest.Key{Challenge: ch, Package: attestPackage, SigningDigest: digest, Level: attesttest.LevelStrongBox}
}

// relayResult sends frames after an accepted start and returns the
// result's document.
func relayResult(t *testing.T, c *client) (*protocol.Result, *document.Document) {
	t.Helper()
	c.wantState(protocol.StateCapturing)
	for i := 1; i <= 3; i++ {
		time.Sleep(100 * time.Millisecond)
		c.sendFrame(frameMsg(uint32(i), testJPEG))
	}
	res := c.wantResult()
	parts := strings.Split(res.Document, ".")
	if len(parts) != 3 {
		t.Fatalf("result without a document: %+v", res)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := document.Unmarshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return res, doc
}

func TestAttestationRequire(t *testing.T) {
	ca := attesttest.NewCA(t)
	h := attestHarness(t, ca, nil)

	t.Run("absent", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestRequire)
		if hello.Attestation == nil || hello.Attestation.Policy != "require" || len(hello.Attestation.Nonce) != 43 {
			t.Fatalf("hello attestation %+v", hello.Attestation)
		}
		c.send(startMsg(validIIN, protocol.CameraRelay))
		if e := c.wantError(protocol.CodeAttestationRequired); !e.Fatal {
			t.Error("attestation_required is not fatal")
		}
		c.wantClose(protocol.ClosePolicy)
	})

	// An attacker replays a genuine attestation of an earlier session.
	t.Run("replayed from another session", func(t *testing.T) {
		_, first := h.dialHello(keyAttestRequire)
		c, _ := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Attestation = androidAttestation(ca.Chain(t, sessionKey(t, first)))
		c.send(st)
		c.wantError(protocol.CodeAttestationFailed)
		c.wantClose(protocol.ClosePolicy)
	})

	// Same session nonce, another client_nonce: the challenge binds the
	// start too.
	t.Run("another client nonce", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.ClientNonce = "another-client-nonce-42"
		st.Attestation = androidAttestation(ca.Chain(t, sessionKey(t, hello)))
		c.send(st)
		c.wantError(protocol.CodeAttestationFailed)
	})

	t.Run("software key", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestRequire)
		k := sessionKey(t, hello)
		k.Level = attesttest.LevelSoftware
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Attestation = androidAttestation(ca.Chain(t, k))
		c.send(st)
		c.wantError(protocol.CodeAttestationFailed)
	})

	t.Run("not base64", func(t *testing.T) {
		c, _ := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Attestation = &protocol.Attestation{Platform: protocol.PlatformAndroid, CertChain: []string{"%%%"}}
		c.send(st)
		c.wantError(protocol.CodeAttestationFailed)
	})

	t.Run("unknown platform", func(t *testing.T) {
		c, _ := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Attestation = &protocol.Attestation{Platform: "windows", Object: "oA=="}
		c.send(st)
		c.wantError(protocol.CodeAttestationFailed)
	})

	t.Run("iOS bound to this session", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		ch, _ := protocol.AttestationChallenge(hello.Attestation.Nonce, st.ClientNonce)
		obj, keyID := ca.AppleObject(t, attesttest.AppleKey{AppID: attestIOSApp, Challenge: ch})
		st.Attestation = &protocol.Attestation{Platform: protocol.PlatformIOS,
			Object: base64.StdEncoding.EncodeToString(obj), KeyID: base64.StdEncoding.EncodeToString(keyID)}
		c.send(st)
		res, doc := relayResult(t, c)
		want := document.Attestation{Policy: "require", Verdict: "valid", Platform: "ios", AppID: attestIOSApp,
			SecurityLevel: "secure_enclave", Environment: "production", Nonce: hello.Attestation.Nonce}
		if res.Decision != protocol.DecisionMatch || doc.Attestation == nil || *doc.Attestation != want {
			t.Errorf("decision %s, attestation %+v; want match, %+v", res.Decision, doc.Attestation, want)
		}
	})

	t.Run("bound to this session", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestRequire)
		st := startMsg(validIIN, protocol.CameraRelay)
		st.Attestation = androidAttestation(ca.Chain(t, sessionKey(t, hello)))
		c.send(st)
		res, doc := relayResult(t, c)
		want := document.Attestation{Policy: "require", Verdict: "valid", Platform: "android", AppID: attestPackage,
			SecurityLevel: "strongbox", Nonce: hello.Attestation.Nonce}
		if res.Decision != protocol.DecisionMatch || doc.V != document.Version || doc.Attestation == nil || *doc.Attestation != want {
			t.Errorf("decision %s, document v%d attestation %+v; want match, v%d, %+v", res.Decision, doc.V, doc.Attestation, document.Version, want)
		}
	})

	t.Run("kiosk sessions are not checked", func(t *testing.T) {
		c, _ := h.dialHello(keyAttestRequire)
		c.send(startMsg(validIIN, protocol.CameraKiosk))
		c.wantError(protocol.CodeCameraUnavailable) // no kiosk camera here: past the attestation check
	})

	if got := testutil.ToFloat64(h.srv.m.attestations.WithLabelValues("none", "absent")); got != 1 {
		t.Errorf("attestations absent counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.srv.m.attestations.WithLabelValues("android", "invalid")); got != 4 {
		t.Errorf("android attestations invalid counted %v, want 4", got)
	}
}

// The real Android sample (a device's chain to Google's root, for the
// challenge "challenge"), verified as of a day its certificates were
// valid: a genuine attestation, but not for this session.
func TestAttestationRealSampleReplayed(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("attest", "testdata", "android_sample_chain.pem"))
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
	h := attestHarness(t, attesttest.NewCA(t), func(c *attest.AndroidConfig) {
		c.Roots = attest.GoogleRoots()
		c.Apps[0].Package = "com.google.attestationexample"
		c.Clock = func() time.Time { return time.Date(2023, 3, 1, 12, 0, 0, 0, time.UTC) }
	})
	c, _ := h.dialHello(keyAttestReport)
	st := startMsg(validIIN, protocol.CameraRelay)
	st.Attestation = androidAttestation(chain)
	c.send(st)
	_, doc := relayResult(t, c)
	if a := doc.Attestation; a == nil || a.Verdict != "invalid" || a.Reason != attest.ReasonChallengeMismatch || a.Platform != "android" {
		t.Errorf("document attestation %+v, want invalid challenge_mismatch", a)
	}
}

func TestAttestationReport(t *testing.T) {
	ca := attesttest.NewCA(t)
	h := attestHarness(t, ca, nil)
	t.Run("absent", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestReport)
		c.send(startMsg(validIIN, protocol.CameraRelay))
		res, doc := relayResult(t, c)
		want := document.Attestation{Policy: "report", Verdict: "absent", Nonce: hello.Attestation.Nonce}
		if res.Decision != protocol.DecisionMatch || doc.Attestation == nil || *doc.Attestation != want {
			t.Errorf("decision %s, attestation %+v; want match, %+v", res.Decision, doc.Attestation, want)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		c, hello := h.dialHello(keyAttestReport)
		k := sessionKey(t, hello)
		k.Package = "com.attacker.repackaged"
		st := startMsg(otherIIN, protocol.CameraRelay)
		st.Attestation = androidAttestation(ca.Chain(t, k))
		c.send(st)
		res, doc := relayResult(t, c)
		if a := doc.Attestation; res.Decision != protocol.DecisionMatch || a == nil || a.Verdict != "invalid" ||
			a.Reason != attest.ReasonAppNotTrusted || a.AppID != "com.attacker.repackaged" {
			t.Errorf("decision %s, attestation %+v; want match, invalid app_not_trusted", res.Decision, a)
		}
	})
}

// With the default policy nothing changes: no nonce in hello, an
// attestation in start is ignored, the document has no attestation.
func TestAttestationOff(t *testing.T) {
	h := attestHarness(t, attesttest.NewCA(t), nil)
	c, hello := h.dialHello(keyAll)
	if hello.Attestation != nil {
		t.Fatalf("hello announces %+v", hello.Attestation)
	}
	st := startMsg(validIIN, protocol.CameraRelay)
	st.Attestation = &protocol.Attestation{Platform: "android", CertChain: []string{"%%%"}}
	c.send(st)
	if _, doc := relayResult(t, c); doc.Attestation != nil {
		t.Errorf("document attestation %+v, want none", doc.Attestation)
	}
}

// The protocol's challenge is the one the gateway verifies with.
func TestAttestationChallengeAgrees(t *testing.T) {
	nonce := make([]byte, 32)
	rand.Read(nonce)
	got, ok := protocol.AttestationChallenge(base64.RawURLEncoding.EncodeToString(nonce), testNonce)
	if !ok || string(got) != string(attest.Challenge(nonce, testNonce)) {
		t.Error("protocol.AttestationChallenge differs from attest.Challenge")
	}
	if _, ok := protocol.AttestationChallenge("not base64url!", testNonce); ok {
		t.Error("a bad nonce accepted")
	}
}

func TestKeysAttestation(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{keyRelay + " relay attestation=require", true},
		{keyRelay + " relay attestation=off", true},
		{keyRelay + " relay attestation=maybe", false},
		{keyRelay + " relay colour=blue", false},
		{keyKiosk + " kiosk attestation=report", false}, // attestation is for relay sessions
		{keyRelay + " relay attestation=report extra", false},
	} {
		if _, err := ParseKeys(strings.NewReader(tc.line)); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.line, err)
		}
	}
	keys, _ := ParseKeys(strings.NewReader(keyRelay + " relay attestation=report\n"))
	bin, _ := iin.ParseBIN(testBIN)
	if _, err := New(Config{Keys: keys, BIN: bin}, &testPipeline{}, &testVerifier{}, nil); err == nil {
		t.Error("New accepted an attesting key without an Attester")
	}
}
