"""What paperbot keeps per person, in its one SQLite store (rag.records, migration 0003):
the answers it showed and the 👍/👎 votes on them, saved papers, follows, and how far
each follower's weekly DM has got. The bot and the CLI (`paperbot feedback`) share it.

Everything about a user is keyed by their Discord user ID and never shown to anyone
else; `forget` deletes all of it in one transaction. Votes are deleted with the user
(not kept anonymously), and so are the questions they asked, with the answers to them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from rag.answers.answer import Answer
from rag.answers.notes import is_note
from rag.records import Database
from rag.text.language import base_language

UP, DOWN = 1, -1
REASONS = ("wrong_paper", "wrong_facts", "missing_paper", "language", "other")
FOLLOW_KINDS = ("topic", "author", "interest")
MAX_SAVED = 500  # per user: a reading list, not an archive
MAX_FOLLOWS = 20  # per user: /following shows one remove button each (4 rows of 5)
MAX_VALUE = 100  # characters of a followed topic, author or interest
MAX_NOTE = 200  # characters of a 👎 note
KEEP_UNVOTED = dt.timedelta(days=90)  # an answer nobody voted on is forgotten after this


def _text(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.timezone.utc).isoformat() if when else None


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Follow:
    id: int
    kind: str  # topic | author | interest
    value: str


@dataclass(frozen=True)
class Follower:
    user_id: int
    guild_id: int
    language: str
    since: dt.datetime
    last_slot: dt.datetime | None
    paused: str | None


class People:
    def __init__(self, db: Database):
        self.db = db

    # -- answers and votes ----------------------------------------------------------
    def record_answer(self, answer: Answer, question: str, *, asker_id: int | None, guild_id: int | None,
                      now: dt.datetime, ref: str | None = None) -> int:
        """Stores an answer about to be shown with vote buttons; returns its ID (the same
        ID again for a `ref` already recorded, e.g. a digest posted again after a crash)."""
        row = (ref, asker_id, guild_id, answer.operation, question, answer.text,
               json.dumps([c.arxiv_id for c in answer.citations]), json.dumps([c.arxiv_id for c in answer.sources]),
               answer.mode, answer.model, answer.language, _text(now))
        with self.db.transaction() as tx:
            if ref is not None:
                found = tx.execute("SELECT id FROM answers WHERE ref = ?", (ref,)).fetchone()
                if found:
                    return found["id"]
            answer_id = tx.execute("INSERT INTO answers (ref, asker_id, guild_id, operation, question, text, cited, "
                                   "shown, mode, model, language, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   row).lastrowid
            if answer_id % 100 == 0:  # now and then, forget old answers nobody voted on
                tx.execute("DELETE FROM answers WHERE created < ? AND NOT EXISTS "
                           "(SELECT 1 FROM votes WHERE votes.answer_id = answers.id)", (_text(now - KEEP_UNVOTED),))
        return answer_id

    def answer_exists(self, answer_id: int) -> bool:
        return bool(self.db.query("SELECT 1 FROM answers WHERE id = ?", (answer_id,)))

    def vote(self, answer_id: int, user_id: int, vote: int, now: dt.datetime) -> bool:
        """The user's one vote on the answer, replacing an earlier one (a 👍 drops an
        earlier 👎's reason). False when the answer is no longer stored."""
        with self.db.transaction() as tx:
            if not tx.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone():
                return False
            tx.execute("INSERT INTO votes (answer_id, user_id, vote, at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, at = excluded.at, "
                       "reason = CASE WHEN excluded.vote = votes.vote THEN votes.reason END, "
                       "note = CASE WHEN excluded.vote = votes.vote THEN votes.note END",
                       (answer_id, user_id, vote, _text(now)))
        return True

    def give_reason(self, answer_id: int, user_id: int, reason: str | None, note: str | None) -> bool:
        """Why the user's 👎; False when there is no such 👎 (any more)."""
        if reason is not None and reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}; one of {', '.join(REASONS)}")
        note = " ".join((note or "").split())[:MAX_NOTE] or None
        with self.db.transaction() as tx:
            changed = tx.execute("UPDATE votes SET reason = ?, note = ? WHERE answer_id = ? AND user_id = ? "
                                 "AND vote = ?", (reason, note, answer_id, user_id, DOWN)).rowcount
        return bool(changed)

    def user_vote(self, answer_id: int, user_id: int) -> dict | None:
        rows = self.db.query("SELECT vote, reason, note FROM votes WHERE answer_id = ? AND user_id = ?",
                             (answer_id, user_id))
        return dict(rows[0]) if rows else None

    def _voted(self, since: dt.datetime | None, guild_id: int | None):
        sql = ("SELECT a.id, a.operation, a.question, a.cited, a.shown, a.mode, a.model, a.language, v.vote, v.reason, "
               "v.note FROM votes v JOIN answers a ON a.id = v.answer_id WHERE 1 = 1")
        params: list = []
        if since is not None:
            sql += " AND v.at >= ?"
            params.append(_text(since))
        if guild_id is not None:
            sql += " AND a.guild_id = ?"
            params.append(guild_id)
        return self.db.query(sql + " ORDER BY a.id", tuple(params))

    def feedback_counts(self, since: dt.datetime | None = None, guild_id: int | None = None) -> dict:
        """👍/👎 by operation, mode and model, and the 👎 reasons (no user IDs, no text)."""
        rows = self._voted(since, guild_id)
        counts: dict = {"up": 0, "down": 0, "answers": len({r["id"] for r in rows}),
                        "by_operation": {}, "by_mode": {}, "by_model": {}, "reasons": {}}
        for r in rows:
            way = "up" if r["vote"] == UP else "down"
            counts[way] += 1
            for group, key in (("by_operation", r["operation"]), ("by_mode", r["mode"]),
                               ("by_model", r["model"] or "none")):
                counts[group].setdefault(key, {"up": 0, "down": 0})[way] += 1
            if r["vote"] == DOWN:
                reason = r["reason"] or "none"
                counts["reasons"][reason] = counts["reasons"].get(reason, 0) + 1
        return counts

    def eval_lines(self, since: dt.datetime | None = None) -> list[dict]:
        """Voted questions (asks only) as `paperbot eval` lines {q, lang, gold, kind}. A 👍
        answer's gold is the papers it cited; an answer with any 👎 (or nothing cited) is
        kind "review" with an empty gold and `"review": true`, which eval's metrics skip,
        with what it cited and the reasons, for a person to decide the right papers."""
        by_answer: dict[int, list] = {}
        for r in self._voted(since, None):
            if r["operation"] == "ask":
                by_answer.setdefault(r["id"], []).append(r)
        lines, seen = [], set()
        for votes in by_answer.values():
            first = votes[0]
            # papers only: a paper club session cited by an answer is not gold for retrieval
            cited = [i for i in json.loads(first["cited"]) if not is_note(i)]
            up = sum(v["vote"] == UP for v in votes)
            down = len(votes) - up
            line = {"q": first["question"], "lang": base_language(first["language"])}
            if down or not cited:
                line |= {"gold": [], "kind": "review", "review": True, "cited": cited,
                         "shown": json.loads(first["shown"]),
                         "reasons": sorted({v["reason"] for v in votes if v["reason"]}),
                         "notes": [v["note"] for v in votes if v["note"]]}
            else:
                line |= {"gold": cited, "kind": "single" if len(cited) == 1 else "multi"}
            line["votes"] = {"up": up, "down": down}
            key = json.dumps([line["q"], line["lang"], line["kind"], line["gold"]], ensure_ascii=False)
            if key not in seen:  # the same question answered the same way twice is one line
                seen.add(key)
                lines.append(line)
        return lines

    # -- saved papers ---------------------------------------------------------------
    def save(self, user_id: int, arxiv_id: str, now: dt.datetime) -> bool | None:
        """True when newly saved, False when it already was, None when the list is full."""
        with self.db.transaction() as tx:
            if tx.execute("SELECT 1 FROM saved_papers WHERE user_id = ? AND arxiv_id = ?",
                          (user_id, arxiv_id)).fetchone():
                return False
            if tx.execute("SELECT COUNT(*) FROM saved_papers WHERE user_id = ?", (user_id,)).fetchone()[0] >= MAX_SAVED:
                return None
            tx.execute("INSERT INTO saved_papers VALUES (?, ?, ?)", (user_id, arxiv_id, _text(now)))
        return True

    def unsave(self, user_id: int, arxiv_id: str) -> bool:
        with self.db.transaction() as tx:
            return bool(tx.execute("DELETE FROM saved_papers WHERE user_id = ? AND arxiv_id = ?",
                                   (user_id, arxiv_id)).rowcount)

    def saved(self, user_id: int) -> list[str]:
        """The user's saved arXiv IDs, most recently saved first."""
        rows = self.db.query("SELECT arxiv_id FROM saved_papers WHERE user_id = ? ORDER BY at DESC, arxiv_id",
                             (user_id,))
        return [r["arxiv_id"] for r in rows]

    # -- follows --------------------------------------------------------------------
    def follow(self, user_id: int, guild_id: int, kind: str, value: str, language: str, *,
               since: dt.datetime, last_slot: dt.datetime | None, now: dt.datetime) -> tuple[Follow | None, bool, bool]:
        """Adds a follow (or finds the same one). Returns it (None when the user already
        has MAX_FOLLOWS), whether it is new, and whether the user was not receiving DMs
        before (a new follower, or paused). A new follower's first DM covers papers added
        after `since` and comes after the first digest slot past `last_slot`; /follow
        also clears a pause and moves the DM to the server where it was used."""
        if kind not in FOLLOW_KINDS:
            raise ValueError(f"unknown follow kind {kind!r}")
        value = " ".join(value.split())[:MAX_VALUE]
        with self.db.transaction() as tx:
            before = tx.execute("SELECT paused FROM followers WHERE user_id = ?", (user_id,)).fetchone()
            tx.execute("INSERT INTO followers (user_id, guild_id, language, since, last_slot) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id, "
                       "language = excluded.language, paused = NULL",
                       (user_id, guild_id, language, _text(since), _text(last_slot)))
            found = tx.execute("SELECT id, kind, value FROM follows WHERE user_id = ? AND kind = ? AND value = ?",
                               (user_id, kind, value)).fetchone()
            starting = before is None or before["paused"] is not None
            if found:
                return Follow(found["id"], found["kind"], found["value"]), False, starting
            if tx.execute("SELECT COUNT(*) FROM follows WHERE user_id = ?", (user_id,)).fetchone()[0] >= MAX_FOLLOWS:
                return None, False, starting
            follow_id = tx.execute("INSERT INTO follows (user_id, kind, value, at) VALUES (?, ?, ?, ?)",
                                   (user_id, kind, value, _text(now))).lastrowid
        return Follow(follow_id, kind, value), True, starting

    def follows(self, user_id: int) -> list[Follow]:
        rows = self.db.query("SELECT id, kind, value FROM follows WHERE user_id = ? ORDER BY id", (user_id,))
        return [Follow(r["id"], r["kind"], r["value"]) for r in rows]

    def follower(self, user_id: int) -> Follower | None:
        rows = self.db.query("SELECT * FROM followers WHERE user_id = ?", (user_id,))
        return _follower(rows[0]) if rows else None

    def unfollow(self, user_id: int, follow_id: int) -> bool:
        """Removes one of the user's follows; with the last one goes their DM progress."""
        with self.db.transaction() as tx:
            removed = tx.execute("DELETE FROM follows WHERE id = ? AND user_id = ?", (follow_id, user_id)).rowcount
            if not tx.execute("SELECT 1 FROM follows WHERE user_id = ?", (user_id,)).fetchone():
                tx.execute("DELETE FROM followers WHERE user_id = ?", (user_id,))
        return bool(removed)

    def due(self, digests: dict[int, tuple[dt.datetime | None, dt.datetime | None]]) -> list[Follower]:
        """Followers whose server's digest (guild -> (last slot, cut-off)) has handled a
        slot since their last DM, and whose DMs are not paused."""
        out = []
        for row in self.db.query("SELECT * FROM followers WHERE paused IS NULL ORDER BY user_id"):
            follower = _follower(row)
            slot = digests.get(follower.guild_id, (None, None))[0]
            if slot is not None and (follower.last_slot is None or follower.last_slot < slot):
                out.append(follower)
        return out

    def dm_done(self, user_id: int, slot: dt.datetime, until: dt.datetime | None) -> None:
        """This slot's DM was sent (or had nothing to say): later DMs start after `until`
        (None: the papers wait for the next DM, as after a failed one)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE followers SET last_slot = ?, since = MAX(since, COALESCE(?, since)) WHERE user_id = ?",
                       (_text(slot), _text(until), user_id))

    def pause(self, user_id: int, slot: dt.datetime | None, why: str) -> None:
        """No more DMs until the user runs /follow again (e.g. their DMs are closed); the
        papers since their last DM wait for the next one."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE followers SET last_slot = COALESCE(?, last_slot), paused = ? WHERE user_id = ?",
                       (_text(slot), why, user_id))

    # -- privacy --------------------------------------------------------------------
    def forget(self, user_id: int) -> dict[str, int]:
        """Deletes every row about the user, in one transaction; returns what went, by kind."""
        with self.db.transaction() as tx:
            deleted = {
                "votes": tx.execute("DELETE FROM votes WHERE user_id = ?", (user_id,)).rowcount,
                "saved": tx.execute("DELETE FROM saved_papers WHERE user_id = ?", (user_id,)).rowcount,
                "follows": tx.execute("DELETE FROM follows WHERE user_id = ?", (user_id,)).rowcount,
                # the questions they asked, with the answers (and others' votes on them)
                "questions": tx.execute("DELETE FROM answers WHERE asker_id = ?", (user_id,)).rowcount,
            }
            tx.execute("DELETE FROM followers WHERE user_id = ?", (user_id,))
        return deleted


def _follower(row) -> Follower:
    return Follower(row["user_id"], row["guild_id"], row["language"], _time(row["since"]), _time(row["last_slot"]),
                    row["paused"])
