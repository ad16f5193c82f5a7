-- Where and when each server's weekly digest goes, and how far it has got.
CREATE TABLE digests (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    weekday    TEXT NOT NULL,
    time       TEXT NOT NULL,     -- HH:MM in `timezone`
    timezone   TEXT NOT NULL,
    language   TEXT NOT NULL,
    last_slot  TEXT,              -- ISO UTC: the latest slot handled (posted, or nothing to post)
    cutoff     TEXT               -- ISO UTC: papers added after this go in the next digest
);

-- A digest being posted: written before the first message is sent and removed in the
-- same transaction that advances `digests`, so a crash in between is finished on restart
-- (the messages already in the channel are found by their marker, never posted twice).
CREATE TABLE digest_posts (
    guild_id   INTEGER PRIMARY KEY REFERENCES digests (guild_id) ON DELETE CASCADE,
    slot       TEXT NOT NULL,     -- ISO UTC
    since      TEXT NOT NULL,
    until      TEXT NOT NULL,
    answer     TEXT NOT NULL,     -- the digest as JSON, so a retry posts the same words
    started    TEXT NOT NULL
);
