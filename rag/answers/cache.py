"""Answers the model already wrote, served again without a model call.

An entry's key is everything the answer depends on: the operation, the input as the
user typed it once normalised (case, whitespace, script, ID form), the sources exactly
as the model saw them (so a changed row, gloss or abstract misses), the task's
parameters, the language, the model, and the text of the prompt templates for that
operation (so editing a template misses only the operations that use it). Nothing is
invalidated by hand; an entry nobody can reach any more is dropped as least recently
used once the cache is full.
"""

from __future__ import annotations

import json

from rag.records import Database, utc_now


class AnswerCache:
    def __init__(self, db: Database, max_entries: int = 20000, clock=utc_now):
        self.db, self.max_entries, self.clock = db, max_entries, clock

    def get(self, key: str) -> dict | None:
        """The stored entry (answer JSON, its original usage and cost), counting the hit."""
        rows = self.db.query("SELECT * FROM answer_cache WHERE key = ?", (key,))
        if not rows:
            return None
        self.db.execute("UPDATE answer_cache SET hits = hits + 1, last_used = ? WHERE key = ?",
                        (self.clock().isoformat(), key))
        row = dict(rows[0])
        row["answer"] = json.loads(row["answer"])
        return row

    def put(self, key: str, operation: str, model: str, papers: list[str], answer: dict, prompt_tokens: int,
            completion_tokens: int, cost_usd: float | None) -> None:
        now = self.clock().isoformat()
        with self.db.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO answer_cache (key, operation, model, papers, answer, prompt_tokens, "
                       "completion_tokens, cost_usd, created, last_used, hits) VALUES (?,?,?,?,?,?,?,?,?,?,0)",
                       (key, operation, model, json.dumps(papers), json.dumps(answer, ensure_ascii=False),
                        prompt_tokens, completion_tokens, cost_usd, now, now))
            tx.execute("DELETE FROM answer_cache WHERE key IN (SELECT key FROM answer_cache "
                       "ORDER BY last_used DESC LIMIT -1 OFFSET ?)", (self.max_entries,))

    def stats(self) -> dict:
        (row,) = self.db.query(
            "SELECT COUNT(*) AS entries, COALESCE(SUM(hits), 0) AS hits, "
            "COALESCE(SUM(hits * cost_usd), 0) AS saved_usd, "
            "COALESCE(SUM(hits * (prompt_tokens + completion_tokens)), 0) AS saved_tokens, "
            "COALESCE(SUM(LENGTH(answer)), 0) AS bytes FROM answer_cache")
        by_operation = {r["operation"]: r["n"] for r in self.db.query(
            "SELECT operation, COUNT(*) AS n FROM answer_cache GROUP BY operation ORDER BY n DESC")}
        return {**dict(row), "by_operation": by_operation, "max_entries": self.max_entries}

    def clear(self) -> int:
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM answer_cache").rowcount
