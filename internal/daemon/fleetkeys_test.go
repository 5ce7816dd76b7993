package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// fleetMember is one gateway of a test fleet: its own file keyring, the
// shared store, a subject key.
type fleetMember struct {
	keys  *document.Keyring
	fleet *fleetKeys
	logs  *bytes.Buffer
}

func newFleetMember(t *testing.T, store evidence.Store, id string, subjectKey []byte) *fleetMember {
	t.Helper()
	kr, err := document.NewKeyring(document.KeyringConfig{Dir: filepath.Join(t.TempDir(), "keys")})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	return &fleetMember{keys: kr, fleet: newFleetKeys(kr.Keys, store, id, subjectKey, log), logs: &logs}
}

// kid is the member's current signing key id.
func (m *fleetMember) kid(t *testing.T) string {
	t.Helper()
	kid, err := m.keys.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// served returns the JWKS the member serves, parsed back, as a relying
// party reads it.
func (m *fleetMember) served(t *testing.T) document.KeySet {
	t.Helper()
	out, err := document.ParseJWKS(marshalJWKS(t, m.fleet.Keys))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// marshalJWKS is the JWKS of the keys that keys returns.
func marshalJWKS(t *testing.T, keys func() (document.KeySet, error)) []byte {
	t.Helper()
	ks, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	b, err := document.MarshalJWKS(ks)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openFleetStore(t *testing.T) evidence.Store {
	t.Helper()
	s, err := evidence.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "evidence.db"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Two gateways on one store, each signing with its own key: the JWKS of
// either verifies the documents of both; a rotation shows on the other's
// JWKS once it has published again and the other has read again.
func TestFleetJWKSServesEveryGateway(t *testing.T) {
	ctx := context.Background()
	store := openFleetStore(t)
	subject := bytes.Repeat([]byte{7}, 32)
	a := newFleetMember(t, store, "gw-a", subject)
	b := newFleetMember(t, store, "gw-b", subject)
	for _, m := range []*fleetMember{a, b} {
		if err := m.fleet.publish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	docB, err := b.keys.Sign([]byte(`{"signed":"by b"}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*fleetMember{"a": a, "b": b} {
		ks := m.served(t)
		for _, kid := range []string{a.kid(t), b.kid(t)} {
			if _, ok := ks.Lookup(kid); !ok {
				t.Errorf("gateway %s's JWKS lacks %s", name, kid)
			}
		}
		if _, _, err := document.VerifySignature(docB, ks); err != nil {
			t.Errorf("gateway %s's JWKS does not verify gateway b's document: %v", name, err)
		}
	}

	// b rotates and publishes; a reads again only after fleetReadEvery.
	old := b.kid(t)
	if err := b.keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := b.fleet.publish(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.served(t).Lookup(b.kid(t)); ok {
		t.Fatal("a served b's new key before reading the store again")
	}
	clock := time.Now().Add(fleetReadEvery)
	a.fleet.now = func() time.Time { return clock }
	ks := a.served(t)
	for _, kid := range []string{old, b.kid(t)} {
		if _, ok := ks.Lookup(kid); !ok {
			t.Errorf("after b's rotation a's JWKS lacks %s (the old key keeps verifying its documents)", kid)
		}
	}
}

// Whoever can write to the database but lacks the fleet's subject key
// cannot get a key of theirs served: a row of their own, a gateway's row
// with its JWKS swapped, and a row endorsed by another fleet are all left
// out (and logged), while the genuine gateways' keys stay served.
func TestFleetJWKSRefusesRowsWithoutTheEndorsement(t *testing.T) {
	ctx := context.Background()
	store := openFleetStore(t)
	subject := bytes.Repeat([]byte{7}, 32)
	a := newFleetMember(t, store, "gw-a", subject)
	b := newFleetMember(t, store, "gw-b", subject)
	if err := b.fleet.publish(ctx); err != nil {
		t.Fatal(err)
	}
	evil := newFleetMember(t, store, "gw-evil", bytes.Repeat([]byte{9}, 32)) // another subject key
	evilJWKS := marshalJWKS(t, evil.keys.Keys)

	// A row of their own, with a made-up tag; one endorsed by another
	// fleet's key.
	if err := store.PublishKeys(ctx, evidence.PublishedKeys{Gateway: "gw-x", JWKS: evilJWKS, Tag: bytes.Repeat([]byte{1}, 32), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := evil.fleet.publish(ctx); err != nil {
		t.Fatal(err)
	}
	ks := a.served(t)
	if _, ok := ks.Lookup(evil.kid(t)); ok {
		t.Fatal("a key published without the fleet's endorsement is served")
	}
	if _, ok := ks.Lookup(b.kid(t)); !ok {
		t.Fatal("gateway b's genuine key is not served")
	}

	// b's row with its JWKS swapped for the attacker's, b's tag kept.
	pubs, err := store.PublishedKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rowB evidence.PublishedKeys
	for _, p := range pubs {
		if p.Gateway == "gw-b" {
			rowB = p
		}
	}
	rowB.JWKS = evilJWKS
	if err := store.PublishKeys(ctx, rowB); err != nil {
		t.Fatal(err)
	}
	c := newFleetMember(t, store, "gw-c", subject) // reads the store afresh
	ks = c.served(t)
	if _, ok := ks.Lookup(evil.kid(t)); ok {
		t.Fatal("a key swapped into a genuine gateway's row is served")
	}
	if _, ok := ks.Lookup(b.kid(t)); ok {
		t.Fatal("b's edited row still served")
	}
	if _, ok := ks.Lookup(c.kid(t)); !ok {
		t.Fatal("the gateway's own key is not served")
	}
	for _, want := range []string{"gateway=gw-x", "gateway=gw-evil", "gateway=gw-b", "endorsement does not hold"} {
		if !bytes.Contains(c.logs.Bytes(), []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, c.logs.String())
		}
	}
	// b publishes again (every fleetPublishEvery, its keys unchanged) and
	// is served again: an edit is repaired.
	if err := b.fleet.publish(ctx); err != nil {
		t.Fatal(err)
	}
	d := newFleetMember(t, store, "gw-d", subject)
	if _, ok := d.served(t).Lookup(b.kid(t)); !ok {
		t.Fatal("b's key not served after it published again")
	}
}
