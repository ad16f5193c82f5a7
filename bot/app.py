"""The Discord bot: a thin adapter from Discord events to the `rag` answer operations.

The engine (rag.engine: config, knowledge base, answerer, records) and the clock come in
through the constructor (tests pass their own); `setup_hook` loads one extension per area
(bot/cogs/) and syncs the slash commands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.buttons import REGISTERED
from bot.cooldown import Cooldowns
from bot.errors import user_message
from bot.i18n import CommandTranslator, language_for, t
from bot.render import NO_MENTIONS
from bot.replies import send_private
from bot.state import Inflight
from rag.engine import Engine
from rag.errors import StoreUnavailable
from rag.models.usage import Caller
from rag.outages import STORE, tracker
from rag.papers.table import Paper
from rag.records import utc_now

log = logging.getLogger(__name__)

REFRESH_EVERY = 60  # seconds between checks for papers another process ingested

Clock = Callable[[], dt.datetime]
EXTENSIONS = ("papers", "answers", "channel", "digest", "admin", "add", "feedback", "people", "follows", "club")


class PaperBot(commands.Bot):
    def __init__(self, engine: Engine, *, clock: Clock = utc_now, **options):
        # paperbot never joins voice: no start-up warnings about voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = True  # questions in channels (privileged: enable it in the portal)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=NO_MENTIONS, **options)
        self.engine, self.clock = engine, clock
        self.config, self.kb, self.answerer = engine.config, engine.kb, engine.answerer
        self.cooldowns = Cooldowns(self.config.discord.cooldown_seconds)
        self.tree.on_error = self.on_app_command_error
        self._listing: tuple[object, list[Paper], list[tuple[str, int]]] | None = None
        self.inflight = Inflight(engine.records)
        self._refreshing = ThreadPoolExecutor(1, thread_name_prefix="paperbot-refresh")

    async def setup_hook(self) -> None:
        # Autocomplete must answer within 3 s, and the first /ask should not wait for the
        # model: load the catalog and lexical index while the embedding model loads.
        offload = self.answerer.offload
        await asyncio.gather(offload(lambda: self.kb.lexical), offload(lambda: self.kb.embed_model),
                             self.relist())
        try:
            await offload(self.answerer.warm)
        except Exception as exc:  # best effort: the first questions then load what they need
            log.warning("warming up failed: %s", exc)
        self.refresher.start()
        # The multilingual vectors fill in on a thread of their own while the bot answers.
        await offload(self.kb.fill_in_background)
        await self.tree.set_translator(CommandTranslator())
        await self.apologise()
        self.add_dynamic_items(*REGISTERED)  # buttons posted before a restart keep working
        for name in EXTENSIONS:
            await self.load_extension(f"bot.cogs.{name}")
        guild = discord.Object(self.config.discord.test_guild) if self.config.discord.test_guild else None
        if guild:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("logged in as %s (%s); synced %d commands %s", self.user, self.user.id, len(synced),
                 f"to guild {guild.id}" if guild else "globally")

    async def on_ready(self) -> None:
        log.info("ready in %d servers", len(self.guilds))

    async def close(self) -> None:
        self.refresher.cancel()
        self.kb.stop_filling()
        await super().close()

    @tasks.loop(seconds=REFRESH_EVERY)
    async def refresher(self) -> None:
        """Picks up papers another process (`paperbot ingest`, cron) added to the store."""
        try:
            # Its own thread: after an ingest, reloading 59k papers' catalog and index takes
            # seconds, which questions must not wait behind in the one CPU thread.
            if await asyncio.get_running_loop().run_in_executor(self._refreshing, self.kb.refresh):
                self.kb.wake_meaning()  # papers another process ingested: their vectors next
                await self.relist()
            tracker(STORE).ok()
        except StoreUnavailable as exc:  # logged once per outage; the bot keeps its catalog
            tracker(STORE).failed(str(exc))
        except Exception:
            log.exception("refreshing the catalog failed; next try in %d s", REFRESH_EVERY)

    async def apologise(self) -> None:
        """Answers a crash cut off: their askers are told to ask again, not left waiting."""
        for application_id, token, language in self.inflight.interrupted():
            try:
                webhook = discord.Webhook.partial(application_id, token, client=self)
                await webhook.edit_message("@original", content=t("restart.sorry", language), embeds=[],
                                           allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:  # expired, or deleted: nothing more to do
                log.info("could not tell an asker about the restart: %s", exc)

    async def relist(self) -> None:
        """Recompute `listing()` off the event loop (after the catalog changed)."""
        self._listing = await self.answerer.offload(self._list)

    def _list(self):
        return self.kb.catalog, self.kb.papers(), self.kb.topics()

    def listing(self) -> tuple[list[Paper], list[tuple[str, int]]]:
        """Papers (newest first) and topics with counts, for lookups that must answer at
        once (autocomplete, /topics), computed once per catalog."""
        if self._listing is None or self._listing[0] is not self.kb.catalog:
            self._listing = self._list()  # changed under us (e.g. /reload): rare
        return self._listing[1], self._listing[2]

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: slash commands only; questions in channels go to the ChannelQuestions cog."""

    @staticmethod
    def caller(user: discord.abc.User, guild: discord.Guild | None) -> Caller:
        """Who asks, for the ledger and budgets: a member's roles pick their budget tier;
        members who may manage the server are not limited."""
        roles = getattr(user, "roles", [])
        manager = bool(getattr(user, "guild_permissions", None) and user.guild_permissions.manage_guild)
        return Caller(user=str(user.id), guild=str(guild.id) if guild else "",
                      roles=tuple(str(r.id) for r in roles) + tuple(r.name for r in roles), unlimited=manager)

    def cooldown_left(self, user_id: int) -> float:
        """Seconds the user must wait before the next LLM-backed request (0 without an LLM)."""
        if self.answerer.llm is None or not self.cooldowns.seconds:
            return 0.0
        return self.cooldowns.hit(user_id)

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        """The one error handler: plain words, privately, to the user; tracebacks to the log."""
        if self.is_closed():  # shutting down: requests in flight fail, nobody is left to tell
            return
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        name = interaction.command.qualified_name if interaction.command else "?"
        text = user_message(cause, language_for(interaction.locale), f"/{name}")
        try:
            await send_private(interaction, text)
        except Exception as exc:  # e.g. the interaction expired; the handler of last resort must not raise
            log.warning("could not tell the user about an error in /%s: %s", name, exc)
