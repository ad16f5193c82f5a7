"""The weekly digest: /digest (a preview now), /digest-channel (admins: where and when),
and the scheduler that posts it.

The scheduler calls `tick(now)` every minute with the bot's clock; tests call it with
theirs. For each guild it posts at most one digest per passed slot: papers added since
the previous digest's cut-off (the first time: the previous 7 days). Several missed
slots make one catch-up digest. The state is saved after each post, atomically.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render, schedule
from bot.choices import timezone_choices
from bot.cooldown import llm_cooldown
from bot.i18n import WEEKDAY_NAMES, language_for, t
from bot.render import NO_MENTIONS
from bot.replies import answer_interaction
from bot.state import DigestState, GuildDigest, write_atomically
from rag.language import EN

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

CHECK_EVERY = 60  # seconds between schedule checks
POSTING = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)


class Digest(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.state = DigestState(bot.config.state_dir / "digest.json")
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
        """Post every digest due at `now`; returns the guilds that got a message."""
        async with self._lock:
            await asyncio.to_thread(self.bot.kb.refresh)  # papers another process may have added
            posted = []
            for guild_id, digest in list(self.state.guilds.items()):
                slot = schedule.due_slot(now, digest.weekday, digest.time, digest.timezone, digest.last_slot)
                if slot is None:
                    continue
                try:
                    if await self._post(digest, digest.cutoff or now - schedule.WEEK, now):
                        posted.append(guild_id)
                except (discord.NotFound, discord.Forbidden) as exc:  # retrying will not help
                    log.error("digest for guild %s not posted to channel %s: %s; an admin must run "
                              "/digest-channel again", guild_id, digest.channel_id, exc)
                except Exception:
                    log.exception("digest for guild %s failed; retrying at the next check", guild_id)
                    continue
                self.state.advance(guild_id, slot, cutoff=now)
                await self._save()
            return posted

    async def _post(self, digest: GuildDigest, since: dt.datetime, now: dt.datetime) -> bool:
        answer = await asyncio.to_thread(self.bot.answerer.digest, since, now, digest.language)
        channel = self.bot.get_channel(digest.channel_id) or await self.bot.fetch_channel(digest.channel_id)
        if answer.citations:
            title = t("digest.title", digest.language, since=since.date().isoformat(), until=now.date().isoformat())
            for page in render.answer_pages(answer, title):
                await channel.send(embeds=page, allowed_mentions=NO_MENTIONS)
            return True
        if note := self.bot.config.digest.empty_note:  # a week without new papers
            await channel.send(render.clip(note, render.CONTENT), allowed_mentions=NO_MENTIONS)
            return True
        return False

    async def _save(self) -> None:
        await asyncio.to_thread(write_atomically, self.state.path, self.state.snapshot())

    # -- commands -------------------------------------------------------------------
    @app_commands.command(name="digest", description="Preview the digest of recently added papers")
    @app_commands.describe(days="How many days back (default 7)")
    @llm_cooldown()
    async def digest(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7) -> None:
        await interaction.response.defer(thinking=True)
        language = language_for(interaction.locale)
        now = self.bot.clock()
        since = now - dt.timedelta(days=days)
        await answer_interaction(
            interaction, t("digest.preview_title", language, since=since.date().isoformat()),
            lambda on_text: self.bot.answerer.digest(since, now, language, on_text=on_text),
            self.bot.config.discord.stream_edit_interval)

    @app_commands.command(name="digest-channel", description="Admin: where and when the weekly digest is posted")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)  # the default can be changed by server admins
    @app_commands.guild_only()
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
                await self._save()
            return t("digest.off", language)
        defaults = self.bot.config.digest
        weekday, at, zone = weekday or defaults.weekday, at or defaults.time, zone or defaults.timezone
        try:
            at = schedule.parse_time(at).strftime("%H:%M")
        except ValueError:
            return t("digest.bad_time", language, time=render.clip(at, 40))
        try:
            schedule.parse_timezone(zone)
        except ValueError:
            return t("digest.bad_timezone", language, timezone=render.clip(zone, 60))
        if not channel.permissions_for(guild.me).is_superset(POSTING):
            return t("digest.cannot_post", language, channel=channel.mention)
        now = self.bot.clock()
        async with self._lock:
            previous = self.state.guilds.get(guild.id)
            # The slot that just passed counts as handled: the first digest comes at the next one.
            self.state.set(guild.id, GuildDigest(channel.id, weekday, at, zone, language,
                                                 last_slot=schedule.latest_slot(now, weekday, at, zone),
                                                 cutoff=previous.cutoff if previous else None))
            await self._save()
        return t("digest.set", language, channel=channel.mention,
                 weekday=WEEKDAY_NAMES[language][schedule.WEEKDAYS.index(weekday)], time=at, timezone=zone,
                 next=discord.utils.format_dt(schedule.next_slot(now, weekday, at, zone), "F"))
