-- The paper club (rag/club): members nominate papers, a native Discord poll picks one,
-- the group discusses it in a thread and keeps what it concluded.

-- Where each server's club votes and when it meets. At each meeting minute the vote for
-- the following week's session opens, lasting `poll_hours`.
CREATE TABLE clubs (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    weekday    TEXT NOT NULL,
    time       TEXT NOT NULL,     -- HH:MM in `timezone`
    timezone   TEXT NOT NULL,
    poll_hours INTEGER NOT NULL,
    language   TEXT NOT NULL,     -- of the admin who set it up: the club's public messages
    last_slot  TEXT               -- ISO UTC: the latest weekly slot handled (a vote opened, or nothing to vote on)
);

-- One session: written (with the nominations it puts to the vote) before the poll is
-- posted; each later step records what it posted, so a restart finishes a step and
-- never repeats one.
CREATE TABLE club_sessions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    language      TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    opened        TEXT NOT NULL,   -- ISO UTC
    closes        TEXT NOT NULL,   -- when the poll ends, as asked of Discord
    meets         TEXT NOT NULL,   -- the meeting
    poll_id       INTEGER,         -- the poll's message, once posted
    counts        TEXT,            -- JSON: the poll's final votes per answer, in answer order
    winner        INTEGER,         -- the nomination that won (club_nominations.id)
    tie           INTEGER NOT NULL DEFAULT 0,   -- 1: the winner tied and was nominated first
    announce_id   INTEGER,         -- the winner's announcement; its thread has the same ID
    opening       TEXT,            -- JSON: the thread's first words (summary, questions), kept for retries
    thread_url    TEXT,            -- once the thread's first message is posted
    day_reminder  TEXT,            -- sent | skipped (the bot was down)
    hour_reminder TEXT,
    met           TEXT,            -- sent | skipped: the "add your takeaways" message at the meeting
    cancelled     TEXT             -- why the session ended early (e.g. the poll was deleted)
);
CREATE INDEX club_sessions_guild ON club_sessions (guild_id, id);

-- Nominations, in order: a tie goes to the earlier one. Waiting ones have no session.
CREATE TABLE club_nominations (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    arxiv_id   TEXT NOT NULL,
    title      TEXT NOT NULL,      -- the paper's title when nominated (history reads it without the store)
    user_id    INTEGER,            -- NULL once the member asked to be forgotten
    reason     TEXT,
    at         TEXT NOT NULL,
    session_id INTEGER REFERENCES club_sessions (id) ON DELETE SET NULL,
    answer     INTEGER             -- its answer number in that session's poll (1..10)
);
CREATE UNIQUE INDEX club_nominations_waiting ON club_nominations (guild_id, arxiv_id) WHERE session_id IS NULL;
CREATE INDEX club_nominations_session ON club_nominations (session_id);

-- Members who asked to be reminded (and mentioned) before a session's meeting.
CREATE TABLE club_reminders (
    session_id INTEGER NOT NULL REFERENCES club_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- Who attended, and what they took away (what /ask answers "what did we conclude" from).
CREATE TABLE club_attendance (
    session_id INTEGER NOT NULL REFERENCES club_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE club_takeaways (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES club_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,   -- deleted with the member (/forget-me)
    text       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX club_takeaways_session ON club_takeaways (session_id);
