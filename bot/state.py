"""What the bot must remember across restarts, in paperbot's SQLite store (`rag.records`):
per-guild digest settings and progress, and the answers being written right now.

A digest is posted in three steps that a crash cannot make disagree: `begin` records
the digest about to be posted (its period and its words); the messages are sent, each
with a marker and an idempotency nonce; `finish` advances the guild's slot and cut-off
and forgets the pending post, in one transaction. After a restart a pending post is
finished, not started again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from rag.records import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuildDigest:
    channel_id: int
    weekday: str
    time: str  # HH:MM in `timezone`
    timezone: str
    language: str  # of the admin who set it up
    last_slot: dt.datetime | None = None  # the latest slot that was handled (posted, or nothing to post)
    cutoff: dt.datetime | None = None  # papers added after this go in the next digest


@dataclass(frozen=True)
class PendingPost:
    slot: dt.datetime
    since: dt.datetime
    until: dt.datetime
    answer: dict  # Answer.to_dict()
    started: dt.datetime


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _text(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


class DigestState:
    def __init__(self, db: Database, legacy_json: Path | None = None):
        self.db = db
        if legacy_json is not None:
            self._import(legacy_json)

    @property
    def guilds(self) -> dict[int, GuildDigest]:
        rows = self.db.query("SELECT * FROM digests")
        return {r["guild_id"]: GuildDigest(r["channel_id"], r["weekday"], r["time"], r["timezone"], r["language"],
                                           _time(r["last_slot"]), _time(r["cutoff"])) for r in rows}

    def set(self, guild_id: int, digest: GuildDigest | None) -> None:
        with self.db.transaction() as tx:
            if digest is None:
                tx.execute("DELETE FROM digests WHERE guild_id = ?", (guild_id,))
                return
            tx.execute("INSERT INTO digests VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                       "channel_id = excluded.channel_id, weekday = excluded.weekday, time = excluded.time, "
                       "timezone = excluded.timezone, language = excluded.language, "
                       "last_slot = excluded.last_slot, cutoff = excluded.cutoff",
                       (guild_id, digest.channel_id, digest.weekday, digest.time, digest.timezone, digest.language,
                        _text(digest.last_slot), _text(digest.cutoff)))

    def pending(self, guild_id: int) -> PendingPost | None:
        rows = self.db.query("SELECT * FROM digest_posts WHERE guild_id = ?", (guild_id,))
        if not rows:
            return None
        r = rows[0]
        return PendingPost(_time(r["slot"]), _time(r["since"]), _time(r["until"]), json.loads(r["answer"]),
                           _time(r["started"]))

    def begin(self, guild_id: int, post: PendingPost) -> None:
        self.db.execute("INSERT INTO digest_posts VALUES (?, ?, ?, ?, ?, ?)",
                        (guild_id, _text(post.slot), _text(post.since), _text(post.until),
                         json.dumps(post.answer, ensure_ascii=False), _text(post.started)))

    def finish(self, guild_id: int, slot: dt.datetime, cutoff: dt.datetime | None) -> None:
        """The slot is handled; papers added after `cutoff` (None: keep the old one) go next."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE digests SET last_slot = ?, cutoff = COALESCE(?, cutoff) WHERE guild_id = ?",
                       (_text(slot), _text(cutoff), guild_id))
            tx.execute("DELETE FROM digest_posts WHERE guild_id = ?", (guild_id,))

    def _import(self, path: Path) -> None:
        """Settings from the JSON file earlier versions kept, moved in once."""
        if not path.is_file():
            return
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            for guild, d in raw.get("guilds", {}).items():
                if int(guild) not in self.guilds:
                    self.set(int(guild), GuildDigest(int(d["channel_id"]), d["weekday"], d["time"], d["timezone"],
                                                     d["language"], _time(d.get("last_slot")), _time(d.get("cutoff"))))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.error("digest settings in %s are unreadable (%s); set the digest again with /digest-channel",
                      path, exc)
        os.replace(path, path.with_suffix(".json.imported"))


class Inflight:
    """Answers being written. If the bot dies mid-answer, the asker would watch "thinking…"
    until Discord gives up; after the restart, `apologise` tells them to ask again."""

    TOKEN_LIFETIME = dt.timedelta(minutes=14)  # Discord honours an interaction token for 15

    def __init__(self, db: Database):
        self.db = db

    @contextlib.asynccontextmanager
    async def tracking(self, interaction_id: int, application_id: int, token: str, language: str) -> AsyncIterator[None]:
        self.db.execute("INSERT OR REPLACE INTO inflight VALUES (?, ?, ?, ?, ?)",
                        (interaction_id, application_id, token, language,
                         dt.datetime.now(dt.timezone.utc).isoformat()))
        try:
            yield
        finally:
            self.db.execute("DELETE FROM inflight WHERE interaction_id = ?", (interaction_id,))

    def interrupted(self) -> list[tuple[int, str, str]]:
        """(application ID, token, language) of answers a crash cut off, still editable;
        all are forgotten at once."""
        oldest = dt.datetime.now(dt.timezone.utc) - self.TOKEN_LIFETIME
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT * FROM inflight").fetchall()
            tx.execute("DELETE FROM inflight")
        return [(r["application_id"], r["token"], r["language"]) for r in rows
                if dt.datetime.fromisoformat(r["started"]) > oldest]
