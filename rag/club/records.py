"""The paper club's records, in paperbot's one SQLite store (migration 0007): where each
server's club votes and when it meets, the nominations, the sessions and every step each
has taken, who asked for reminders, who attended and what they took away.

A session is written, with the nominations it puts to the vote, in one transaction before
its poll is posted; each later step (the poll, its final counts, the announcement, the
thread's first message, the reminders, the meeting) records what it did as it does it,
so a front end that restarts finishes the step it was in and never repeats one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from rag.club.poll import MAX_ANSWERS, winner
from rag.errors import InputError
from rag.records import Database

MAX_WAITING = 25  # nominations waiting per server (the vote takes the first 10)
MAX_MINE = 3  # nominations waiting per member
MAX_REASON = 200  # characters of a nomination's reason
MAX_TAKEAWAY = 500  # characters of a takeaway
MAX_TAKEAWAYS = 10  # takeaways per member per session
SENT, SKIPPED = "sent", "skipped"  # what became of a reminder or the meeting's message


def _text(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.timezone.utc).isoformat() if when else None


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _clean(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Settings:
    channel_id: int
    weekday: str
    time: str  # HH:MM in `timezone`: the meeting, and when the next week's vote opens
    timezone: str
    poll_hours: int
    language: str
    last_slot: dt.datetime | None = None


@dataclass(frozen=True)
class Nomination:
    id: int  # its order: a tie goes to the smaller
    guild_id: int
    arxiv_id: str
    title: str
    user_id: int | None
    reason: str | None
    at: dt.datetime
    session_id: int | None = None
    answer: int | None = None  # its answer number in that session's poll


@dataclass(frozen=True)
class Session:
    id: int
    guild_id: int
    channel_id: int
    language: str
    timezone: str
    opened: dt.datetime
    closes: dt.datetime
    meets: dt.datetime
    poll_id: int | None = None
    counts: list[int] | None = None
    winner: int | None = None  # the winning nomination's ID
    tie: bool = False
    announce_id: int | None = None  # the announcement; the thread started from it has the same ID
    opening: dict | None = None
    thread_url: str | None = None
    day_reminder: str | None = None
    hour_reminder: str | None = None
    met: str | None = None
    cancelled: str | None = None

    @property
    def thread_id(self) -> int | None:
        return self.announce_id if self.thread_url else None

    @property
    def voting(self) -> bool:
        return self.counts is None and self.cancelled is None

    @property
    def done(self) -> bool:
        return self.met is not None or self.cancelled is not None


def _session(r) -> Session:
    return Session(r["id"], r["guild_id"], r["channel_id"], r["language"], r["timezone"], _time(r["opened"]),
                   _time(r["closes"]), _time(r["meets"]), r["poll_id"],
                   json.loads(r["counts"]) if r["counts"] else None, r["winner"], bool(r["tie"]), r["announce_id"],
                   json.loads(r["opening"]) if r["opening"] else None, r["thread_url"], r["day_reminder"],
                   r["hour_reminder"], r["met"], r["cancelled"])


def _nomination(r) -> Nomination:
    return Nomination(r["id"], r["guild_id"], r["arxiv_id"], r["title"], r["user_id"], r["reason"], _time(r["at"]),
                      r["session_id"], r["answer"])


class Club:
    def __init__(self, db: Database):
        self.db = db

    # -- settings ---------------------------------------------------------------------
    def settings(self) -> dict[int, Settings]:
        return {r["guild_id"]: Settings(r["channel_id"], r["weekday"], r["time"], r["timezone"], r["poll_hours"],
                                        r["language"], _time(r["last_slot"]))
                for r in self.db.query("SELECT * FROM clubs")}

    def configure(self, guild_id: int, settings: Settings | None) -> None:
        """Sets where and when the server's club votes and meets; None stops the schedule
        (nominations, sessions and notes stay)."""
        with self.db.transaction() as tx:
            if settings is None:
                tx.execute("DELETE FROM clubs WHERE guild_id = ?", (guild_id,))
                return
            s = settings
            tx.execute("INSERT INTO clubs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                       "channel_id = excluded.channel_id, weekday = excluded.weekday, time = excluded.time, "
                       "timezone = excluded.timezone, poll_hours = excluded.poll_hours, "
                       "language = excluded.language, last_slot = excluded.last_slot",
                       (guild_id, s.channel_id, s.weekday, s.time, s.timezone, s.poll_hours, s.language,
                        _text(s.last_slot)))

    def slot_done(self, guild_id: int, slot: dt.datetime) -> None:
        self.db.execute("UPDATE clubs SET last_slot = ? WHERE guild_id = ?", (_text(slot), guild_id))

    # -- nominations ------------------------------------------------------------------
    def nominate(self, guild_id: int, arxiv_id: str, title: str, user_id: int, reason: str | None,
                 now: dt.datetime) -> tuple[Nomination, int]:
        """Puts a paper forward for the next vote: (the nomination, its place among those
        waiting; the vote takes the first MAX_ANSWERS). InputError when the paper is
        already waiting, or the member or the server has as many waiting as allowed."""
        with self.db.transaction() as tx:
            found = tx.execute("SELECT * FROM club_nominations WHERE guild_id = ? AND arxiv_id = ? AND "
                               "session_id IS NULL", (guild_id, arxiv_id)).fetchone()
            if found:
                raise InputError("club_already", f"{arxiv_id} is already nominated for the next vote.",
                                 arxiv_id=arxiv_id, title=found["title"], user_id=found["user_id"])
            mine = tx.execute("SELECT COUNT(*) FROM club_nominations WHERE guild_id = ? AND user_id = ? AND "
                              "session_id IS NULL", (guild_id, user_id)).fetchone()[0]
            if mine >= MAX_MINE:
                raise InputError("club_mine_full", f"You have {MAX_MINE} nominations waiting already.",
                                 limit=MAX_MINE)
            waiting = tx.execute("SELECT COUNT(*) FROM club_nominations WHERE guild_id = ? AND session_id IS NULL",
                                 (guild_id,)).fetchone()[0]
            if waiting >= MAX_WAITING:
                raise InputError("club_full", f"{MAX_WAITING} papers are waiting for the vote already.",
                                 limit=MAX_WAITING)
            row = (guild_id, arxiv_id, title, user_id, _clean(reason, MAX_REASON) or None, _text(now))
            new = tx.execute("INSERT INTO club_nominations (guild_id, arxiv_id, title, user_id, reason, at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", row).lastrowid
            r = tx.execute("SELECT * FROM club_nominations WHERE id = ?", (new,)).fetchone()
        return _nomination(r), waiting + 1

    def waiting(self, guild_id: int) -> list[Nomination]:
        """Nominations waiting for a vote, in nomination order."""
        rows = self.db.query("SELECT * FROM club_nominations WHERE guild_id = ? AND session_id IS NULL ORDER BY id",
                             (guild_id,))
        return [_nomination(r) for r in rows]

    def on_ballot(self, session_id: int) -> list[Nomination]:
        """A session's nominations in answer order."""
        rows = self.db.query("SELECT * FROM club_nominations WHERE session_id = ? ORDER BY answer", (session_id,))
        return [_nomination(r) for r in rows]

    def nomination(self, nomination_id: int) -> Nomination | None:
        rows = self.db.query("SELECT * FROM club_nominations WHERE id = ?", (nomination_id,))
        return _nomination(rows[0]) if rows else None

    # -- sessions: each step recorded as it is taken ------------------------------------
    def open_session(self, guild_id: int, channel_id: int, language: str, timezone: str, *, now: dt.datetime,
                     closes: dt.datetime, meets: dt.datetime, slot: dt.datetime | None = None) -> Session | None:
        """A new session with the first MAX_ANSWERS waiting nominations on its ballot, written
        before its poll is posted (with the weekly slot it handles, if any). None, and the
        slot marked handled, when nothing is waiting."""
        with self.db.transaction() as tx:
            if slot is not None:
                tx.execute("UPDATE clubs SET last_slot = ? WHERE guild_id = ?", (_text(slot), guild_id))
            ballot = [r["id"] for r in tx.execute("SELECT id FROM club_nominations WHERE guild_id = ? AND "
                                                  "session_id IS NULL ORDER BY id LIMIT ?", (guild_id, MAX_ANSWERS))]
            if not ballot:
                return None
            session_id = tx.execute("INSERT INTO club_sessions (guild_id, channel_id, language, timezone, opened, "
                                    "closes, meets) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    (guild_id, channel_id, language, timezone, _text(now), _text(closes),
                                     _text(meets))).lastrowid
            for answer, nomination_id in enumerate(ballot, 1):
                tx.execute("UPDATE club_nominations SET session_id = ?, answer = ? WHERE id = ?",
                           (session_id, answer, nomination_id))
        return self.session(session_id)

    def session(self, session_id: int) -> Session | None:
        rows = self.db.query("SELECT * FROM club_sessions WHERE id = ?", (session_id,))
        return _session(rows[0]) if rows else None

    def sessions(self, guild_id: int | None = None, *, unfinished: bool = False) -> list[Session]:
        """Sessions, oldest first (of one server, or all; only those with steps left)."""
        sql, params = "SELECT * FROM club_sessions WHERE 1 = 1", []
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params.append(guild_id)
        if unfinished:
            sql += " AND met IS NULL AND cancelled IS NULL"
        return [_session(r) for r in self.db.query(sql + " ORDER BY id", tuple(params))]

    def upcoming(self, guild_id: int) -> Session | None:
        """The session being voted on or waiting for its meeting, if any (one at a time)."""
        found = self.sessions(guild_id, unfinished=True)
        return found[-1] if found else None

    def by_thread(self, thread_id: int) -> Session | None:
        rows = self.db.query("SELECT * FROM club_sessions WHERE announce_id = ? AND thread_url IS NOT NULL",
                             (thread_id,))
        return _session(rows[0]) if rows else None

    def by_poll(self, message_id: int) -> Session | None:
        rows = self.db.query("SELECT * FROM club_sessions WHERE poll_id = ?", (message_id,))
        return _session(rows[0]) if rows else None

    def _set(self, session_id: int, **columns) -> Session:
        names = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(f"UPDATE club_sessions SET {names} WHERE id = ?", (*columns.values(), session_id))
        return self.session(session_id)

    def poll_posted(self, session: Session, message_id: int) -> Session:
        return self._set(session.id, poll_id=message_id)

    def poll_ended(self, session: Session, counts: list[int]) -> Session:
        """The poll's final counts (in answer order) and the winner they give."""
        ballot = self.on_ballot(session.id)
        result = winner(counts)
        return self._set(session.id, counts=json.dumps(counts), winner=ballot[result.index].id, tie=int(result.tie))

    def announced(self, session: Session, message_id: int) -> Session:
        return self._set(session.id, announce_id=message_id)

    def prepared(self, session: Session, opening: dict) -> Session:
        """The thread's first words, kept before they are posted: a retry posts the same."""
        return self._set(session.id, opening=json.dumps(opening, ensure_ascii=False))

    def thread_posted(self, session: Session, url: str) -> Session:
        return self._set(session.id, thread_url=url)

    def reminded(self, session: Session, which: str, outcome: str) -> Session:
        if which not in ("day", "hour"):
            raise ValueError(which)
        return self._set(session.id, **{f"{which}_reminder": outcome})

    def meeting_held(self, session: Session, outcome: str) -> Session:
        return self._set(session.id, met=outcome)

    def cancel(self, session: Session, why: str) -> None:
        """Ends a session that cannot go on (its channel, poll or thread was deleted). If
        its vote never ended, its nominations wait for the next one again (unless the same
        paper was nominated meanwhile)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE club_sessions SET cancelled = ? WHERE id = ?", (why, session.id))
            if tx.execute("SELECT counts FROM club_sessions WHERE id = ?", (session.id,)).fetchone()["counts"]:
                return
            for r in tx.execute("SELECT id, arxiv_id FROM club_nominations WHERE session_id = ?",
                                (session.id,)).fetchall():
                if tx.execute("SELECT 1 FROM club_nominations WHERE guild_id = ? AND arxiv_id = ? AND "
                              "session_id IS NULL", (session.guild_id, r["arxiv_id"])).fetchone():
                    tx.execute("DELETE FROM club_nominations WHERE id = ?", (r["id"],))
                else:
                    tx.execute("UPDATE club_nominations SET session_id = NULL, answer = NULL WHERE id = ?",
                               (r["id"],))

    # -- members: reminders, attendance, takeaways -----------------------------------------
    def toggle_reminder(self, session_id: int, user_id: int) -> bool:
        """Turns the member's reminders for the session on or off; True when now on."""
        with self.db.transaction() as tx:
            if tx.execute("DELETE FROM club_reminders WHERE session_id = ? AND user_id = ?",
                          (session_id, user_id)).rowcount:
                return False
            tx.execute("INSERT INTO club_reminders VALUES (?, ?)", (session_id, user_id))
        return True

    def to_remind(self, session_id: int) -> list[int]:
        """Members who asked to be reminded, in user ID order."""
        return [r["user_id"] for r in self.db.query("SELECT user_id FROM club_reminders WHERE session_id = ? "
                                                    "ORDER BY user_id", (session_id,))]

    def attend(self, session_id: int, user_id: int, present: bool = True) -> None:
        sql = ("INSERT OR IGNORE INTO club_attendance VALUES (?, ?)" if present
               else "DELETE FROM club_attendance WHERE session_id = ? AND user_id = ?")
        self.db.execute(sql, (session_id, user_id))

    def attended(self, session_id: int) -> list[int]:
        return [r["user_id"] for r in self.db.query("SELECT user_id FROM club_attendance WHERE session_id = ? "
                                                    "ORDER BY user_id", (session_id,))]

    def add_takeaway(self, session_id: int, user_id: int, text: str, now: dt.datetime) -> int:
        """Keeps a member's takeaway (and that they attended); returns how many the session has.
        InputError when it is empty or the member has written MAX_TAKEAWAYS already."""
        text = _clean(text, MAX_TAKEAWAY)
        if not text:
            raise InputError("club_empty_note", "A takeaway needs some words.")
        with self.db.transaction() as tx:
            mine = tx.execute("SELECT COUNT(*) FROM club_takeaways WHERE session_id = ? AND user_id = ?",
                              (session_id, user_id)).fetchone()[0]
            if mine >= MAX_TAKEAWAYS:
                raise InputError("club_notes_full", f"You have written {MAX_TAKEAWAYS} takeaways for this session.",
                                 limit=MAX_TAKEAWAYS)
            tx.execute("INSERT INTO club_takeaways (session_id, user_id, text, at) VALUES (?, ?, ?, ?)",
                       (session_id, user_id, text, _text(now)))
            tx.execute("INSERT OR IGNORE INTO club_attendance VALUES (?, ?)", (session_id, user_id))
            return tx.execute("SELECT COUNT(*) FROM club_takeaways WHERE session_id = ?", (session_id,)).fetchone()[0]

    def takeaways(self, session_id: int) -> list[str]:
        return [r["text"] for r in self.db.query("SELECT text FROM club_takeaways WHERE session_id = ? ORDER BY id",
                                                 (session_id,))]

    # -- what the club remembers -------------------------------------------------------
    def history(self, guild_id: int | None = None) -> list[dict]:
        """Sessions whose winner is known, newest first: the paper, the votes, the
        questions, who attended (how many) and the takeaways. No member is named."""
        out = []
        for s in reversed(self.sessions(guild_id)):
            if s.winner is None:
                continue
            paper = self.nomination(s.winner)
            ballot = self.on_ballot(s.id)
            out.append({
                "session": s.id, "guild_id": s.guild_id, "arxiv_id": paper.arxiv_id, "title": paper.title,
                "meets": _text(s.meets), "met": s.met is not None, "thread_url": s.thread_url,
                "votes": s.counts[paper.answer - 1] if s.counts and paper.answer else 0,
                "total_votes": sum(s.counts or []), "tie": s.tie,
                "ballot": [{"arxiv_id": n.arxiv_id, "title": n.title, "votes": (s.counts or [0] * 10)[n.answer - 1]}
                           for n in ballot],
                "questions": (s.opening or {}).get("questions", []),
                "attended": len(self.attended(s.id)), "takeaways": self.takeaways(s.id),
            })
        return out

    def forget(self, user_id: int) -> dict[str, int]:
        """Deletes the member's takeaways, reminders, attendance and waiting nominations;
        their past nominations stay in the sessions' history without their name."""
        with self.db.transaction() as tx:
            deleted = {
                "takeaways": tx.execute("DELETE FROM club_takeaways WHERE user_id = ?", (user_id,)).rowcount,
                "nominations": tx.execute("DELETE FROM club_nominations WHERE user_id = ? AND session_id IS NULL",
                                          (user_id,)).rowcount,
            }
            tx.execute("DELETE FROM club_reminders WHERE user_id = ?", (user_id,))
            tx.execute("DELETE FROM club_attendance WHERE user_id = ?", (user_id,))
            tx.execute("UPDATE club_nominations SET user_id = NULL WHERE user_id = ?", (user_id,))
        return deleted
