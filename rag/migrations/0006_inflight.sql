-- Answers being written for an interaction right now. A bot that dies mid-answer tells
-- their askers after its restart (an interaction's token lets it edit the reply for 15
-- minutes); a finished answer removes its row.
CREATE TABLE inflight (
    interaction_id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL,
    token          TEXT NOT NULL,
    language       TEXT NOT NULL,
    started        TEXT NOT NULL   -- ISO UTC
);
