-- The documents of the chain, one row each; seq is the position (1, 2, ...).
CREATE TABLE documents (
	seq       BIGINT  PRIMARY KEY,
	id        TEXT    NOT NULL UNIQUE,
	time_ns   BIGINT  NOT NULL,            -- Unix nanoseconds
	decision  TEXT    NOT NULL,
	reasons   TEXT    NOT NULL,            -- JSON array of strings
	bin       TEXT    NOT NULL,
	gateway   TEXT    NOT NULL,
	document  BYTEA   NOT NULL,            -- the signed document as sent
	prev_hash TEXT    NOT NULL,            -- hex; '' for the first
	hash      TEXT    NOT NULL,            -- hex SHA-256, see chain.go
	purged_ns BIGINT  NOT NULL DEFAULT 0   -- when retention dropped the images; 0 = kept
);
CREATE INDEX documents_time ON documents (time_ns);

-- A document's images: name and plaintext digest, which stay forever (they
-- are in the row hash).
CREATE TABLE images (
	seq    BIGINT  NOT NULL REFERENCES documents (seq) ON DELETE CASCADE,
	idx    INTEGER NOT NULL,
	name   TEXT    NOT NULL,
	sha256 TEXT    NOT NULL,
	PRIMARY KEY (seq, idx)
);

-- The images' AES-GCM ciphertexts (nonce || sealed JPEG), apart so that a
-- walk of the chain reads none of them; retention deletes these rows.
CREATE TABLE image_data (
	seq  BIGINT  NOT NULL,
	idx  INTEGER NOT NULL,
	data BYTEA   NOT NULL,
	PRIMARY KEY (seq, idx),
	FOREIGN KEY (seq, idx) REFERENCES images (seq, idx) ON DELETE CASCADE
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE image_data ALTER COLUMN data SET STORAGE EXTERNAL;

-- The last link: appends serialise on this one row.
CREATE TABLE chain_head (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	seq  BIGINT  NOT NULL,
	hash TEXT    NOT NULL
);
INSERT INTO chain_head (one, seq, hash) VALUES (1, 0, '');

-- Failed verifications per subject (an opaque key, never an IIN) for the
-- lockout.
CREATE TABLE failures (
	key     TEXT    NOT NULL,
	time_ns BIGINT  NOT NULL
);
CREATE INDEX failures_key_time ON failures (key, time_ns);
