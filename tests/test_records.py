"""paperbot's records upgrade in place: a database made by the first release (migration 0001
alone, a server's digest settings and a digest half posted) is brought through every later
migration when paperbot opens it, and keeps what it held."""

from __future__ import annotations

import sqlite3

from rag.records import MIGRATIONS, Database


def test_a_database_from_the_first_migration_upgrades_through_all_later_ones_and_keeps_its_rows(tmp_path):
    path = tmp_path / "paperbot.sqlite"
    first = sorted(MIGRATIONS.glob("0001_*.sql"))[0]
    old = sqlite3.connect(path)
    old.executescript(first.read_text(encoding="utf-8") + "\nPRAGMA user_version = 1;")
    old.execute("INSERT INTO digests VALUES (1, 42, 'monday', '09:00', 'Asia/Taipei', 'zh', "
                "'2024-06-03T01:00:00+00:00', '2024-06-03T01:00:00+00:00')")
    old.execute("INSERT INTO digest_posts VALUES (1, '2024-06-10T01:00:00+00:00', '2024-06-03T01:00:00+00:00', "
                "'2024-06-10T01:00:00+00:00', '{\"text\": \"half posted\"}', '2024-06-10T01:00:05+00:00')")
    old.commit()
    old.close()

    db = Database(path)
    latest = max(int(p.name[:4]) for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert db.version == latest > 1
    (digest,) = db.query("SELECT channel_id, timezone, last_slot FROM digests WHERE guild_id = 1")
    assert tuple(digest) == (42, "Asia/Taipei", "2024-06-03T01:00:00+00:00")
    (post,) = db.query("SELECT answer FROM digest_posts")
    assert post["answer"] == '{"text": "half posted"}'  # the restart still finishes it
    tables = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"model_calls", "answer_cache", "answers", "votes", "saved_papers", "follows", "followers",
            "arxiv_lookups", "query_rewrites", "inflight"} <= tables
    db.execute("INSERT INTO saved_papers (user_id, arxiv_id, at) VALUES (7, '2405.14831', '2024-06-10')")
    db.close()
    assert Database(path).version == latest  # opened again: nothing runs twice
