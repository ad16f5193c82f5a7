"""/ask, /summarize, /compare, /recommend: the answer operations, streamed into the reply.

Each command defers at once (Discord's 3-second rule), awaits the answer operation and
shows its progress: the user's place in line for the model, then the text as it is written. Bad input comes back from
`rag` as InputError and reaches the user through the bot's one error handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import pictures
from bot.buttons import answer_buttons
from bot.choices import id_list_choices, target_choices
from bot.cooldown import llm_cooldown
from bot.i18n import language_for, t
from bot.replies import answer_interaction
from rag.answers.answer import Answer
from rag.papers.ids import split_id_list
from rag.pictures.of_answers import compare_picture
from rag.text.language import answer_language, visible_text

if TYPE_CHECKING:
    from bot.app import PaperBot


class Answers(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot

    async def _answer(self, interaction: discord.Interaction, title: Callable[[str], str],
                      run: Callable[..., Awaitable[Answer]], picture=None, language: str | None = None) -> None:
        """Defer at once (Discord's 3-second rule), then show `run(language, on_text, on_queue)`
        live in the reply under `title(language)`, in `language` (else the user's Discord language)."""
        await interaction.response.defer(thinking=True)
        language = language or language_for(interaction.locale)
        await answer_interaction(interaction, title(language), language,
                                 lambda on_text, on_queue: run(language, on_text, on_queue),
                                 self.bot.config.discord.stream_edit_interval,
                                 buttons=answer_buttons(self.bot, title(language), interaction.user.id,
                                                        interaction.guild_id), picture=picture)

    def _caller(self, interaction: discord.Interaction):
        return self.bot.caller(interaction.user, interaction.guild)

    @app_commands.command(name="ask", description="Ask a question about the papers; the answer cites its sources")
    @app_commands.describe(question="Your question, in English or Chinese")
    @llm_cooldown()
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        # The answer follows the question's language (rag detects it itself), and so does
        # everything around it: the queue notice, and the apology if a restart cuts it off.
        await self._answer(interaction, lambda _: question,
                           lambda _, on_text, on_queue: self.bot.answerer.ask(question, on_text=on_text,
                                                                              on_queue=on_queue,
                                                                              caller=self._caller(interaction)),
                           language=answer_language(question) if visible_text(question).strip() else None)

    @app_commands.command(name="summarize", description="Summarise one paper (arXiv ID) or every paper on a topic")
    @app_commands.describe(target="An arXiv ID or a topic")
    @llm_cooldown()
    async def summarize(self, interaction: discord.Interaction, target: str) -> None:
        await self._answer(interaction, lambda lang: t("title.summarize", lang, target=target),
                           lambda lang, on_text, on_queue: self.bot.answerer.summarize(
                               target, lang, on_text, on_queue, self._caller(interaction)))

    @app_commands.command(name="compare", description="Compare 2 to 4 papers side by side")
    @app_commands.describe(papers="2 to 4 arXiv IDs separated by spaces")
    @llm_cooldown()
    async def compare(self, interaction: discord.Interaction, papers: str) -> None:
        ids = split_id_list(papers)
        await self._answer(interaction, lambda lang: t("title.compare", lang, ids=" · ".join(ids)),
                           lambda lang, on_text, on_queue: self.bot.answerer.compare(
                               ids, lang, on_text, on_queue, self._caller(interaction)),
                           picture=lambda answer: pictures.draw(self.bot, lambda: compare_picture(answer),
                                                                "comparison.png"))

    @app_commands.command(name="recommend", description="Papers for an interest, or more papers like one (arXiv ID)")
    @app_commands.describe(interest="What you are interested in, or an arXiv ID (empty: more like your saved papers)",
                           count="How many papers (1-10)")
    @llm_cooldown()
    async def recommend(self, interaction: discord.Interaction, interest: str | None = None,
                        count: app_commands.Range[int, 1, 10] = 5) -> None:
        if not interest:  # more like the papers this user saved, shown to them only
            await self.recommend_saved(interaction, count)
            return
        await self._answer(interaction, lambda lang: t("title.recommend", lang, target=interest),
                           lambda lang, on_text, on_queue: self.bot.answerer.recommend(
                               interest, count, lang, on_text, on_queue, self._caller(interaction)))

    async def recommend_saved(self, interaction: discord.Interaction, count: int) -> None:
        """/recommend without an interest: more like the user's saved papers, shown to them
        only (the reasons name what they saved)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        saved = self.bot.engine.people.saved(interaction.user.id)
        if not saved:
            await interaction.edit_original_response(content=t("recommend.no_saved", language))
            return
        title = t("title.recommend_saved", language)
        await answer_interaction(
            interaction, title, language,
            lambda on_text, on_queue: self.bot.answerer.recommend_from(
                saved, count, language, on_text, on_queue, self.bot.caller(interaction.user, interaction.guild)),
            self.bot.config.discord.stream_edit_interval,
            buttons=answer_buttons(self.bot, title, interaction.user.id, interaction.guild_id), ephemeral=True)

    @summarize.autocomplete("target")
    @recommend.autocomplete("interest")
    async def target_autocomplete(self, interaction: discord.Interaction, current: str):
        papers, topics = self.bot.listing()
        return target_choices(papers, topics, current, language_for(interaction.locale))

    @compare.autocomplete("papers")
    async def papers_autocomplete(self, interaction: discord.Interaction, current: str):
        return id_list_choices(self.bot.listing()[0], current)


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(Answers(bot))
