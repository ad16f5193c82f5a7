"""The paper club: /club nominate, schedule (admins), vote (admins), notes and history, and
the scheduler that runs each session's steps (bot/club_steps.py) once a minute, or at once
when Discord says a poll ended.

Members nominate papers (any arXiv ID form, or a title from the suggestions; a paper the
list lacks comes in as with /add); at the weekly minute an admin set, the nominated papers
go to a native Discord poll in the club channel; the winner gets a thread with its card,
summary and questions, reminders a day and an hour before the meeting for the members who
asked, and after the meeting a call for takeaways, which /club history lists and /ask cites.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import club_actions, schedule
from bot import club_render as words
from bot.checks import admins_only
from bot.choices import paper_choices, timezone_choices
from bot.club_actions import REGISTERED, add_note, session_for_notes
from bot.club_steps import ClubSteps
from bot.i18n import WEEKDAY_NAMES, language_for, t
from bot.render import NO_MENTIONS, escape, literal
from rag.club import Settings
from rag.club.poll import MAX_HOURS
from rag.club.records import MAX_REASON, MAX_TAKEAWAY
from rag.errors import InputError
from rag.papers.ids import InvalidArxivId, parse_arxiv_id
from rag.text.language import EN, base_language

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

CHECK_EVERY = 60  # seconds between schedule checks
RUNNING = discord.Permissions(view_channel=True, send_messages=True, embed_links=True, create_public_threads=True,
                              send_messages_in_threads=True)


class Club(commands.Cog):
    club = app_commands.Group(name="club", description="The paper club: nominate, vote, discuss, remember",
                              guild_only=True)

    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.steps = ClubSteps(bot)

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()

    def next_vote(self, guild_id: int, now):
        return self.steps.next_vote(guild_id, now)

    # -- the schedule ---------------------------------------------------------------------
    @tasks.loop(seconds=CHECK_EVERY)
    async def scheduler(self) -> None:
        try:
            await self.tick(self.bot.clock())
        except Exception:  # the loop must survive anything
            log.exception("club check failed; next try in %d s", CHECK_EVERY)

    @scheduler.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def tick(self, now) -> None:
        """Every club step due at `now` (tests call it with their clock)."""
        await self.steps.tick(now)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A poll's final results arrive as an edit of its message: its session goes on now."""
        results = (payload.data.get("poll") or {}).get("results") or {}
        if results.get("is_finalized"):
            await self.steps.poll_ended(payload.message_id)

    # -- members ------------------------------------------------------------------------------
    @club.command(name="nominate", description="Nominate a paper for the paper club's next vote")
    @app_commands.describe(paper="An arXiv ID or link, or part of a title",
                           reason="Why the group should read it (optional)")
    async def nominate(self, interaction: discord.Interaction, paper: str,
                       reason: app_commands.Range[str, 1, MAX_REASON] | None = None) -> None:
        # Refusals and bad input are answered privately by the one error handler.
        arxiv_id, language = self._paper_id(paper), language_for(interaction.locale)
        if arxiv_id in self.bot.kb.catalog:  # a paper in the list: answered at once
            text = await club_actions.nominate(self.bot, interaction.user, arxiv_id, reason, language)
            await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)  # one the list lacks is looked up on arXiv first
        text = await club_actions.nominate(self.bot, interaction.user, arxiv_id, reason, language)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    def _paper_id(self, text: str) -> str:
        """An arXiv ID in any form, or the one listed paper whose title contains the text."""
        try:
            return parse_arxiv_id(text)
        except InvalidArxivId:
            pass
        needle = " ".join(text.split()).casefold()
        papers = self.bot.listing()[0]
        exact = [p for p in papers if p.title.casefold() == needle]
        found = exact or ([p for p in papers if needle in p.title.casefold()] if len(needle) >= 4 else [])
        if len(found) != 1:
            raise InputError("club_no_paper", f"No paper in the list matches {text!r}.", text=text)
        return found[0].arxiv_id

    @nominate.autocomplete("paper")
    async def paper_autocomplete(self, interaction: discord.Interaction, current: str):
        return paper_choices(self.bot.listing()[0], current)

    @club.command(name="notes", description="Add what you took away from the latest session")
    @app_commands.describe(takeaway="What you took away, in a sentence or two",
                           attended="Did you attend? (default yes)")
    async def notes(self, interaction: discord.Interaction, takeaway: app_commands.Range[str, 1, MAX_TAKEAWAY],
                    attended: bool = True) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        session = session_for_notes(self.bot, interaction.guild_id, interaction.channel_id, self.bot.clock())
        text = await add_note(self.bot, session, interaction.user, takeaway, attended, language)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    @club.command(name="history", description="Past sessions, what is nominated, and how the club works")
    async def history(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language, guild_id, club = language_for(interaction.locale), interaction.guild_id, self.bot.engine.club
        settings = club.settings().get(guild_id)
        upcoming = club.upcoming(guild_id)
        coming = None
        if upcoming is not None:
            title = club.nomination(upcoming.winner).title if upcoming.winner else ""
            coming = ("vote" if upcoming.voting else "meet", upcoming, title)
        embed = words.history_embed(club.history(guild_id), club.waiting(guild_id), settings, coming,
                                    self.steps.next_vote(guild_id, self.bot.clock()),
                                    f"<#{settings.channel_id}>" if settings else "", language)
        await interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)

    # -- admins ---------------------------------------------------------------------------------
    @club.command(name="schedule", description="Admin: where and when the paper club votes and meets")
    @admins_only()
    @app_commands.describe(channel="The club's channel (leave empty to stop the schedule)",
                           weekday="Day of the meeting (default from the config)",
                           time="Time of the meeting, 24-hour HH:MM (default from the config)",
                           timezone="Timezone such as Asia/Taipei (default from the config)",
                           poll_hours="How many hours each vote stays open (default 24)")
    @app_commands.choices(weekday=[app_commands.Choice(name=name, value=day)
                                   for day, name in zip(schedule.WEEKDAYS, WEEKDAY_NAMES[EN])])
    async def schedule_club(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                            weekday: str | None = None, time: str | None = None, timezone: str | None = None,
                            poll_hours: app_commands.Range[int, 1, MAX_HOURS] = 24) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await self._configure(interaction.guild, channel, weekday, time, timezone, poll_hours,
                                     language_for(interaction.locale))
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    @schedule_club.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: discord.Interaction, current: str):
        return timezone_choices(current)

    async def _configure(self, guild: discord.Guild, channel: discord.TextChannel | None, weekday: str | None,
                         at: str | None, zone: str | None, hours: int, language: str) -> str:
        club = self.bot.engine.club
        if channel is None:
            async with self.steps.lock:
                club.configure(guild.id, None)
            return t("club.off", language)
        defaults = self.bot.config.digest  # the server's weekly rhythm, like the digest's
        weekday, at, zone = weekday or defaults.weekday, at or defaults.time, zone or defaults.timezone
        try:
            at = schedule.parse_time(at).strftime("%H:%M")
        except ValueError:
            return t("digest.bad_time", language, time=literal(at, 40))
        try:
            schedule.parse_timezone(zone)
        except ValueError:
            return t("digest.bad_timezone", language, timezone=literal(zone, 60))
        if not channel.permissions_for(guild.me).is_superset(RUNNING):
            return t("club.cannot_post", language, channel=channel.mention)
        now = self.bot.clock()
        async with self.steps.lock:
            # The slot that just passed counts as handled: the first vote opens at the next one.
            club.configure(guild.id, Settings(channel.id, weekday, at, zone, hours, language,
                                              schedule.latest_slot(now, weekday, at, zone)))
        return t("club.set", language, channel=channel.mention, hours=hours, time=at, timezone=zone,
                 weekday=WEEKDAY_NAMES[base_language(language)][schedule.WEEKDAYS.index(weekday)],
                 next=words.when(self.steps.next_vote(guild.id, now)))

    @club.command(name="vote", description="Admin: open the vote on the nominated papers now")
    @admins_only()
    async def vote(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language, club, now = language_for(interaction.locale), self.bot.engine.club, self.bot.clock()
        settings = club.settings().get(interaction.guild_id)
        upcoming = club.upcoming(interaction.guild_id)
        if settings is None:
            text = t("club.vote_no_channel", language)
        elif upcoming is not None and upcoming.voting:
            text = t("club.vote_running", language, closes=words.when(upcoming.closes))
        elif upcoming is not None:
            text = t("club.vote_waiting", language, title=escape(club.nomination(upcoming.winner).title),
                     meets=words.when(upcoming.meets))
        elif not club.waiting(interaction.guild_id):
            text = t("club.vote_nothing", language)
        else:
            session = await self.steps.open_now(interaction.guild_id, settings, now)
            text = t("club.vote_open", language, channel=f"<#{settings.channel_id}>",
                     closes=words.when(session.closes), meets=words.when(session.meets)) if session \
                else t("club.vote_nothing", language)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)


async def setup(bot: PaperBot) -> None:
    bot.add_dynamic_items(*REGISTERED)  # the club's buttons keep working after a restart
    await bot.add_cog(Club(bot))
