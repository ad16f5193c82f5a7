-- Every model call: who, what for, which model, the tokens the server reported (or an
-- estimate, marked), what it cost by the price table (NULL = unknown), how it ended.
CREATE TABLE model_calls (
    id                INTEGER PRIMARY KEY,
    at                TEXT NOT NULL,     -- ISO UTC
    guild             TEXT NOT NULL,     -- Discord server ID; '' outside Discord
    user              TEXT NOT NULL,     -- Discord user ID; 'cli' or 'paperbot' for the operator and the bot itself
    operation         TEXT NOT NULL,     -- ask, summarize, compare, recommend, digest, gloss, add, rewrite
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    estimated         INTEGER NOT NULL DEFAULT 0,   -- 1: the server reported no usage; counted locally
    cost_usd          REAL,                         -- NULL: no price for this model
    cached            INTEGER NOT NULL DEFAULT 0,   -- 1: served from the answer cache, no call made
    saved_usd         REAL,                         -- for a cache hit: what the original call cost
    seconds           REAL,
    outcome           TEXT NOT NULL                 -- ok | fallback: why | error: why
);
CREATE INDEX model_calls_at ON model_calls (at);
CREATE INDEX model_calls_user ON model_calls (user, at);
CREATE INDEX model_calls_guild ON model_calls (guild, at);

-- Answers the model wrote, by everything they depend on (operation, normalised input,
-- the sources as the model saw them, language, model, the prompt templates).
CREATE TABLE answer_cache (
    key               TEXT PRIMARY KEY,
    operation         TEXT NOT NULL,
    model             TEXT NOT NULL,
    papers            TEXT NOT NULL,     -- JSON list of the arXiv IDs it was written from
    answer            TEXT NOT NULL,     -- JSON of the answer as shown
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd          REAL,
    created           TEXT NOT NULL,
    last_used         TEXT NOT NULL,
    hits              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX answer_cache_used ON answer_cache (last_used);
