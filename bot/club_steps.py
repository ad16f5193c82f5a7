"""A club session's steps, each posted exactly once whatever kills the bot, as the digest
is (bot/cogs/digest.py): the session is written to the records (rag.club) before its
first message; every message carries a marker naming its session and step and an
idempotency nonce Discord enforces; each step is recorded as done once its message is in
the channel. After a restart, a step whose marker is already in the channel (or thread)
is recorded, not posted again. The thread is started from the announcement, so it has
the announcement's ID and a second one cannot be made.

The steps, in order: the poll (in the club channel), its final counts (read from the
ended poll: the votes Discord counted), the winner's announcement, the thread with the
paper's card, summary and questions, the reminders a day and an hour before the meeting
(in the club's timezone), and at the meeting the call for takeaways.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING

import discord

from bot import club_render as words
from bot import schedule
from bot.club_actions import meeting_view, remind_view
from bot.i18n import t
from bot.render import NO_MENTIONS
from rag.answers.answer import LLM, OFFLINE
from rag.club import Club, Session, Settings
from rag.club.discussion import discussion, own_summary
from rag.club.poll import MAX_HOURS
from rag.club.records import SENT, SKIPPED
from rag.models.usage import BOT
from rag.papers.table import Paper
from rag.text.language import localise

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500  # messages read back after a restart, looking for a step already posted
MENTIONS_PER_MESSAGE = 50  # reminder mentions per message (Discord allows 100 users in allowed_mentions)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
LATE = dt.timedelta(hours=12)  # a meeting message later than this after the meeting is left out
_MARKERS = re.compile(r"\s*\[\d+\]")


def nonce(*key) -> str:
    """Discord returns the first message instead of posting again for a repeated nonce."""
    return hashlib.sha1(":".join(["club", *map(str, key)]).encode()).hexdigest()[:25]


class ClubSteps:
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.club: Club = bot.engine.club
        self.lock = asyncio.Lock()  # one step at a time: nothing posts twice

    # -- the weekly schedule ---------------------------------------------------------------
    def next_vote(self, guild_id: int, now: dt.datetime) -> dt.datetime | None:
        """When the server's next vote opens (None: no schedule): at the next weekly slot,
        or at the meeting of the session coming up."""
        settings = self.club.settings().get(guild_id)
        if settings is None:
            return None
        upcoming = self.club.upcoming(guild_id)
        if upcoming is not None:
            return upcoming.meets
        due = schedule.due_slot(now, settings.weekday, settings.time, settings.timezone, settings.last_slot)
        return now if due is not None else schedule.next_slot(now, settings.weekday, settings.time, settings.timezone)

    async def tick(self, now: dt.datetime) -> None:
        """Every step due at `now`: sessions under way first (a meeting ends one before the
        next week's vote opens), then the votes the weekly slots open."""
        async with self.lock:
            for session in self.club.sessions(unfinished=True):
                await self._guarded(session, now)
            for guild_id, settings in self.club.settings().items():
                try:
                    await self._open_due(guild_id, settings, now)
                except Exception:
                    log.exception("the club's vote for guild %s did not open; next try in a minute", guild_id)

    async def poll_ended(self, message_id: int) -> None:
        """Discord says a poll ended: its session goes on at once, whatever the clock says."""
        async with self.lock:
            session = self.club.by_poll(message_id)
            if session is not None and session.voting:
                await self._guarded(session, self.bot.clock(), ended=True)

    async def open_now(self, guild_id: int, settings: Settings, now: dt.datetime) -> Session | None:
        """/club vote: a vote now, for the first meeting a day after it ends; None when
        nothing is nominated."""
        async with self.lock:
            closes = now + dt.timedelta(hours=settings.poll_hours)
            meets = schedule.slot_from(closes + DAY, settings.weekday, settings.time, settings.timezone)
            session = self.club.open_session(guild_id, settings.channel_id, settings.language, settings.timezone,
                                             now=now, closes=closes, meets=meets)
            if session is not None:
                await self._guarded(session, now)
            return session

    async def _open_due(self, guild_id: int, settings: Settings, now: dt.datetime) -> None:
        slot = schedule.due_slot(now, settings.weekday, settings.time, settings.timezone, settings.last_slot)
        if slot is None:
            return
        upcoming = self.club.upcoming(guild_id)
        meets = schedule.next_slot(slot, settings.weekday, settings.time, settings.timezone)
        # The vote must end a day before the meeting (the day's reminder names the winner).
        hours = min(settings.poll_hours, MAX_HOURS, int((schedule.day_before(meets, settings.timezone) - now) / HOUR))
        # One session at a time (one meeting at this slot has had its turn); a slot caught up too late is let go.
        if (upcoming is not None and upcoming.meets > slot) or hours < 1:
            self.club.slot_done(guild_id, slot)
            return
        session = self.club.open_session(guild_id, settings.channel_id, settings.language, settings.timezone,
                                         now=now, closes=now + dt.timedelta(hours=hours), meets=meets, slot=slot)
        if session is not None:
            await self._guarded(session, now)
            return
        channel = await self._channel(settings.channel_id)  # nothing nominated: said once per slot
        await self._once(channel, slot, words.slot_marker(settings, slot, "none"),
                         nonce(guild_id, slot.isoformat(), "none"), content=t("club.no_nominations", settings.language))

    # -- one session ---------------------------------------------------------------------
    async def _guarded(self, session: Session, now: dt.datetime, ended: bool = False) -> None:
        try:
            await self._advance(session, now, ended)
        except discord.NotFound as exc:  # the club channel (or the poll) is gone: its nominations wait again
            log.error("club session %s stopped (%s); its nominations wait for the next vote", session.id, exc)
            self.club.cancel(session, f"not found: {exc.text or exc.status}")
        except (discord.HTTPException, OSError) as exc:
            log.warning("club session %s: a step did not go through (%s); retrying in a minute", session.id, exc)
        except Exception:
            log.exception("club session %s: a step failed; retrying in a minute", session.id)

    async def _advance(self, session: Session, now: dt.datetime, ended: bool = False) -> None:
        channel = await self._channel(session.channel_id)
        ballot = self.club.on_ballot(session.id)
        if session.poll_id is None:
            content, poll = words.poll_message(session, ballot, len(self.club.waiting(session.guild_id)))
            message = await self._once(channel, session.opened, words.marker(session, "vote"),
                                       nonce(session.id, "vote"), content=content, poll=poll)
            session = self.club.poll_posted(session, message.id)
        if session.counts is None:
            if not (ended or now >= session.closes):
                return
            message = await channel.fetch_message(session.poll_id)
            if message.poll is None or not message.poll.is_finalised():
                return  # Discord is still counting: the next check reads it
            counts = [(message.poll.get_answer(n.answer) or _NO_VOTES).vote_count for n in ballot]
            session = self.club.poll_ended(session, counts)
        winner = self.club.nomination(session.winner)
        if session.announce_id is None:
            message = await self._once(channel, session.opened, words.marker(session, "winner"),
                                       nonce(session.id, "winner"), content=words.announcement(session, ballot))
            session = self.club.announced(session, message.id)
        if session.thread_url is None:
            session = await self._open_thread(channel, session, winner.arxiv_id, winner.title)
        thread = None  # looked up only when something is due there (not every minute of the week)
        for which, at, until in (("day", schedule.day_before(session.meets, session.timezone), session.meets - HOUR),
                                 ("hour", session.meets - HOUR, session.meets)):
            if getattr(session, f"{which}_reminder") is None and now >= at:
                if now < until:
                    thread = thread or await self._channel(session.thread_id)
                    await self._remind(thread, session, which, winner.title)
                session = self.club.reminded(session, which, SENT if now < until else SKIPPED)
        if session.met is None and now >= session.meets:
            if now < session.meets + LATE:
                thread = thread or await self._channel(session.thread_id)
                await self._once(thread, session.opened, words.marker(session, "meeting"),
                                 nonce(session.id, "meeting"), content=words.meeting(session, winner.title),
                                 view=meeting_view(session.id, session.language))
            self.club.meeting_held(session, SENT if now < session.meets + LATE else SKIPPED)

    async def _open_thread(self, channel, session: Session, arxiv_id: str, title: str) -> Session:
        paper = self.bot.kb.catalog.get(arxiv_id) or Paper(arxiv_id, title, session.meets.date(), "", ())
        if session.opening is None:  # written once, so a retry posts the same words
            session = self.club.prepared(session, await self._prepare(session, paper))
        announcement = await channel.fetch_message(session.announce_id)
        thread = announcement.thread or await announcement.create_thread(
            name=words.thread_name(title, session), auto_archive_duration=10080)  # a week: it lasts to the meeting
        content, embeds = words.opening(session, paper, session.opening)
        await self._once(thread, session.opened, words.marker(session, "thread"), nonce(session.id, "thread"),
                         content=content, embeds=embeds, view=remind_view(session.id, session.language))
        return self.club.thread_posted(session, thread.jump_url)

    async def _prepare(self, session: Session, paper: Paper) -> dict:
        """The paper's summary in the club's language (the model's, checked, or the paper's
        own) and the questions for the discussion."""
        caller, language = replace(BOT, guild=str(session.guild_id)), session.language
        answerer = self.bot.answerer
        summary = {"text": localise(own_summary(paper, language), language), "mode": OFFLINE}
        if paper.summary and answerer.llm is not None:
            written = await answerer.summarize(paper.arxiv_id, language, caller=caller)
            if written.mode == LLM:  # its [1] markers all point at this one paper
                summary = {"text": _MARKERS.sub("", written.text), "mode": LLM, "model": written.model}
        asked = await discussion(paper, language, answerer.llm, caller, answerer.offload, self.bot.engine.budget)
        return {"arxiv_id": paper.arxiv_id, "summary": summary, **asked.to_dict()}

    async def _remind(self, thread, session: Session, which: str, title: str) -> None:
        """The reminder, mentioning only the members who asked for it (in groups, so each
        message stays within Discord's limits); nobody else is pinged."""
        users = self.club.to_remind(session.id)
        groups = [users[i:i + MENTIONS_PER_MESSAGE] for i in range(0, len(users), MENTIONS_PER_MESSAGE)] or [[]]
        for n, group in enumerate(groups, 1):
            step = which if len(groups) == 1 else f"{which}-{n}"
            mark = words.marker(session, which) + (f" · {n}/{len(groups)}" if len(groups) > 1 else "")
            allowed = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                              users=[discord.Object(u) for u in group])
            await self._once(thread, session.opened, mark, nonce(session.id, step),
                             content=words.reminder(session, title, which, group), allowed_mentions=allowed)

    # -- posting once ------------------------------------------------------------------------
    async def _channel(self, channel_id: int):
        return self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)

    async def _once(self, channel, since: dt.datetime, mark: str, key: str, *, content: str,
                    allowed_mentions: discord.AllowedMentions = NO_MENTIONS, **message) -> discord.Message:
        """The message marked `mark` in `channel`: found there if it was posted already
        (a restart), else posted with a nonce Discord enforces."""
        after = discord.Object(discord.utils.time_snowflake(since - dt.timedelta(minutes=1)))
        async for found in channel.history(limit=HISTORY_LIMIT, after=after):
            if found.author.id == self.bot.user.id and found.content.endswith(mark):
                return found
        return await channel.send(content=words.with_marker(content, mark), nonce=key,
                                  allowed_mentions=allowed_mentions, **message)


class _NoVotes:
    vote_count = 0  # an answer Discord lists no count for has no votes


_NO_VOTES = _NoVotes()
