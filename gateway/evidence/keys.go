package evidence

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PublishedKeys are one gateway's public document signing keys as it last
// published them on the store (Store.PublishKeys), for every gateway on
// the store to serve. The store keeps them as given: it checks neither the
// JWKS nor the tag. Anyone who can write to the database can write a row,
// so a reader trusts a row only if its Tag is the fleet's endorsement of
// Gateway and JWKS (internal/daemon does).
type PublishedKeys struct {
	// Gateway is the publisher's id (no '/').
	Gateway string
	// JWKS is its public keys, as document.MarshalJWKS writes them.
	JWKS []byte
	// Tag is the publisher's endorsement of Gateway and JWKS.
	Tag []byte
	// At is when it was published.
	At time.Time
}

// maxPublishedJWKS bounds a published JWKS: a gateway's keys with their
// overlap are a few hundred bytes each.
const maxPublishedJWKS = 64 << 10

func (s *store) PublishKeys(ctx context.Context, p PublishedKeys) error {
	if p.Gateway == "" || strings.Contains(p.Gateway, "/") || len(p.JWKS) == 0 || len(p.JWKS) > maxPublishedJWKS || len(p.Tag) == 0 {
		return fmt.Errorf("%w: publish keys: gateway %q, a JWKS of %d bytes (1-%d) and a tag of %d bytes", ErrInvalidRecord, p.Gateway, len(p.JWKS), maxPublishedJWKS, len(p.Tag))
	}
	err := s.b.write(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO published_keys (gateway, jwks, tag, published_ns) VALUES ($1, $2, $3, $4)
			ON CONFLICT (gateway) DO UPDATE SET jwks = excluded.jwks, tag = excluded.tag, published_ns = excluded.published_ns`,
			p.Gateway, p.JWKS, p.Tag, p.At.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("evidence: publish keys: %w", err)
	}
	return nil
}

func (s *store) PublishedKeys(ctx context.Context) ([]PublishedKeys, error) {
	var out []PublishedKeys
	err := s.b.read(ctx, func(q querier) error {
		rs, err := q.query(ctx, "SELECT gateway, jwks, tag, published_ns FROM published_keys ORDER BY gateway")
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p PublishedKeys
			var ns int64
			if err := rs.Scan(&p.Gateway, &p.JWKS, &p.Tag, &ns); err != nil {
				return err
			}
			p.At = time.Unix(0, ns).UTC()
			out = append(out, p)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("evidence: published keys: %w", err)
	}
	return out, nil
}
