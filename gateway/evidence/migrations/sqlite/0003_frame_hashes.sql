-- Perceptual hashes of the frames of ended sessions, for the replay cue
-- (liveness.Replay): a session whose frames are near-identical to an
-- earlier session's is a replayed recording. No images; an opaque session
-- id of the cue's own (no IIN, no subject key); deleted by PruneFrames with
-- the images' retention. b0..b3 are the 16-bit bands of coarse (b0 the
-- high bits), indexed so a lookup finds every hash within distance 3.
CREATE TABLE frame_hashes (
	session TEXT    NOT NULL,
	idx     INTEGER NOT NULL,
	time_ns INTEGER  NOT NULL,
	coarse  INTEGER  NOT NULL,            -- the 64-bit hash as a signed integer
	fine    BLOB   NOT NULL,            -- 32 bytes, big-endian words
	b0      INTEGER NOT NULL,
	b1      INTEGER NOT NULL,
	b2      INTEGER NOT NULL,
	b3      INTEGER NOT NULL,
	PRIMARY KEY (session, idx)
);
CREATE INDEX frame_hashes_b0 ON frame_hashes (b0);
CREATE INDEX frame_hashes_b1 ON frame_hashes (b1);
CREATE INDEX frame_hashes_b2 ON frame_hashes (b2);
CREATE INDEX frame_hashes_b3 ON frame_hashes (b3);
CREATE INDEX frame_hashes_time ON frame_hashes (time_ns);
