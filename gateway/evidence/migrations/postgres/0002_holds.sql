-- One running session per subject across every gateway on this store: a
-- lease on the subject key (never an IIN), taken at a session's start and
-- released at its end; a lease of a gateway that died runs out at until_ns.
CREATE TABLE holds (
	key      TEXT   PRIMARY KEY,
	holder   TEXT   NOT NULL,
	until_ns BIGINT NOT NULL
);
