"""Admin commands: /reload (re-read the paper tables into the knowledge base) and /usage
(what the model cost, from the ledger); and arXiv enrichment of the listed papers, once
in the background at start-up (a first run ingests the table itself) and on /reload."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import admins_only
from bot.i18n import language_for, t
from rag.models.usage import day_start, month_start
from rag.papers.table import read_tables
from rag.store.enrich import EnrichReport

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)


class Admin(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self._lock = asyncio.Lock()  # one ingest at a time
        # An ingest can take minutes: it gets a thread of its own, not one answers need.
        self._ingest = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperbot-ingest")
        self._enriching: asyncio.Task | None = None

    async def cog_load(self) -> None:
        if self.bot.config.arxiv.enrich:  # answers do not wait for arXiv
            self._enriching = asyncio.create_task(self._enrich_in_background())

    async def cog_unload(self) -> None:
        if self._enriching is not None:
            self._enriching.cancel()

    async def _enrich_in_background(self) -> None:
        async with self._lock:
            report = await asyncio.get_running_loop().run_in_executor(self._ingest, self._enrich)
        if report is not None and report.enriched:
            await self.bot.relist()

    def _enrich(self) -> EnrichReport | None:
        """Abstracts and authors from arXiv for the papers without them; None if it failed."""
        try:
            report = self.bot.engine.enrich()
        except Exception:  # the bot keeps answering from what it has
            log.exception("arXiv enrichment failed; the next /reload or `paperbot ingest` tries again")
            return None
        if report.skipped:
            log.warning("arXiv enrichment skipped for now: %s", report.skipped)
        elif report.enriched or report.unknown:
            log.info("arXiv: abstracts and authors for %d paper(s); %d not on arXiv", len(report.enriched),
                     len(report.unknown))
        return report

    @app_commands.command(name="reload", description="Admin: re-read the paper tables into the knowledge base")
    @admins_only()
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        missing = [str(p) for p in self.bot.config.table_paths if not p.is_file()]
        if missing:
            text = t("reload.missing", language, paths=", ".join(missing))
        else:
            async with self._lock:
                text = await asyncio.get_running_loop().run_in_executor(self._ingest, self._reingest, language)
                await self.bot.relist()
        await interaction.edit_original_response(content=render.clip(text, render.CONTENT),
                                                 allowed_mentions=render.NO_MENTIONS)

    @app_commands.command(name="usage", description="Admin: what the model cost this month and today, and who used it")
    @admins_only()
    async def usage(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ledger = self.bot.engine.ledger
        now, guild = ledger.clock(), str(interaction.guild_id)
        month, today = ledger.report(month_start(now), guild=guild), ledger.report(day_start(now), guild=guild)
        await interaction.edit_original_response(
            embed=render.usage_embed(month, today, self.bot.answerer.model, language_for(interaction.locale)),
            allowed_mentions=render.NO_MENTIONS)

    def _reingest(self, language: str) -> str:
        kb = self.bot.kb
        table = read_tables(self.bot.config.table_paths)
        report = kb.ingest(table.papers)
        kb.refresh()
        enriched = self._enrich() if self.bot.config.arxiv.enrich else None
        kb.wake_meaning()
        return render.ingest_report_text(table, report, kb.store.count(), language, enriched, kb.meaning_progress())


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(Admin(bot))
