"""/paper and /topics: lookups in the in-memory catalog, no language model and no
Chroma, answered on the event loop at once (never behind a queue the model path fills);
/search: the best papers for words, an author or a topic, without the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import pictures, render
from bot.buttons import paper_view
from bot.choices import paper_choices
from bot.i18n import language_for
from bot.replies import send_pages, send_private
from rag.errors import InputError
from rag.papers.ids import parse_arxiv_id
from rag.papers.topics import resolve_topics
from rag.pictures.of_answers import topics_picture
from rag.search.retrieval import HybridRetriever
from rag.store.chroma import SearchFilter
from rag.text.language import visible_text

if TYPE_CHECKING:
    from bot.app import PaperBot


class Papers(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot

    @app_commands.command(name="paper", description="Look a paper up by arXiv ID, or type part of a title")
    @app_commands.rename(arxiv_id="id")
    @app_commands.describe(arxiv_id="arXiv ID or URL, e.g. 2405.14831")
    async def paper(self, interaction: discord.Interaction, arxiv_id: str) -> None:
        language = language_for(interaction.locale)
        paper = self.bot.kb.find(arxiv_id)  # an ID in any form, or a title typed whole
        if paper is None:
            suggestions = await self.bot.answerer.offload(self.bot.kb.suggest, arxiv_id)
            await send_private(interaction, render.not_found_text(parse_arxiv_id(arxiv_id), suggestions, language))
            return
        await interaction.response.send_message(embed=render.paper_embed(paper, language),
                                                view=paper_view(paper.arxiv_id, language),
                                                allowed_mentions=render.NO_MENTIONS)

    @app_commands.command(name="search", description="The best papers for a question, an author or a topic")
    @app_commands.describe(query="What to look for, in English or Chinese", author="Part of an author's name",
                           topic="Only papers on this topic")
    async def search(self, interaction: discord.Interaction, query: str | None = None, author: str | None = None,
                     topic: str | None = None) -> None:
        language = language_for(interaction.locale)
        query, author, topic = (visible_text(x or "") for x in (query, author, topic))
        if not (query or author or topic):
            raise InputError("empty", "Give words, an author or a topic to search for.")
        topics = resolve_topics(topic, [t for t, _ in self.bot.listing()[1]]) if topic else ()
        if topic and not topics:
            raise InputError("unknown_topic", f"No topic matches {topic!r}.", target=topic)
        await interaction.response.defer(thinking=True)
        filters = SearchFilter(topics=topics, authors=(author,) if author else ())
        if query:
            hits = await self.bot.answerer.offload(lambda: HybridRetriever(self.bot.kb, k=10, filters=filters)
                                                   .search(query))
            found = [h.paper for h in hits if h.relevant]  # never padded with unrelated papers
        else:  # newest first: everything by this author, or on this topic
            found = [p for p in self.bot.listing()[0] if filters.admits(p)][:10]
        title = " · ".join(x for x in (query, author, "、".join(topics)) if x)
        await send_pages(interaction, render.search_pages(found, title, language))

    @paper.autocomplete("arxiv_id")
    async def paper_autocomplete(self, interaction: discord.Interaction, current: str):
        return paper_choices(self.bot.listing()[0], current)

    @search.autocomplete("topic")
    async def topic_autocomplete(self, interaction: discord.Interaction, current: str):
        needle = current.strip().casefold()
        return [app_commands.Choice(name=render.clip(t, 100), value=render.clip(t, 100))
                for t, _ in self.bot.listing()[1] if needle in t.casefold()][:25]

    @app_commands.command(name="topics", description="Every topic in the list, with its number of papers")
    async def topics(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        language, topics = language_for(interaction.locale), self.bot.listing()[1]
        picture = await pictures.draw(self.bot, lambda: topics_picture(topics, language), "topics.png")
        await send_pages(interaction, render.topics_pages(topics, language), picture=picture, language=language)


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(Papers(bot))
