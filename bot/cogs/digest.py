"""The weekly digest: /digest (a preview now), /digest-channel (admins: where and when),
and the scheduler that posts it.

The scheduler calls `tick(now)` every minute with the bot's clock; tests call it with
theirs. For each guild it posts at most one digest per passed slot: papers added since
the previous digest's cut-off (the first time: the previous 7 days). Several missed
slots make one catch-up digest.

Exactly once, whatever kills the bot: the digest is recorded as pending (with its
words) before anything is sent; every message carries a marker in its footer and a
nonce Discord enforces; the slot is marked done only after every page is in the
channel. A restart finishes a pending digest: pages whose marker is already in the
channel are not sent again, the others are.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import pictures, render, schedule
from bot.buttons import answer_buttons
from bot.checks import admins_only
from bot.choices import timezone_choices
from bot.cooldown import llm_cooldown
from bot.i18n import WEEKDAY_NAMES, language_for, t
from bot.render import NO_MENTIONS
from bot.replies import answer_interaction, make_buttons
from bot.state import DigestState, GuildDigest, PendingPost
from rag.answers.answer import Answer
from rag.models.usage import BOT
from rag.pictures.of_answers import digest_picture
from rag.text.language import EN, base_language

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

CHECK_EVERY = 60  # seconds between schedule checks
POSTING = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
HISTORY_LIMIT = 500  # messages read back after a restart, looking for pages already posted


def marker(slot: dt.datetime, page: int, pages: int) -> str:
    """Names one page of one digest, in its footer (readable, and how a restart finds it)."""
    return f"digest {slot.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · {page}/{pages}"


def _may_attach(channel) -> bool:
    guild = getattr(channel, "guild", None)
    return guild is None or channel.permissions_for(guild.me).attach_files


def nonce(guild_id: int, slot: dt.datetime, page: int) -> str:
    """Discord returns the first message instead of posting again for a repeated nonce."""
    return hashlib.sha1(f"{guild_id}:{slot.isoformat()}:{page}".encode()).hexdigest()[:25]


class Digest(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.state = DigestState(bot.engine.records, legacy_json=bot.config.state_dir / "digest.json")
        self._lock = asyncio.Lock()  # one tick or settings change at a time: nothing posts twice

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()

    # -- the schedule ---------------------------------------------------------------
    @tasks.loop(seconds=CHECK_EVERY)
    async def scheduler(self) -> None:
        try:
            await self.tick(self.bot.clock())
        except Exception:  # the loop must survive anything
            log.exception("digest check failed; next try in %d s", CHECK_EVERY)

    @scheduler.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def tick(self, now: dt.datetime) -> list[int]:
        """Post every digest due at `now` (and finish any a crash interrupted); returns
        the guilds that got a message."""
        async with self._lock:
            posted = []
            for guild_id, digest in self.state.guilds.items():
                pending = self.state.pending(guild_id)
                slot = pending.slot if pending else schedule.due_slot(now, digest.weekday, digest.time,
                                                                       digest.timezone, digest.last_slot)
                if slot is None:
                    continue
                try:
                    if pending is None:
                        since = digest.cutoff or now - schedule.WEEK
                        answer = await self.bot.answerer.digest(since, now, digest.language,
                                                                caller=replace(BOT, guild=str(guild_id)))
                        pending = PendingPost(slot, since, now, answer.to_dict(), now)
                        self.state.begin(guild_id, pending)
                    if await self._post(guild_id, digest, pending):
                        posted.append(guild_id)
                    self.state.finish(guild_id, slot, cutoff=pending.until)
                except (discord.NotFound, discord.Forbidden) as exc:  # retrying will not help
                    log.error("digest for guild %s not posted to channel %s: %s; its papers wait for the next "
                              "digest; an admin must run /digest-channel again", guild_id, digest.channel_id, exc)
                    self.state.finish(guild_id, slot, cutoff=None)
                except (discord.HTTPException, OSError) as exc:  # Discord trouble: the next check finishes it
                    log.warning("digest for guild %s not posted yet (%s); retrying in %d s", guild_id, exc,
                                CHECK_EVERY)
                except Exception:
                    log.exception("digest for guild %s failed; retrying in %d s", guild_id, CHECK_EVERY)
            follows = self.bot.get_cog("Follows")
            if follows is not None:  # members' weekly DMs go after their server's digest
                await follows.after_digests({g: (d.last_slot, d.cutoff) for g, d in self.state.guilds.items()
                                             if self.state.pending(g) is None})
            return posted

    async def _post(self, guild_id: int, digest: GuildDigest, pending: PendingPost) -> bool:
        """Sends the pages of `pending` not yet in the channel; False when there is nothing to post."""
        answer = Answer.from_dict(pending.answer)
        note = self.bot.config.digest.empty_note
        if not answer.citations and not note:
            return False
        channel = self.bot.get_channel(digest.channel_id) or await self.bot.fetch_channel(digest.channel_id)
        picture = None
        if answer.citations:
            title = t("digest.title", digest.language, since=pending.since.date().isoformat(),
                      until=pending.until.date().isoformat())
            pages = render.answer_pages(answer, title)
            # The same words and the same papers give the same picture on a retry; without
            # Attach Files in the channel the digest goes out as text.
            if _may_attach(channel):
                picture = await pictures.draw(self.bot, lambda: digest_picture(answer, self.bot.kb, pending.until),
                                              "digest.png")
            pictures.show(pages[0], picture, digest.language)
            marks = [marker(pending.slot, n, len(pages)) for n in range(1, len(pages) + 1)]
            for page, mark in zip(pages, marks):
                render.add_footer(page, mark)
        else:  # a week without new papers: the configured note, as written
            pages, marks = [render.clip(note, render.CONTENT)], [None]
        there = await self._already_posted(channel, pending, marks)
        for number, (page, mark) in enumerate(zip(pages, marks), 1):
            if (mark or page) in there:
                continue
            content, embeds = (page, []) if mark is None else (None, page)
            view = None  # 👍/👎 and ⭐ under the last page; one record per digest, however often it is retried
            if mark is not None and number == len(pages):
                view = await make_buttons(answer_buttons(self.bot, title, None, guild_id,
                                                         ref=f"digest:{guild_id}:{pending.slot.isoformat()}"), answer)
            attached = {"file": picture.file()} if picture is not None and number == 1 else {}
            await channel.send(content=content, embeds=embeds, nonce=nonce(guild_id, pending.slot, number),
                               allowed_mentions=NO_MENTIONS, view=view, **attached)
        return True

    async def _already_posted(self, channel, pending: PendingPost, marks: list[str | None]) -> set[str]:
        """Markers (or, for the note, its text) of this digest's pages already in the
        channel: only a digest a crash interrupted can have any."""
        found: set[str] = set()
        after = discord.Object(discord.utils.time_snowflake(pending.started - dt.timedelta(minutes=1)))
        async for message in channel.history(limit=HISTORY_LIMIT, after=after):
            if message.author.id != self.bot.user.id:
                continue
            footers = {e.footer.text for e in message.embeds if e.footer and e.footer.text}
            found |= {m for m in marks if m and any(f.endswith(m) for f in footers)}
            if message.content:
                found.add(message.content)
        return found

    # -- commands -------------------------------------------------------------------
    @app_commands.command(name="digest", description="Preview the digest of recently added papers")
    @app_commands.describe(days="How many days back (default 7)")
    @llm_cooldown()
    async def digest(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7) -> None:
        await interaction.response.defer(thinking=True)
        language = language_for(interaction.locale)
        now = self.bot.clock()
        since = now - dt.timedelta(days=days)
        title = t("digest.preview_title", language, since=since.date().isoformat())
        await answer_interaction(
            interaction, title, language,
            lambda on_text, on_queue: self.bot.answerer.digest(
                since, now, language, on_text, on_queue, self.bot.caller(interaction.user, interaction.guild)),
            self.bot.config.discord.stream_edit_interval,
            buttons=answer_buttons(self.bot, title, interaction.user.id, interaction.guild_id),
            picture=lambda answer: pictures.draw(self.bot, lambda: digest_picture(answer, self.bot.kb, now),
                                                 "digest.png"))

    @app_commands.command(name="digest-channel", description="Admin: where and when the weekly digest is posted")
    @admins_only()
    @app_commands.describe(channel="Channel for the weekly digest (leave empty to stop the digest)",
                           weekday="Day of the week (default from the config)",
                           time="Time of day, 24-hour HH:MM (default from the config)",
                           timezone="Timezone such as Asia/Taipei (default from the config)")
    @app_commands.choices(weekday=[app_commands.Choice(name=name, value=day)
                                   for day, name in zip(schedule.WEEKDAYS, WEEKDAY_NAMES[EN])])
    async def digest_channel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                             weekday: str | None = None, time: str | None = None,
                             timezone: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        text = await self._configure(interaction.guild, channel, weekday, time, timezone, language)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    @digest_channel.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: discord.Interaction, current: str):
        return timezone_choices(current)

    async def _configure(self, guild: discord.Guild, channel: discord.TextChannel | None, weekday: str | None,
                         at: str | None, zone: str | None, language: str) -> str:
        """Sets (or, without a channel, removes) the guild's digest; returns what to tell the admin."""
        if channel is None:
            async with self._lock:
                self.state.set(guild.id, None)
            return t("digest.off", language)
        defaults = self.bot.config.digest
        weekday, at, zone = weekday or defaults.weekday, at or defaults.time, zone or defaults.timezone
        try:
            at = schedule.parse_time(at).strftime("%H:%M")
        except ValueError:
            return t("digest.bad_time", language, time=render.literal(at, 40))
        try:
            schedule.parse_timezone(zone)
        except ValueError:
            return t("digest.bad_timezone", language, timezone=render.literal(zone, 60))
        if not channel.permissions_for(guild.me).is_superset(POSTING):
            return t("digest.cannot_post", language, channel=channel.mention)
        now = self.bot.clock()
        async with self._lock:
            previous = self.state.guilds.get(guild.id)
            # The slot that just passed counts as handled: the first digest comes at the next one.
            self.state.set(guild.id, GuildDigest(channel.id, weekday, at, zone, language,
                                                 last_slot=schedule.latest_slot(now, weekday, at, zone),
                                                 cutoff=previous.cutoff if previous else None))
        return t("digest.set", language, channel=channel.mention,
                 weekday=WEEKDAY_NAMES[base_language(language)][schedule.WEEKDAYS.index(weekday)], time=at, timezone=zone,
                 next=discord.utils.format_dt(schedule.next_slot(now, weekday, at, zone), "F"))


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(Digest(bot))
