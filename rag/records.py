"""paperbot's own records in one SQLite file under `state_dir` (`paperbot.sqlite`).

Everything paperbot must remember between runs lives here (the digests, the ledger of
model calls, the answer cache, votes, saved papers, follows, arXiv lookups, answers in
flight): one file, WAL, every change a transaction, a schema version with numbered
migrations (`rag/migrations/0001_*.sql`, applied in order, each once). Chroma stays the
store of papers and the tables stay the source of truth for the list; what can be
rebuilt from them is a disposable cache (rag.files), never a record.

A committed transaction survives a crash of the process (SIGKILL included): WAL with
`synchronous=NORMAL` loses nothing a crash of paperbot can cause, only what a power cut
during the last moments might.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
_NUMBERED = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Database:
    """One connection shared by the event loop and worker threads, used under a lock
    (each use is short: a row or a few)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    @property
    def version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        scripts = sorted((int(m[1]), p) for p in MIGRATIONS.iterdir() if (m := _NUMBERED.match(p.name)))
        with self._lock:
            for number, script in scripts:
                if number <= self.version:
                    continue
                # executescript commits first; the script and its version bump are one transaction.
                self._db.executescript(f"BEGIN IMMEDIATE;\n{script.read_text(encoding='utf-8')}\n"
                                       f"PRAGMA user_version = {number};\nCOMMIT;")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing; other writers (threads, processes) wait."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple | dict = ()) -> None:
        with self.transaction() as db:
            db.execute(sql, params)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def utc_now() -> dt.datetime:
    """Records keep their times in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def key(*parts) -> str:
    """A stable key for a cached row, from everything its contents depend on."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
