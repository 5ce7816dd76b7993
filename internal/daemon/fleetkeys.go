package daemon

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"sync"
	"time"

	"github.com/biogate/biogate/gateway/document"
	"github.com/biogate/biogate/gateway/evidence"
)

// A fleet's gateways share one evidence store and one subject key. Each
// signs documents with its own key, and publishes its public keys on the
// store, endorsed with a key derived from the subject key; each serves, at
// its JWKS, its own keys and every other gateway's whose endorsement holds.
// So a loan system verifies any document with the JWKS of any gateway.
// Rows that someone with write access to the database adds or edits, but
// who lacks the subject key, are not served: such a writer cannot slip a
// key of theirs into the JWKS.
const (
	// fleetPublishEvery: how often a gateway publishes its keys again (a
	// rotation, or the repair of an edited row, shows on the others' JWKS
	// within this, plus fleetReadEvery).
	fleetPublishEvery = 30 * time.Second
	// fleetReadEvery: how long the others' keys are kept before the store
	// is read again.
	fleetReadEvery = 10 * time.Second
	// endorsementLabel separates the endorsement key from the subject
	// key's other use (the subjects' keyed hashes).
	endorsementLabel = "biogate fleet signing keys v1"
	// maxRefusedLogged bounds the refused rows remembered (to log each
	// once).
	maxRefusedLogged = 1024
)

// fleetKeys publishes this gateway's public signing keys on the store and
// gives the keys of the whole fleet for the JWKS.
type fleetKeys struct {
	own     func() (document.KeySet, error)
	store   evidence.Store
	gateway string
	endorse []byte // HMAC key of the endorsements
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	others  document.KeySet // endorsed keys of the other gateways
	readAt  time.Time       // when others was read; zero: never
	refused map[string]bool // gateway+tag already logged as refused
}

func newFleetKeys(own func() (document.KeySet, error), store evidence.Store, gateway string, subjectKey []byte, log *slog.Logger) *fleetKeys {
	m := hmac.New(sha256.New, subjectKey)
	m.Write([]byte(endorsementLabel))
	return &fleetKeys{own: own, store: store, gateway: gateway, endorse: m.Sum(nil), log: log, now: time.Now, refused: map[string]bool{}}
}

// tag is the endorsement of gateway's JWKS.
func (f *fleetKeys) tag(gateway string, jwks []byte) []byte {
	m := hmac.New(sha256.New, f.endorse)
	m.Write([]byte(gateway))
	m.Write([]byte{0})
	m.Write(jwks)
	return m.Sum(nil)
}

// publish writes this gateway's keys to the store. It writes them even
// when unchanged: a row someone edited or deleted is made good again.
func (f *fleetKeys) publish(ctx context.Context) error {
	ks, err := f.own()
	if err != nil {
		return err
	}
	jwks, err := document.MarshalJWKS(ks)
	if err != nil {
		return err
	}
	return f.store.PublishKeys(ctx, evidence.PublishedKeys{Gateway: f.gateway, JWKS: jwks, Tag: f.tag(f.gateway, jwks), At: f.now()})
}

// Run publishes the keys at once and then every fleetPublishEvery, until
// ctx ends. A failure is logged and tried again at the next tick.
func (f *fleetKeys) Run(ctx context.Context) {
	t := time.NewTicker(fleetPublishEvery)
	defer t.Stop()
	failing := false
	for {
		err := f.publish(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			f.log.Error("publishing the signing keys on the store failed; other gateways do not serve them", "error", err)
			failing = true
		case err == nil && failing:
			f.log.Info("signing keys published on the store again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Keys are this gateway's keys and the other gateways' endorsed ones. A
// failure to read the store keeps the others last read (logged); this
// gateway's own keys are always there. Another gateway's key whose id is
// already in the set is left out (logged): a kid names one key.
func (f *fleetKeys) Keys() (document.KeySet, error) {
	ks, err := f.own()
	if err != nil {
		return nil, err
	}
	others := f.othersKeys()
	out := append(document.KeySet(nil), ks...)
	for _, k := range others {
		if _, dup := out.Lookup(k.ID); dup {
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

// othersKeys returns the other gateways' endorsed keys, read from the
// store at most every fleetReadEvery.
func (f *fleetKeys) othersKeys() document.KeySet {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if !f.readAt.IsZero() && now.Sub(f.readAt) < fleetReadEvery {
		return f.others
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pubs, err := f.store.PublishedKeys(ctx)
	if err != nil {
		f.log.Error("reading the fleet's signing keys from the store failed; serving those read before", "error", err)
		f.readAt = now
		return f.others
	}
	var others document.KeySet
	for _, p := range pubs {
		if p.Gateway == f.gateway {
			continue
		}
		if !hmac.Equal(p.Tag, f.tag(p.Gateway, p.JWKS)) {
			f.refuse(p, "its endorsement does not hold: written without the fleet's subject key")
			continue
		}
		ks, err := document.ParseJWKS(p.JWKS)
		if err != nil {
			f.refuse(p, err.Error())
			continue
		}
		for _, k := range ks {
			if _, dup := others.Lookup(k.ID); dup {
				f.log.Warn("a signing key id published by two gateways: the second left out", "kid", k.ID, "gateway", p.Gateway)
				continue
			}
			others = append(others, k)
		}
	}
	f.others, f.readAt = others, now
	return others
}

// refuse logs, once per gateway and tag, a published row not served.
// f.mu is held.
func (f *fleetKeys) refuse(p evidence.PublishedKeys, why string) {
	id := p.Gateway + "\x00" + string(p.Tag)
	if f.refused[id] {
		return
	}
	if len(f.refused) >= maxRefusedLogged { // a writer editing rows on and on
		clear(f.refused)
	}
	f.refused[id] = true
	f.log.Warn("published signing keys not served", "gateway", p.Gateway, "why", why)
}
