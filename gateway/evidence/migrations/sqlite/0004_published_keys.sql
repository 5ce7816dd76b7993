-- Each gateway's public document signing keys, as the JWKS it serves, so
-- that any gateway on this store can serve every gateway's keys. tag is
-- the publisher's endorsement (an HMAC with the fleet's key): the readers
-- check it, the store does not, so a row written by anyone else is ignored.
CREATE TABLE published_keys (
	gateway         TEXT    PRIMARY KEY,
	jwks            BLOB    NOT NULL,
	tag             BLOB    NOT NULL,
	published_ns    INTEGER NOT NULL
);
