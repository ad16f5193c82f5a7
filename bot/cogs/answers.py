"""/ask, /summarize, /compare, /recommend: the answer operations, streamed into the reply.

Each command defers at once (Discord's 3-second rule), runs the blocking operation in a
worker thread and shows the text while the model writes it. Bad input comes back from
`rag` as AnswerError and reaches the user through the bot's one error handler.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import id_list_choices, target_choices
from bot.cooldown import llm_cooldown
from bot.i18n import language_for, t
from bot.replies import answer_interaction

if TYPE_CHECKING:
    from bot.app import PaperBot


class Answers(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot

    async def _answer(self, interaction: discord.Interaction, title: str, run) -> None:
        await answer_interaction(interaction, title, run, self.bot.config.discord.stream_edit_interval)

    @app_commands.command(name="ask", description="Ask a question about the papers; the answer cites its sources")
    @app_commands.describe(question="Your question, in English or Chinese")
    @llm_cooldown()
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(thinking=True)
        await self._answer(interaction, question, lambda on_text: self.bot.answerer.ask(question, on_text=on_text))

    @app_commands.command(name="summarize", description="Summarise one paper (arXiv ID) or every paper on a topic")
    @app_commands.describe(target="An arXiv ID or a topic")
    @llm_cooldown()
    async def summarize(self, interaction: discord.Interaction, target: str) -> None:
        await interaction.response.defer(thinking=True)
        language = language_for(interaction.locale)
        await self._answer(interaction, t("title.summarize", language, target=target),
                           lambda on_text: self.bot.answerer.summarize(target, language, on_text=on_text))

    @app_commands.command(name="compare", description="Compare 2 to 4 papers side by side")
    @app_commands.describe(papers="2 to 4 arXiv IDs separated by spaces")
    @llm_cooldown()
    async def compare(self, interaction: discord.Interaction, papers: str) -> None:
        await interaction.response.defer(thinking=True)
        language = language_for(interaction.locale)
        ids = [i for i in re.split(r"[\s,，、;]+", papers) if i]
        await self._answer(interaction, t("title.compare", language, ids=" · ".join(ids)),
                           lambda on_text: self.bot.answerer.compare(ids, language, on_text=on_text))

    @app_commands.command(name="recommend", description="Papers for an interest, or more papers like one (arXiv ID)")
    @app_commands.describe(interest="What you are interested in, or an arXiv ID", count="How many papers (1-10)")
    @llm_cooldown()
    async def recommend(self, interaction: discord.Interaction, interest: str,
                        count: app_commands.Range[int, 1, 10] = 5) -> None:
        await interaction.response.defer(thinking=True)
        language = language_for(interaction.locale)
        await self._answer(interaction, t("title.recommend", language, target=interest),
                           lambda on_text: self.bot.answerer.recommend(interest, count, language, on_text=on_text))

    @summarize.autocomplete("target")
    @recommend.autocomplete("interest")
    async def target_autocomplete(self, interaction: discord.Interaction, current: str):
        return target_choices(self.bot.kb.papers(), self.bot.kb.topics(), current, language_for(interaction.locale))

    @compare.autocomplete("papers")
    async def papers_autocomplete(self, interaction: discord.Interaction, current: str):
        return id_list_choices(self.bot.kb.papers(), current)
