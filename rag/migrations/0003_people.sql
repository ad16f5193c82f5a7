-- What paperbot keeps per person (rag/people.py). Every row about a user is keyed by their
-- Discord user ID, so /forget-me can delete all of it in one transaction.

-- Answers shown with 👍/👎 buttons: a vote says which answer it is about, and what was
-- in it, so the eval set can grow from real use. Answers nobody voted on are pruned.
CREATE TABLE answers (
    id        INTEGER PRIMARY KEY,
    ref       TEXT UNIQUE,          -- a digest's key (digest:<guild>:<slot>): posted again, same record
    asker_id  INTEGER,              -- the Discord user who asked; NULL for a digest
    guild_id  INTEGER,              -- NULL in a DM
    operation TEXT NOT NULL,        -- ask, summarize, compare, recommend, digest
    question  TEXT NOT NULL,        -- what was asked, as the answer's title shows it
    text      TEXT NOT NULL,        -- the answer as shown
    cited     TEXT NOT NULL,        -- JSON list of the arXiv IDs cited, in [n] order
    shown     TEXT NOT NULL,        -- JSON list of the arXiv IDs shown but not cited
    mode      TEXT NOT NULL,        -- llm | offline
    model     TEXT,
    language  TEXT NOT NULL,
    created   TEXT NOT NULL         -- ISO UTC
);
CREATE INDEX answers_asker ON answers (asker_id);
CREATE INDEX answers_created ON answers (created);

-- One vote per user per answer; changing it replaces it.
CREATE TABLE votes (
    answer_id INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    vote      INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    reason    TEXT,                 -- 👎 only: wrong_paper, wrong_facts, missing_paper, language, other
    note      TEXT,                 -- 👎 only: the user's own words, short
    at        TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX votes_user ON votes (user_id);
CREATE INDEX votes_at ON votes (at);

CREATE TABLE saved_papers (
    user_id  INTEGER NOT NULL,
    arxiv_id TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (user_id, arxiv_id)
);

-- A member who follows something, and how far their weekly DM has got.
CREATE TABLE followers (
    user_id   INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,     -- the DM goes after this server's weekly digest
    language  TEXT NOT NULL,
    since     TEXT NOT NULL,        -- papers added after this go in the next DM
    last_slot TEXT,                 -- the digest slot the latest DM (or its turn) followed
    paused    TEXT                  -- why DMs stopped (e.g. DMs closed); cleared by /follow
);

CREATE TABLE follows (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES followers (user_id) ON DELETE CASCADE,
    kind    TEXT NOT NULL CHECK (kind IN ('topic', 'author', 'interest')),
    value   TEXT NOT NULL,
    at      TEXT NOT NULL,
    UNIQUE (user_id, kind, value)
);
