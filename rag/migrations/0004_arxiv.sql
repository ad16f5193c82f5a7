-- Listed papers arXiv does not know (or withdrew): not asked about again at every ingest.
-- Abstracts and authors that were found live with the paper in the store (Chroma).
CREATE TABLE arxiv_lookups (
    arxiv_id TEXT PRIMARY KEY,
    outcome  TEXT NOT NULL,   -- unknown | withdrawn
    at       TEXT NOT NULL    -- ISO UTC
);
