-- Search phrasings the model wrote for a question (when [retrieval] rewrite is on), so
-- the same question never costs a second call.
CREATE TABLE query_rewrites (
    key      TEXT PRIMARY KEY,   -- the normalised question and the model
    phrasing TEXT NOT NULL,      -- JSON list of English search phrasings
    created  TEXT NOT NULL
);
